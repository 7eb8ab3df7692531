import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseVariableFlag, readVariablesFile } from '../../src/cli/variables-file.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { parseDotenvReport, countJunit } from '../../src/run/job/reports.js';
import { parseConcurrency } from '../../src/cli/run-command.js';

async function file(text: string, name = 'vars.env'): Promise<string> {
  const p = join(await mkdtemp(join(tmpdir(), 'kiln-vars-')), name);
  await writeFile(p, text);
  return p;
}

test('dotenv variables file: export, quotes, comments', async () => {
  const v = await readVariablesFile(await file('# c\nexport A=1\nB="two words"\nC=\'$literal\'\n\nD=x=y\n'));
  assert.deepEqual(Object.fromEntries(Object.entries(v).map(([k, d]) => [k, d.value])), {
    A: '1',
    B: 'two words',
    C: '$literal',
    D: 'x=y',
  });
});

test('invalid variables files name the file and line', async () => {
  const p = await file('A=1\nthis is not a variable\n');
  await assert.rejects(
    readVariablesFile(p),
    (e: Error) => e instanceof ConfigError && e.message.startsWith(`${p}:2:1:`),
  );
  const q = await file('A=1\n1BAD=2\n');
  await assert.rejects(
    readVariablesFile(q),
    (e: Error) =>
      e instanceof ConfigError && e.message.includes(':2:') && /invalid variable name "1BAD"/.test(e.message),
  );
  const j = await file('{"A": "1",\n "B": }', 'v.json');
  await assert.rejects(
    readVariablesFile(j),
    (e: Error) => e instanceof ConfigError && /invalid JSON/.test(e.message) && e.message.includes(':2:'),
  );
  const ok = await readVariablesFile(await file('{"A": "1", "N": 5}', 'v.json'));
  assert.equal(ok.N.value, '5');
  await assert.rejects(readVariablesFile('/nonexistent/vars'), UsageError);
  const obj = await readVariablesFile(await file('{"K": {"value": "v", "file": true, "masked": true}}', 'o.json'));
  assert.deepEqual(obj.K, { value: 'v', expand: true, file: true, masked: true });
  const badKey = await file('{\n"A": "1",\n"K": {"value": "v", "protected": true}}', 'bad.json');
  await assert.rejects(
    readVariablesFile(badKey),
    (e: Error) => e instanceof ConfigError && e.message.includes(`${badKey}:3:1: K: unknown key "protected"`),
  );
});

test('--variable and --concurrency validation', () => {
  assert.deepEqual(parseVariableFlag('K=a=b'), ['K', 'a=b']);
  assert.throws(() => parseVariableFlag('novalue'), UsageError);
  assert.throws(() => parseConcurrency('0'), /at least 1/);
  assert.throws(() => parseConcurrency('two'), UsageError);
  assert.equal(parseConcurrency('3'), 3);
});

test('dotenv reports and junit counting', () => {
  const d = parseDotenvReport('A=1\nB="quoted"\nbad line\n');
  assert.deepEqual({ ...d.vars }, { A: '1', B: 'quoted' });
  assert.equal(d.warnings.length, 1);
  const xml =
    '<testsuite><testcase name="a"/><testcase name="b"><failure/></testcase><testcase name="c"><skipped/></testcase><testcase name="d"><error/></testcase></testsuite>';
  assert.deepEqual(countJunit(xml), { tests: 4, failures: 1, errors: 1, skipped: 1 });
});
