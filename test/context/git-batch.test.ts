// gitBatch: several git commands through one /bin/sh process give what separate git processes give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { batchScript, gitBatch, splitBatchOutput } from '../../src/util/git-batch.js';
import { git, initRepo, removeDir, tempDir } from './helpers/repo.js';

const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' };

function single(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: ENV, encoding: 'utf8' }, (err, out) => resolve(err ? undefined : out));
  });
}

test('each command gets the stdout a separate git process gives, or undefined when it fails', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  initRepo(dir, 'main');
  git(dir, 'tag', 'v1');
  const commands = [
    ['log', '-1', '--format=%H%x1f%an%x1f%B', 'HEAD', '--'],
    ['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD'],
    ['config', '--get-regexp', '^user\\.(name|email)$'],
    ['for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/main', 'refs/tags/v1'],
    ['rev-parse', '--verify', '--quiet', 'no-such-ref'],
    ['log', '-1', '--format=%s', 'HEAD', '--'],
  ];
  const batch = await gitBatch(dir, commands, ENV);
  const separate = await Promise.all(commands.map((c) => single(dir, c)));
  assert.deepEqual(batch, separate);
  assert.equal(batch[1], undefined);
  assert.equal(batch[4], undefined);
  assert.match(batch[5]!, /^Add parser\n$/);
});

test('arguments reach git verbatim: no word splitting, globbing, expansion or command substitution', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  initRepo(dir, 'main');
  const odd = ['a b', '*', '$HOME', '`id`', '$(id)', "it's", '"q"', 'x;y', 'line\nbreak', 'back\\slash'];
  const many = Array.from({ length: 12 }, (_, i) => `--format=${i}:%s`);
  const [echoed, last] = await gitBatch(
    dir,
    [
      ['log', '-1', `--format=${odd.join('|')}|%s`, 'HEAD', '--'],
      ['log', '-1', ...many, 'HEAD', '--'],
    ],
    ENV,
  );
  assert.equal(echoed, `${odd.join('|')}|Add parser\n`);
  assert.equal(last, '11:Add parser\n', 'the 12th argument, past $9, is its own parameter');
});

test('outside a repository every command fails; a missing directory gives undefined for all', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  const cmds = [
    ['log', '-1', 'HEAD'],
    ['symbolic-ref', '--quiet', '--short', 'HEAD'],
  ];
  assert.deepEqual(await gitBatch(join(dir, 'gone'), cmds, ENV), [undefined, undefined]);
  const outside = await gitBatch(dir, cmds, { ...ENV, GIT_CEILING_DIRECTORIES: dir });
  assert.deepEqual(outside, [undefined, undefined]);
});

test('splitBatchOutput: statuses pick output or undefined; a truncated run fails the rest', () => {
  const m = (s: number) => `\0n1:${s}\0`;
  assert.deepEqual(splitBatchOutput(`one\n${m(0)}${m(1)}three${m(0)}`, 3, 'n1'), ['one\n', undefined, 'three']);
  assert.deepEqual(splitBatchOutput(`one\n${m(0)}two`, 3, 'n1'), ['one\n', undefined, undefined]);
  const { script, args } = batchScript([['status'], ['log', '-1']], 'n1');
  assert.deepEqual(args, ['status', 'log', '-1']);
  assert.equal(script.split('\n').length, 2);
});
