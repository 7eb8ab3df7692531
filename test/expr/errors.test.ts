// Malformed expressions raise ExpressionError with the offset of the problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExpressionError, parseExpression, evaluateExpression } from '../../src/pipeline/expr/index.js';
import { KilnError } from '../../src/errors.js';

const cases: [string, number, RegExp][] = [
  ['', 0, /empty expression/],
  ['   ', 0, /empty expression/],
  ['"unterminated', 0, /unterminated string/],
  ["$A == 'x", 6, /unterminated string/],
  ['$A == "x" &&', 12, /expected a value after "&&"/],
  ['$A ==', 5, /expected a value after "=="/],
  ['== "x"', 0, /expected a value, found "=="/],
  ['&& $A', 0, /expected a value, found "&&"/],
  ['$A || || $B', 6, /expected a value, found "\|\|"/],
  ['$A "text"', 3, /missing operator/],
  ['$A $B', 3, /missing operator/],
  ['($A == "x"', 10, /expected "\)"/],
  ['$A == "x")', 9, /unbalanced "\)"/],
  ['()', 1, /expected a value, found "\)"/],
  ['$A == main', 6, /unexpected "main"/],
  ['$A = "x"', 3, /unexpected "="/],
  ['$A === "x"', 5, /unexpected "="/],
  ['$', 0, /must be followed by a variable name/],
  // GitLab's lexer knows only $NAME; `${NAME}` in rules:if is "invalid expression syntax" there.
  ['${A}', 0, /"\$\{\.\.\.\}" is not allowed in expressions/],
  ['$A == "x" && ${B} == "y"', 13, /"\$\{\.\.\.\}" is not allowed/],
  ['$A =~ /abc', 6, /unterminated regular expression/],
  ['$A =~ /abc/x', 11, /unsupported regular expression flag "x"/],
  ['$A =~ /(?=a)b/', 7, /lookaround/],
  ['$A =~ /(?<!a)b/', 7, /lookaround/],
  ['$A =~ /(a)\\1/', 10, /backreferences/],
  ['$A =~ /a(b/', 7, /invalid regular expression/],
  ['$A =~ /[a-/', 7, /missing closing \]/],
  ['$A =~ /a\\Z/', 8, /RE2 has no \\Z/],
  ['$A =~ /a++/', 8, /possessive/],
  ['$A =~ /[[:nope:]]/', 8, /invalid character class range/],
  ['$A =~ /a\\8/', 8, /invalid escape sequence/],
  ['$A == /abc/', 6, /only appear on the right of =~/],
  ['/abc/ =~ $A', 0, /only appear on the right of =~/],
];

for (const [src, offset, re] of cases) {
  test(`error: ${JSON.stringify(src)}`, () => {
    let caught: unknown;
    try {
      parseExpression(src);
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof ExpressionError, `expected ExpressionError for ${src}`);
    assert.ok(caught instanceof KilnError);
    assert.match(caught.message, re);
    assert.equal(caught.offset, offset, caught.message);
    assert.ok(caught.message.includes(`at offset ${offset}`));
  });
}

test('evaluateExpression throws the same typed error', () => {
  assert.throws(() => evaluateExpression('$A ==', {}), ExpressionError);
});

test('more than 100 tokens is refused like GitLab', () => {
  const long = Array.from({ length: 51 }, (_, i) => `$V${i}`).join(' || ');
  assert.throws(() => parseExpression(long), /too many tokens/);
  const ok = Array.from({ length: 50 }, (_, i) => `$V${i}`).join(' || ');
  assert.doesNotThrow(() => parseExpression(ok));
});

test('AST shape: && binds tighter than ||', () => {
  const t = parseExpression('$A || $B && $C');
  assert.equal(t.kind, 'or');
  if (t.kind === 'or') assert.equal(t.right.kind, 'and');
});
