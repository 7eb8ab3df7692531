// CI/CD variable expressions: evaluation table (cases from GitLab's docs and its lexeme semantics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateExpression } from '../../src/pipeline/expr/index.js';

const vars: Record<string, string | undefined> = {
  CI_COMMIT_BRANCH: 'main',
  CI_DEFAULT_BRANCH: 'main',
  CI_PIPELINE_SOURCE: 'push',
  CI_COMMIT_TAG: undefined,
  CI_COMMIT_MESSAGE: 'Fix build [skip docs]\n\nlong text',
  FEATURE: 'feature/login-page',
  EMPTY: '',
  BLANK: '   ',
  PATTERN: '/^feature\\/.*$/',
  PATTERN_I: '/^FEATURE/i',
  NOT_A_PATTERN: 'feature/login-page-and-more',
  RELEASE: 'v1.2.3',
  TAG_REGEX: '/^v\\d+\\.\\d+\\.\\d+$/',
  DEPLOY: 'true',
};

const cases: [string, boolean][] = [
  // presence
  ['$CI_COMMIT_BRANCH', true],
  ['$CI_COMMIT_TAG', false],
  ['$UNDEFINED', false],
  ['$EMPTY', false],
  ['$BLANK', false],
  // equality against strings (both quote styles), variables, null
  ['$CI_COMMIT_BRANCH == "main"', true],
  ["$CI_COMMIT_BRANCH == 'main'", true],
  ['$CI_COMMIT_BRANCH != "main"', false],
  ['$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', true],
  ['$CI_DEFAULT_BRANCH == $CI_COMMIT_BRANCH', true],
  ['$CI_COMMIT_BRANCH == $FEATURE', false],
  ['"main" == $CI_COMMIT_BRANCH', true],
  ['$CI_COMMIT_TAG == null', true],
  ['$CI_COMMIT_TAG != null', false],
  ['$UNDEFINED == null', true],
  ['null == $UNDEFINED', true],
  ['$EMPTY == null', false],
  ['$EMPTY == ""', true],
  ['$UNDEFINED == ""', false],
  ['$EMPTY != ""', false],
  ['$UNDEFINED == $ALSO_UNDEFINED', true],
  ['$CI_COMMIT_BRANCH == "Main"', false],
  // regex matches
  ['$FEATURE =~ /^feature/', true],
  ['$FEATURE =~ /^FEATURE/', false],
  ['$FEATURE =~ /^FEATURE/i', true],
  ['$FEATURE !~ /^feature/', false],
  ['$FEATURE =~ /login/', true],
  ['$FEATURE =~ /feature\\/login/', true],
  ['$RELEASE =~ /^v\\d+\\.\\d+\\.\\d+$/', true],
  ['$CI_COMMIT_MESSAGE =~ /\\[skip docs\\]/', true],
  ['$CI_COMMIT_MESSAGE =~ /^long text$/', false],
  ['$CI_COMMIT_MESSAGE =~ /^long text$/m', true],
  ['$CI_COMMIT_MESSAGE =~ /docs.*long/', false],
  ['$CI_COMMIT_MESSAGE =~ /docs.*long/s', true],
  ['$CI_COMMIT_MESSAGE =~ /\\Afix/i', true],
  ['$RELEASE =~ /[[:digit:]]\\.[[:digit:]]/', true],
  ['$RELEASE =~ /(?P<major>\\d+)\\.(\\d+)/', true],
  ['$RELEASE =~ /\\Qv1.2\\E/', true],
  ['$RELEASE =~ /\\Qv1x2\\E/', false],
  ['$RELEASE =~ /(?i)V1/', true],
  ['$RELEASE =~ /3\\z/', true],
  // undefined/empty left side matches as ""
  ['$UNDEFINED =~ /.*/', true],
  ['$UNDEFINED =~ /x/', false],
  ['$UNDEFINED !~ /x/', true],
  ['$EMPTY =~ /^$/', true],
  // pattern held in a variable (or written as a quoted string)
  ['$FEATURE =~ $PATTERN', true],
  ['$RELEASE =~ $PATTERN', false],
  ['$RELEASE !~ $PATTERN', true],
  ['$FEATURE =~ $PATTERN_I', true],
  ['$RELEASE =~ $TAG_REGEX', true],
  ['$FEATURE =~ "/login/"', true],
  // pattern variable undefined: =~ false, !~ true
  ['$FEATURE =~ $NO_PATTERN', false],
  ['$FEATURE !~ $NO_PATTERN', true],
  // a right side that is not /.../: GitLab looks for the text inside that string
  ['$FEATURE =~ $NOT_A_PATTERN', true],
  ['$RELEASE =~ $NOT_A_PATTERN', false],
  // && binds tighter than ||; parentheses
  ['$CI_COMMIT_BRANCH == "main" && $CI_PIPELINE_SOURCE == "push"', true],
  ['$CI_COMMIT_BRANCH == "main" && $CI_PIPELINE_SOURCE == "web"', false],
  ['$CI_COMMIT_BRANCH == "dev" || $CI_PIPELINE_SOURCE == "push"', true],
  ['$CI_COMMIT_TAG || $CI_COMMIT_BRANCH == "main" && $DEPLOY == "true"', true],
  ['$CI_COMMIT_BRANCH == "main" || $CI_COMMIT_TAG && $DEPLOY == "false"', true],
  ['($CI_COMMIT_BRANCH == "main" || $CI_COMMIT_TAG) && $DEPLOY == "false"', false],
  ['$CI_COMMIT_TAG && $CI_COMMIT_BRANCH || $DEPLOY', true],
  ['$CI_COMMIT_TAG && ($CI_COMMIT_BRANCH || $DEPLOY)', false],
  ['(($CI_COMMIT_BRANCH == "main"))', true],
  [
    '$CI_PIPELINE_SOURCE == "merge_request_event" || ($CI_COMMIT_BRANCH && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH)',
    true,
  ],
  ['$VAR1 && $VAR2', false],
  // GitLab's && returns its right operand when the left is any string, even "" (Ruby truthiness)
  ['$EMPTY && $DEPLOY', true],
  ['$EMPTY || $DEPLOY', false],
  ['$UNDEFINED || $DEPLOY', true],
  // whitespace is free
  ["  $CI_COMMIT_BRANCH=='main'&&$DEPLOY  ", true],
  // literals alone
  ['"text"', true],
  ['null', false],
];

for (const [expr, expected] of cases) {
  test(`${expr} → ${expected}`, () => {
    assert.equal(evaluateExpression(expr, vars), expected);
  });
}

test('the U flag makes quantifiers lazy', () => {
  // With U, ".+" is lazy, so "(.+)x" still matches; check via a pattern where greediness matters for anchoring.
  assert.equal(evaluateExpression('$V =~ /^a.+?b$/U', { V: 'aXXb' }), true);
  assert.equal(evaluateExpression('$V =~ /^a.+b$/U', { V: 'aXXb' }), true);
});

test('variables are looked up by exact name only (no prototype keys)', () => {
  assert.equal(evaluateExpression('$constructor', {}), false);
  assert.equal(evaluateExpression('$toString == null', {}), true);
});

// Observed GitLab behaviour for `$LEFT =~ $RIGHT` when both come from variables (gitlab-org/gitlab#426313):
// a right side that is not /.../ is searched for the left text (String#scan), a /.../ value is a regexp.
const observed: [string, string, boolean][] = [
  ['1234', '1234', true],
  ['1234', '23', false],
  ['1234', '/23/', true],
  ['23', '1234', true],
  ['23', '23', true],
  ['23', '/23/', true],
  ['/23/', '1234', false],
  ['/23/', '23', false],
  ['/23/', '/23/', true],
];
for (const [left, right, expected] of observed) {
  test(`observed: ${left} =~ ${right} → ${expected}`, () => {
    assert.equal(evaluateExpression('$LEFT =~ $RIGHT', { LEFT: left, RIGHT: right }), expected);
    assert.equal(evaluateExpression('$LEFT !~ $RIGHT', { LEFT: left, RIGHT: right }), !expected);
  });
}
