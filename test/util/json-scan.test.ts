// The linear JSON scan that places syntax errors and top-level keys (src/util/json-scan.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lineLocator, scanJson } from '../../src/util/json-scan.js';
import { readVariablesFile } from '../../src/cli/variables-file.js';
import { ConfigError } from '../../src/errors.js';

const valid = [
  '{}',
  '[]',
  '{"a": 1}',
  ' {"a": [1, -2.5e+3, true, false, null, {"b": "c\\n\\u00e9"}]} ',
  '"x"',
  '0',
  '{"k\\"ey": {"nested": [[[]]]}}',
  '[{}, [], ""]',
];

test('valid JSON scans without an error', () => {
  for (const t of valid) assert.equal(scanJson(t).errorAt, undefined, t);
});

test('every strict prefix of valid JSON ends too early: the error is at the end', () => {
  for (const t of valid.filter((v) => v.trim().length > 1 && !/^\s*-?\d/.test(v))) {
    const trimmed = t.trimEnd();
    for (let k = 0; k < trimmed.length; k++) {
      const cut = trimmed.slice(0, k);
      assert.equal(scanJson(cut).errorAt, cut.length, JSON.stringify(cut));
    }
  }
});

test('where V8 gives a position, the scan finds the same one', () => {
  const bad = [
    '{"a": "b",}',
    '{"a": "b"',
    '{"a": "b\n"}',
    '{"a" "b"}',
    '{"a": 1} x',
    '{"a": -}',
    '{"a": "\\q"}',
    '{"a": "\\u12"}',
    "{'a': 1}",
    '{"a": 1e}',
    '{"a": 1 "b": 2}',
    '{"a": [1}',
  ];
  for (const t of bad) {
    let message = '';
    try {
      JSON.parse(t);
    } catch (e) {
      message = (e as Error).message;
    }
    const v8 = /position (\d+)/.exec(message);
    assert.ok(v8, `V8 gives a position for ${t}: ${message}`);
    assert.equal(scanJson(t).errorAt, Number(v8[1]), `${t}: ${message}`);
  }
});

test('errors V8 reports without a position are placed at the offending character', () => {
  assert.equal(scanJson('{"a": tru}').errorAt, 9);
  assert.equal(scanJson('{"a": x}').errorAt, 6);
  assert.equal(scanJson('{"a": [1, }').errorAt, 10);
  assert.equal(scanJson('[1, 2,, 3]').errorAt, 6);
  assert.equal(scanJson('['.repeat(100_000)).errorAt, 100_000); // deep nesting: no recursion
});

test('top-level keys are found with their offsets, escapes decoded', () => {
  const t = '{\n  "A": {"A": 1},\n  "B\\u0041": 2\n}';
  const keys = scanJson(t).keys;
  assert.deepEqual([...keys.keys()], ['A', 'BA']);
  const at = lineLocator(t);
  assert.deepEqual(at(keys.get('A')!), { line: 2, col: 3 });
  assert.deepEqual(at(keys.get('BA')!), { line: 3, col: 3 });
});

test('a 60 KB variables file cut after ":" is located with one parse, not one per prefix', async () => {
  const entries = Array.from({ length: 2000 }, (_, i) => `  "VARIABLE_${i}": "value number ${i}"`);
  const text = `{\n${entries.join(',\n')},\n  "LAST":`;
  const file = join(await mkdtemp(join(tmpdir(), 'kiln-json-')), 'vars.json');
  await writeFile(file, text);
  const parse = JSON.parse;
  let calls = 0;
  JSON.parse = ((...args: Parameters<typeof JSON.parse>) => {
    calls++;
    return parse(...args);
  }) as typeof JSON.parse;
  try {
    await assert.rejects(
      readVariablesFile(file),
      (e: unknown) =>
        e instanceof ConfigError && e.message.startsWith(`${file}:2002:10: invalid JSON: Unexpected end of JSON input`),
    );
  } finally {
    JSON.parse = parse;
  }
  assert.ok(calls <= 2, `JSON.parse called ${calls} times`);
});

test('numbers: the error where V8 puts it', () => {
  for (const t of ['[1.}', '[1.', '[1e}', '[1e+}', '[-}', '[-', '[1.5e', '[01]', '[-01]', '"\\u1', '[1E5,2.0e-3,-0]']) {
    let v8: number | undefined;
    try {
      JSON.parse(t);
    } catch (e) {
      v8 = Number(/position (\d+)/.exec((e as Error).message)?.[1] ?? t.length);
    }
    assert.equal(scanJson(t).errorAt, v8, t);
  }
});
