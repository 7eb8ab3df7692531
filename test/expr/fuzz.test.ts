// Random expressions: parsing either succeeds or throws ExpressionError; evaluation never throws after a parse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpressionError, parseExpression, evaluateExpression } from '../../src/pipeline/expr/index.js';

const pieces = [
  '$A',
  '$B',
  '$C',
  '"x"',
  "'y'",
  '""',
  'null',
  '==',
  '!=',
  '=~',
  '!~',
  '&&',
  '||',
  '(',
  ')',
  '/a.*/',
  '/[/',
  '/x/i',
  '/(?=a)/',
  '$',
  '"',
  "'",
  '/',
  '=',
  '!',
  '&',
  '|',
  ' ',
  'foo',
  '\\',
  '{',
  '}',
  '/\\//',
];

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('3000 random expressions only ever raise ExpressionError', () => {
  const rnd = seeded(20261122);
  const vars = { A: 'abc', B: '', C: '/a.*/' };
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    const n = 1 + Math.floor(rnd() * 9);
    let src = '';
    for (let k = 0; k < n; k++) src += pieces[Math.floor(rnd() * pieces.length)] + (rnd() < 0.5 ? ' ' : '');
    try {
      parseExpression(src);
      parsed++;
    } catch (e) {
      assert.ok(e instanceof ExpressionError, `non-ExpressionError for ${JSON.stringify(src)}: ${String(e)}`);
      assert.ok(e.offset >= 0 && e.offset <= src.length, `offset out of range for ${JSON.stringify(src)}`);
      continue;
    }
    assert.equal(typeof evaluateExpression(src, vars), 'boolean');
  }
  assert.ok(parsed > 50, `only ${parsed} random expressions parsed`);
});
