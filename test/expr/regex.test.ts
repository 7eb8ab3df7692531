// GitLab's regex dialects: RE2 for expressions (a real RE2 engine), RE2 then Ruby for only/except refs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRegex, RegexSyntaxError, type RegexDialect } from '../../src/pipeline/expr/regex.js';
import { compileRe2 } from '../../src/pipeline/expr/re2.js';

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
  // RE2 accepts these (so does GitLab): Unicode classes and inline flags anywhere.
  ['re2', '\\p{Greek}+', '', 'αβγ', true],
  ['re2', '^\\pL+$', '', 'été', true],
  ['re2', 'a(?i)b', '', 'aB', true],
  ['re2', 'a(?i)b', '', 'AB', false],
  ['re2', '<.+>', 'U', '<a><b>', true],
  ['ruby', '\\A\\d+-\\d+-stable\\Z', '', '12-1-stable', true],
  ['ruby', '\\Amain\\Z', '', 'main\n', true], // \Z allows a final newline
  ['ruby', '\\Amain\\z', '', 'main\n', false],
  ['ruby', '^main$', '', 'x\nmain', false], // RE2 accepts it: RE2's ^ (GitLab tries RE2 first)
  ['ruby', '(?!z)^main$', '', 'x\nmain', true], // RE2 refuses (?!: Ruby's ^/$ are line anchors
  ['ruby', '(?!z)a.b', 'm', 'a\nb', true], // Ruby m = dot matches newline
  ['ruby', '^(?!wip)', '', 'wip-1', false],
  ['ruby', '^(?!wip)', '', 'ready', true],
  ['ruby', '(a)\\1', '', 'aa', true],
  ['ruby', '\\h+', '', 'ff', true],
  ['ruby', 'x', 'U', 'x', true], // RE2 accepts U, so GitLab never falls back to Ruby for it
];

for (const [dialect, body, flags, text, expected] of matches) {
  test(`${dialect} /${body}/${flags} on ${JSON.stringify(text)} → ${expected}`, () => {
    assert.equal(compileRegex(body, flags, dialect).test(text), expected);
  });
}

const rejects: [RegexDialect, string, string, RegExp][] = [
  ['re2', '(?=x)', '', /lookaround assertions are not supported/],
  ['re2', '(?<=x)y', '', /lookaround assertions are not supported/],
  ['re2', '(a)\\1', '', /backreferences are not supported/],
  ['re2', 'a\\Z', '', /RE2 has no \\Z/],
  ['re2', 'a++', '', /possessive quantifiers are not supported/],
  ['re2', '[abc', '', /missing closing \]/],
  ['re2', 'a(b', '', /^invalid regular expression \/a\(b\/ \(RE2 syntax\): missing closing \)$/],
  ['re2', '\\x{zz}', '', /invalid escape sequence/],
  ['re2', 'x{1001}', '', /invalid repeat count/],
  ['re2', '[[:nope:]]', '', /invalid character class range/],
  ['re2', 'x', 'x', /unsupported regular expression flags/],
  ['ruby', '(?=x', '', /invalid regular expression/],
  ['ruby', '(a)\\1', 'U', /flag U/],
];

for (const [dialect, body, flags, re] of rejects) {
  test(`${dialect} rejects /${body}/${flags}`, () => {
    assert.throws(
      () => compileRegex(body, flags, dialect),
      (e: unknown) => e instanceof RegexSyntaxError && re.test(e.message),
    );
  });
}

test('the Ruby fallback takes what RE2 refuses (lookaround, backreferences)', () => {
  const look = compileRegex('^(?!wip)', '', 'ruby');
  assert.ok(look instanceof RegExp, 'lookaround is not RE2: the fallback compiles it');
  assert.ok(!(compileRegex('^main$', '', 'ruby') instanceof RegExp), 'RE2 first, as GitLab');
});

test('RE2 errors give the offset of the offending part of the pattern', () => {
  const at = (body: string): number => {
    try {
      compileRe2(body);
    } catch (e) {
      if (e instanceof RegexSyntaxError) return e.offset;
      throw e;
    }
    return -1;
  };
  assert.equal(at('ab(?=x)'), 2);
  assert.equal(at('abc\\1'), 3);
  assert.equal(at('a(b'), 0);
});

// Patterns that take exponential time in a backtracking engine (JavaScript's RegExp, before this engine was
// used, ran for minutes on them). RE2 matches in time linear in the text, so each call returns at once.
const message = 'Fix the release build so that packages for every supported distribution are published again!';
const catastrophic: [string, string, boolean][] = [
  ['^(\\w+\\s?)*$', message, false],
  ['^(a+)+$', `${'a'.repeat(5000)}!`, false],
  ['^(a|aa)+$', `${'a'.repeat(5000)}b`, false],
  ['(x+x+)+y', 'x'.repeat(5000), false],
  ['^(\\w+\\s?)*$', message.slice(0, -1), true],
];
for (const [body, text, expected] of catastrophic) {
  test(`linear time: /${body}/ on ${text.length} characters`, () => {
    assert.equal(compileRe2(body).test(text), expected);
  });
}
