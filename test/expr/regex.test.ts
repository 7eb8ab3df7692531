// Translation of GitLab's regex dialects (RE2 for expressions, Ruby for only/except refs) into JS RegExps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRegex, RegexSyntaxError, type RegexDialect } from '../../src/pipeline/expr/regex.js';

const matches: [RegexDialect, string, string, string, boolean][] = [
  // dialect, body, flags, text, expected
  ['re2', '^main$', '', 'main', true],
  ['re2', '^main$', '', 'x\nmain', false], // RE2 without m: ^ is start of text
  ['re2', '^main$', 'm', 'x\nmain', true],
  ['re2', 'a.b', '', 'a\nb', false],
  ['re2', 'a.b', 's', 'a\nb', true],
  ['re2', 'MAIN', 'i', 'main', true],
  ['re2', '\\Amain\\z', '', 'main', true],
  ['re2', '\\Amain\\z', 'm', 'x\nmain', false], // \A and \z ignore multi-line mode
  ['re2', '[[:alpha:]]+-[[:digit:]]+', '', 'abc-123', true],
  ['re2', '[^[:space:]]+', '', '   ', false],
  ['re2', '[[:xdigit:]]{6}', '', 'c0ffee', true],
  ['re2', '(?P<major>\\d+)\\.(?P<minor>\\d+)', '', '1.2', true],
  ['re2', '\\Qa.b*c\\E', '', 'a.b*c', true],
  ['re2', '\\Qa.b*c\\E', '', 'aXbbc', false],
  ['re2', '\\x{41}', '', 'A', true],
  ['re2', 'a{2,3}', '', 'caab', true],
  ['re2', '(?i)release', '', 'RELEASE-1', true],
  ['re2', '(?s)a.b', '', 'a\nb', true],
  ['re2', 'x/y', '', 'x/y', true],
  ['ruby', '\\A\\d+-\\d+-stable\\Z', '', '12-1-stable', true],
  ['ruby', '\\Amain\\Z', '', 'main\n', true], // \Z allows a final newline
  ['ruby', '\\Amain\\z', '', 'main\n', false],
  ['ruby', '^main$', '', 'x\nmain', true], // Ruby ^/$ are line anchors
  ['ruby', 'a.b', 'm', 'a\nb', true], // Ruby m = dot matches newline
  ['ruby', '^(?!wip)', '', 'wip-1', false],
  ['ruby', '^(?!wip)', '', 'ready', true],
  ['ruby', '(a)\\1', '', 'aa', true],
  ['ruby', '\\h+', '', 'ff', true],
];

for (const [dialect, body, flags, text, expected] of matches) {
  test(`${dialect} /${body}/${flags} on ${JSON.stringify(text)} → ${expected}`, () => {
    assert.equal(compileRegex(body, flags, dialect).test(text), expected);
  });
}

test('U flag swaps greedy and lazy quantifiers', () => {
  const greedy = compileRegex('<.+>', '', 're2');
  const ungreedy = compileRegex('<.+>', 'U', 're2');
  assert.equal('<a><b>'.match(greedy)?.[0], '<a><b>');
  assert.equal('<a><b>'.match(ungreedy)?.[0], '<a>');
  assert.equal('<a><b>'.match(compileRegex('<.+?>', 'U', 're2'))?.[0], '<a><b>');
  assert.equal('aaa'.match(compileRegex('a{1,3}', 'U', 're2'))?.[0], 'a');
});

const rejects: [RegexDialect, string, string, RegExp][] = [
  ['re2', '(?=x)', '', /lookaround/],
  ['re2', '(?<=x)y', '', /lookaround/],
  ['re2', '(a)\\1', '', /backreferences/],
  ['re2', 'a\\Z', '', /\\Z is not supported/],
  ['re2', 'a++', '', /possessive/],
  ['re2', '\\p{Greek}', '', /Unicode classes/],
  ['re2', 'a(?i)b', '', /inline flags/],
  ['re2', '[abc', '', /unterminated character class/],
  ['re2', 'a(b', '', /invalid regular expression/],
  ['re2', '\\x{zz}', '', /invalid \\x/],
  ['ruby', 'x', 'U', /flag U/],
];

for (const [dialect, body, flags, re] of rejects) {
  test(`${dialect} rejects /${body}/${flags}`, () => {
    assert.throws(() => compileRegex(body, flags, dialect), (e: unknown) => e instanceof RegexSyntaxError && re.test(e.message));
  });
}
