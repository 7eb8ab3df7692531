// YAML loading as GitLab (Ruby Psych) does it: anchors, aliases, several `<<` merges, duplicate keys, YAML 1.1
// booleans, positions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { parseYaml } from '../../src/pipeline/yaml/read.js';
import { job, load, varValues } from './helpers.js';

test('several << merge keys: each overrides what came before it', async () => {
  const p = await load('yaml');
  const j = job(p, 'merged');
  assert.equal(j.image?.name, 'debian:12');
  assert.deepEqual(j.tags, ['big']);
  assert.equal(j.interruptible, true, 'yes is a YAML 1.1 boolean');
  assert.deepEqual(j.script, ['echo one', 'echo two', 'echo three'], 'aliased list inside a list is flattened');
  assert.equal(j.position.line, 12);
});

test('duplicate keys: the last one wins; numbers and booleans become strings in variables', async () => {
  const j = job(await load('yaml'), 'dup');
  assert.deepEqual(j.script, ['echo last']);
  assert.deepEqual(varValues(j), { QUOTED: 'yes', PLAIN: 'false', NUM: '1.1' });
});

test('hidden keys are not jobs', async () => {
  const p = await load('yaml');
  assert.deepEqual(
    p.jobs.map((j) => j.name),
    ['merged', 'dup'],
  );
});

test('parseYaml reports syntax errors with line and column, and recursive aliases cleanly', () => {
  assert.throws(
    () => parseYaml('a: [1, 2\nb: 3\n', 'x.yml'),
    (e: unknown) => e instanceof ConfigError && e.position?.file === 'x.yml' && e.message.startsWith('x.yml:'),
  );
  assert.throws(() => parseYaml('a: &x\n  b: *x\n', 'r.yml'), ConfigError);
  assert.equal(parseYaml('', 'empty.yml'), undefined);
});

test('!reference needs a list of strings', () => {
  assert.throws(() => parseYaml('a: !reference job\n', 'r.yml'), /needs an array/);
  const n = parseYaml('a: !reference [job, script]\n', 'r.yml');
  assert.ok(n && n.kind === 'map');
  const ref = n.entries.get('a')?.value;
  assert.equal(ref?.kind, 'ref');
  assert.deepEqual(ref?.kind === 'ref' && ref.path, ['job', 'script']);
  assert.equal(ref?.pos.line, 1);
});

test('pathological YAML ends in ConfigError: deep nesting, alias bombs', () => {
  assert.throws(
    () => parseYaml(`a: ${'['.repeat(300)}${']'.repeat(300)}\n`, 'deep.yml'),
    (e: unknown) => e instanceof ConfigError && /nested more than 200 levels deep/.test(e.message),
  );
  assert.throws(() => parseYaml(`a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'deeper.yml'), ConfigError);
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 0; i < 9; i++) {
    const prev = i === 0 ? 'a' : `b${i - 1}`;
    bomb.push(
      `b${i}: &b${i} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`,
    );
  }
  assert.throws(() => parseYaml(`${bomb.join('\n')}\n`, 'bomb.yml'), /too large once aliases are expanded/);
});
