// Job creation: workflow:rules, rules (when/allow_failure/variables/needs/start_in), only/except, parallel: N,
// parallel:matrix names, needs expansion and needs:parallel:matrix, dependencies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { lintPipeline } from '../../src/pipeline/load.js';
import { FEATURES, job, load, varValues } from './helpers.js';

test('workflow:rules create the pipeline and set variables; name is expanded', async () => {
  const p = await load('workflow');
  assert.equal(p.workflow?.created, true);
  assert.equal(p.workflowName, 'Pipeline for main');
  assert.equal(varValues(job(p, 'deploy')).DEPLOY_TO, 'production');
  assert.equal(p.variables.DEPLOY_TO.value, 'production', 'workflow:rules:variables act as global variables');
  const other = await load('workflow', { ref: 'feature' });
  assert.deepEqual(other.jobs, []);
  assert.equal(other.excluded[0].name, 'deploy');
});

test('workflow:rules when: never means no pipeline', async () => {
  const p = await load('workflow', { ref: 'v1.0', tag: true });
  assert.equal(p.workflow?.created, false);
  assert.deepEqual(p.jobs, []);
});

test('rules: variables visible to if, when, allow_failure, variables, needs, start_in', async () => {
  const p = await load('rules');
  const b = job(p, 'build');
  assert.equal(b.when, 'on_success');
  assert.equal(b.allowFailure.allowed, true);
  assert.equal(varValues(b).FROM_RULE, '1');
  const lint = job(p, 'lint');
  assert.equal(lint.when, 'manual');
  assert.equal(lint.allowFailure.allowed, false, 'rules when: manual does not allow failure by default');
  assert.deepEqual(
    job(p, 'test').needs?.map((n) => n.job),
    ['build', 'lint'],
  );
  assert.equal(job(p, 'later').startInSeconds, 300);
  const excluded = Object.fromEntries(p.excluded.map((e) => [e.name, e.reason]));
  assert.deepEqual(Object.keys(excluded).sort(), ['except-main', 'never', 'only-project', 'only-tags']);
  const skip = await load('rules', { variables: { SKIP_LINT_NEED: { value: '1', expand: false } } });
  assert.deepEqual(
    job(skip, 'test').needs?.map((n) => n.job),
    ['build'],
    'rules:needs replaces needs',
  );
  // User variables override YAML globals: MODE=quick excludes build, which test needs (not optional).
  await assert.rejects(
    load('rules', { variables: { MODE: { value: 'quick', expand: false } } }),
    /jobs:test:needs: job "build" is not created in this pipeline/,
  );
  const errs = await lintPipeline({
    projectDir: join(FEATURES, 'rules'),
    ref: 'main',
    variables: { MODE: { value: 'quick', expand: false } },
  });
  assert.equal(errs.length, 1, 'only:variables [$MODE == "full"] now false: only-main-regex is simply not created');
});

test('parallel: N and parallel:matrix get GitLab names; needs expand to every instance', async () => {
  const p = await load('parallel');
  const names = p.jobs.map((j) => j.name);
  assert.deepEqual(names.slice(0, 8), [
    'unit 1/3',
    'unit 2/3',
    'unit 3/3',
    'build: [amd64, bookworm]',
    'build: [amd64, 2]',
    'build: [arm64, bookworm]',
    'build: [arm64, 2]',
    'build: [riscv64, sid]',
  ]);
  assert.deepEqual(job(p, 'build: [arm64, 2]').parallel, {
    index: 4,
    total: 5,
    matrix: { ARCH: 'arm64', DISTRO: '2' },
  });
  assert.equal(job(p, 'package').needs?.length, 8);
  assert.deepEqual(
    job(p, 'one').needs?.map((n) => n.job),
    ['build: [arm64, 2]'],
  );
  assert.deepEqual(job(p, 'picked').needs, [
    { job: 'build: [amd64, bookworm]', artifacts: false, optional: false },
    { job: 'build: [amd64, 2]', artifacts: false, optional: false },
  ]);
  assert.deepEqual(job(p, 'deps').dependencies, ['unit 1/3', 'unit 2/3', 'unit 3/3']);
});

test('rules see matrix variables, per instance', async () => {
  const p = await load('parallel');
  assert.ok(p.jobs.some((j) => j.name === 'matrix-rules: [keep]'));
  assert.deepEqual(
    p.excluded.map((e) => e.name),
    ['matrix-rules: [drop]'],
  );
});

test('workflow:auto_cancel, workflow:rules:auto_cancel (key by key) and rules:interruptible', async () => {
  const main = await load('auto-cancel');
  assert.deepEqual(main.autoCancel, { onNewCommit: 'interruptible', onJobFailure: 'all' });
  assert.equal(job(main, 'build').interruptible, true, 'default: interruptible');
  assert.equal(job(main, 'deploy').interruptible, false, 'rules:interruptible overrides it');
  const release = await load('auto-cancel', { ref: 'release' });
  assert.deepEqual(release.autoCancel, { onNewCommit: 'none', onJobFailure: 'all' });
  assert.equal(job(release, 'deploy').interruptible, true, 'a rule without interruptible keeps the job value');
  const plain = await load('rules');
  assert.deepEqual(plain.autoCancel, { onNewCommit: 'conservative', onJobFailure: 'none' }, 'GitLab defaults');
});
