// only/except: refs keywords, names, regexes (Ruby syntax), ref@project, variables, changes, kubernetes,
// default only: [branches, tags], and the combination rule (all only keys hold, no except key holds).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateOnlyExcept, refMatches } from '../../src/pipeline/rules/only-except.js';
import { context, files, spec } from './helpers.js';

const branch = context({ ref: 'main' });
const feature = context({ ref: 'feature/login' });
const tag = context({ ref: 'v1.4.0', isTag: true });
const mr = context({ ref: 'feature/login', source: 'merge_request_event' });
const schedule = context({ ref: 'main', source: 'schedule' });
const web = context({ ref: 'main', source: 'web' });
const api = context({ ref: 'main', source: 'api' });
const trigger = context({ ref: 'main', source: 'trigger' });
const pipeline = context({ ref: 'main', source: 'pipeline' });
const chat = context({ ref: 'main', source: 'chat' });
const external = context({ ref: 'main', source: 'external' });
const extPr = context({ ref: 'main', source: 'external_pull_request_event' });
const upstream = context({ ref: 'main', path: 'gitlab-org/gitlab-runner' });

const refCases: [string, ReturnType<typeof context>, boolean][] = [
  ['branches', branch, true],
  ['branches', tag, false],
  ['branches', mr, false],
  ['branches', schedule, true],
  ['tags', tag, true],
  ['tags', branch, false],
  ['main', branch, true],
  ['master', branch, false],
  ['main', tag, false],
  ['v1.4.0', tag, true],
  ['pushes', branch, true],
  ['pushes', tag, true],
  ['pushes', schedule, false],
  ['push', branch, true],
  ['schedules', schedule, true],
  ['schedules', branch, false],
  ['web', web, true],
  ['web', branch, false],
  ['api', api, true],
  ['triggers', trigger, true],
  ['pipelines', pipeline, true],
  ['chat', chat, true],
  ['external', external, true],
  ['merge_requests', mr, true],
  ['merge_requests', branch, false],
  ['external_pull_requests', extPr, true],
  // names and regexes are not matched for merge request pipelines
  ['feature/login', mr, false],
  ['/^feature/', mr, false],
  ['/^feature/', feature, true],
  ['/^FEATURE/', feature, false],
  ['/^FEATURE/i', feature, true],
  ['/^v\\d+\\.\\d+\\.\\d+$/', tag, true],
  ['/^v\\d+\\.\\d+$/', tag, false],
  // Ruby anchors
  ['/\\Amain\\Z/', branch, true],
  ['/\\Amain\\z/', branch, true],
  ['/\\Amai\\Z/', branch, false],
  ['/\\A[0-9]+-[0-9]+-stable\\Z/', context({ ref: '12-1-stable' }), true],
  ['/\\A[0-9]+-[0-9]+-stable\\Z/', context({ ref: '12-1-stable-ee' }), false],
  ['/(^docs[\\/-].*|.*-docs$)/', context({ ref: 'documentation' }), false],
  ['/(^docs[\\/-].*|.*-docs$)/', context({ ref: 'docs/fix' }), true],
  ['/(^docs[\\/-].*|.*-docs$)/', context({ ref: 'update-docs' }), true],
  // Ruby-only constructs (GitLab falls back to Ruby's Regexp): lookahead
  ['/^(?!wip-).*/', context({ ref: 'wip-x' }), false],
  ['/^(?!wip-)/', context({ ref: 'ready' }), true],
  // an invalid regex is compared literally
  ['/([/', context({ ref: '/([/' }), true],
  // ref@project
  ['main@gitlab-org/gitlab-runner', upstream, true],
  ['main@gitlab-org/gitlab-runner', branch, false],
  ['branches@gitlab-org/gitlab-runner', upstream, true],
  ['branches@group/project', branch, true],
  ['/.*/@gitlab-org/gitlab-runner', branch, false],
  ['tags@group/project', tag, true],
];

for (const [entry, ctx, expected] of refCases) {
  test(`refs: ${entry} on ${ctx.isTag ? 'tag' : ctx.source} ${ctx.ref} → ${expected}`, () => {
    assert.equal(refMatches(entry, ctx), expected);
  });
}

const all = files('all');

test('default: no only/except → only: [branches, tags]', () => {
  assert.equal(evaluateOnlyExcept(undefined, undefined, {}, branch, all).created, true);
  assert.equal(evaluateOnlyExcept(undefined, undefined, {}, tag, all).created, true);
  const r = evaluateOnlyExcept(undefined, undefined, {}, mr, all);
  assert.equal(r.created, false);
  assert.match(r.reason, /branches, tags/);
});

test('except alone keeps the default only', () => {
  const except = spec({ refs: ['main'] });
  assert.equal(evaluateOnlyExcept(undefined, except, {}, branch, all).created, false);
  assert.equal(evaluateOnlyExcept(undefined, except, {}, feature, all).created, true);
  assert.equal(evaluateOnlyExcept(undefined, except, {}, mr, all).created, false);
});

test('only refs list: any entry', () => {
  const only = spec({ refs: ['master', 'tags', '/^release-/'] });
  assert.equal(evaluateOnlyExcept(only, undefined, {}, branch, all).created, false);
  assert.equal(evaluateOnlyExcept(only, undefined, {}, tag, all).created, true);
  assert.equal(evaluateOnlyExcept(only, undefined, {}, context({ ref: 'release-2' }), all).created, true);
});

test('only: variables — any expression true; combined with refs all keys must hold', () => {
  const only = spec({ refs: ['branches'], variables: ['$RELEASE == "staging"', '$STAGING'] });
  assert.equal(evaluateOnlyExcept(only, undefined, { RELEASE: 'staging' }, branch, all).created, true);
  assert.equal(evaluateOnlyExcept(only, undefined, { STAGING: '1' }, branch, all).created, true);
  const r = evaluateOnlyExcept(only, undefined, {}, branch, all);
  assert.equal(r.created, false);
  assert.match(r.reason, /only:variables/);
  assert.equal(evaluateOnlyExcept(only, undefined, { STAGING: '1' }, tag, all).created, false);
});

test('only: variables without refs does not restrict refs', () => {
  const only = spec({ variables: ['$CI_COMMIT_MESSAGE =~ /run-e2e/'] });
  assert.equal(evaluateOnlyExcept(only, undefined, { CI_COMMIT_MESSAGE: 'x run-e2e' }, mr, all).created, true);
});

test('except: the job is excluded when ANY except key holds', () => {
  const except = spec({ refs: ['main'], variables: ['$SKIP'] });
  assert.equal(evaluateOnlyExcept(undefined, except, {}, feature, all).created, true);
  assert.equal(evaluateOnlyExcept(undefined, except, { SKIP: '1' }, feature, all).created, false);
  const r = evaluateOnlyExcept(undefined, except, {}, branch, all);
  assert.equal(r.created, false);
  assert.equal(r.reason, 'except:refs matched');
});

test('only + except together', () => {
  const only = spec({ refs: ['branches'] });
  const except = spec({ refs: ['/^wip\\//'] });
  assert.equal(evaluateOnlyExcept(only, except, {}, feature, all).created, true);
  assert.equal(evaluateOnlyExcept(only, except, {}, context({ ref: 'wip/x' }), all).created, false);
  assert.equal(evaluateOnlyExcept(only, except, {}, tag, all).created, false);
});

test('only/except changes', () => {
  const only = spec({ refs: ['branches', 'merge_requests'], changes: ['docs/**/*', '*.md'] });
  assert.equal(evaluateOnlyExcept(only, undefined, {}, branch, all).created, true, '"all" → true');
  assert.equal(evaluateOnlyExcept(only, undefined, {}, mr, files(['docs/a/b.txt'])).created, true);
  assert.equal(evaluateOnlyExcept(only, undefined, {}, mr, files(['README.md'])).created, true);
  assert.equal(evaluateOnlyExcept(only, undefined, {}, mr, files(['src/x/README.md'])).created, false);
  const except = spec({ changes: ['docs/**/*'] });
  assert.equal(evaluateOnlyExcept(undefined, except, {}, feature, files(['docs/x'])).created, false);
  assert.equal(evaluateOnlyExcept(undefined, except, {}, feature, files(['src/x'])).created, true);
});

test('kubernetes: active is never satisfied locally', () => {
  assert.equal(evaluateOnlyExcept(spec({ kubernetes: 'active' }), undefined, {}, branch, all).created, false);
  assert.equal(evaluateOnlyExcept(undefined, spec({ kubernetes: 'active' }), {}, branch, all).created, true);
});

test('an empty spec sets no condition', () => {
  assert.equal(evaluateOnlyExcept(spec({}), spec({}), {}, mr, all).created, true);
});

test('malformed only:variables expression is a ConfigError with position', () => {
  assert.throws(
    () => evaluateOnlyExcept(spec({ variables: ['$X =='] }), undefined, {}, branch, all),
    /^Error|\.gitlab-ci\.yml:3:5: only:variables:0: invalid expression/,
  );
});
