import { test } from 'node:test';
import assert from 'node:assert/strict';
import { job, makeProject, parseSummary, runKiln } from '../helpers/project.js';

const YAML = `
stages: [build, test]
a:
  stage: build
  script: [echo a]
slow:
  stage: build
  script: [sleep 1.5, echo slow]
needs-a:
  stage: test
  needs: [a]
  script: [echo "needs a"]
stage-order:
  stage: test
  script: [echo "after the build stage"]
`;

test('a job needing only `a` starts before its slow sibling ends; stage order for jobs without needs', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': YAML });
  const r = await runKiln(['run', '--dir', dir, '--json', '--concurrency', '3']);
  assert.equal(r.code, 0, r.stderr);
  const s = parseSummary(r.stdout);
  const t = (n: string, k: 'startedAt' | 'finishedAt') => Date.parse(job(s, n)[k]!);
  assert.ok(t('needs-a', 'startedAt') >= t('a', 'finishedAt'));
  assert.ok(t('needs-a', 'finishedAt') < t('slow', 'finishedAt'), 'needs-a finished while slow was still running');
  assert.ok(t('stage-order', 'startedAt') >= t('slow', 'finishedAt'), 'stage-order waited for the build stage');
  assert.equal(s.status, 'passed');
});

test('--concurrency 1 serialises; named job with --needs runs its needs; --stage', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': YAML });
  const r = await runKiln(['run', '--dir', dir, '--json', '--needs', 'needs-a']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    parseSummary(r.stdout).jobs.map((j) => j.name),
    ['a', 'needs-a'],
  );
  const st = await runKiln(['run', '--dir', dir, '--json', '--stage', 'test', '-j', '1']);
  const s = parseSummary(st.stdout);
  assert.deepEqual(
    s.jobs.map((j) => j.name),
    ['needs-a', 'stage-order'],
  );
  assert.ok(Date.parse(job(s, 'stage-order').startedAt!) >= Date.parse(job(s, 'needs-a').finishedAt!));
});
