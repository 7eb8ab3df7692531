// Manual jobs as on GitLab (CI/CD YAML reference `when: manual`, "Types of manual jobs"): a blocking manual job
// that is not played stops later stages and every job that needs it, and the pipeline ends as blocked; an optional
// one does not block; a blocked pipeline continues with `kiln run --pipeline N --manual NAME`, reusing the
// artifacts of the jobs that already ran.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { job, makeProject, parseSummary, readLog, runKiln } from '../helpers/project.js';
import { holdForManual } from '../../../src/plan/manual.js';
import { makeJob, needs } from '../helpers/model.js';

const YAML = `
stages: [build, approve, deploy, verify]
build:
  stage: build
  script: [mkdir -p out, echo v1 > out/app]
  artifacts: { paths: [out/] }
optional-docs:
  stage: build
  when: manual
  script: [echo docs]
approve:
  stage: approve
  rules:
    - when: manual
  script: [echo approved]
deploy:
  stage: deploy
  script: [cat out/app, echo deployed]
notify:
  stage: deploy
  needs: [approve]
  script: [echo notified]
independent:
  stage: verify
  needs: []
  script: [echo independent]
`;

test('a blocking manual job holds later stages and its dependents: the pipeline is blocked, then continued', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': YAML });
  const first = await runKiln(['run', '--json'], { cwd: dir });
  assert.equal(first.code, 3, first.stderr);
  const s = parseSummary(first.stdout);
  assert.equal(s.status, 'blocked');
  assert.equal(job(s, 'build').status, 'success');
  assert.equal(job(s, 'independent').status, 'success');
  assert.equal(job(s, 'approve').status, 'manual');
  assert.match(job(s, 'approve').message ?? '', /manual job \(blocking\)/);
  assert.equal(job(s, 'optional-docs').status, 'manual');
  assert.equal(job(s, 'deploy').status, 'blocked');
  assert.equal(job(s, 'notify').status, 'blocked');
  assert.match(job(s, 'notify').message ?? '', /needs manual job "approve"/);
  assert.equal(job(s, 'deploy').log, undefined);

  const text = await runKiln(['run'], { cwd: dir });
  assert.match(text.stdout, /Pipeline blocked/);
  assert.match(text.stdout, /continue with kiln run --pipeline \d+ --manual "approve"/);

  // Continue the first pipeline: approve is played, deploy gets build's artifacts from that pipeline.
  const cont = await runKiln(['run', '--json', '--pipeline', String(s.pipelineId), '--manual', 'approve'], {
    cwd: dir,
  });
  assert.equal(cont.code, 0, cont.stderr + cont.stdout);
  const c = parseSummary(cont.stdout);
  assert.equal(c.pipelineId, s.pipelineId);
  assert.equal(c.status, 'passed');
  for (const name of ['build', 'approve', 'deploy', 'notify', 'independent'])
    assert.equal(job(c, name).status, 'success', name);
  assert.equal(job(c, 'optional-docs').status, 'manual');
  assert.match(await readLog(c, 'deploy'), /v1/);
  // build ran once, in the first run: its record is the earlier one.
  assert.equal(job(c, 'build').startedAt, job(s, 'build').startedAt);
});

test('--manual alone plays every manual job; naming a manual job plays it', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': YAML });
  const all = parseSummary((await runKiln(['run', '--json', '--manual'], { cwd: dir })).stdout);
  assert.equal(all.status, 'passed');
  assert.equal(job(all, 'optional-docs').status, 'success');
  const named = await runKiln(['run', '--json', 'approve'], { cwd: dir });
  assert.equal(parseSummary(named.stdout).status, 'passed');
  const unknown = await runKiln(['run', '--manual', 'nope'], { cwd: dir });
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /no job named "nope"/);
});

test('holdForManual: optional manual jobs hold only their dependents; blocking ones hold later stages', () => {
  const jobs = [
    makeJob('m-opt', { stage: 'build', stageIndex: 0, when: 'manual', allowFailure: { allowed: true, exitCodes: [] } }),
    makeJob('after-opt', { stage: 'test', stageIndex: 1 }),
    makeJob('needs-opt', { stage: 'test', stageIndex: 1, needs: needs('m-opt') }),
    makeJob('chain', { stage: 'test', stageIndex: 1, needs: needs('needs-opt') }),
  ];
  const r = holdForManual(jobs, () => false);
  assert.deepEqual(r.blocking, []);
  assert.deepEqual(r.held.map((h) => [h.name, h.kind]).sort(), [
    ['chain', 'blocked'],
    ['m-opt', 'manual'],
    ['needs-opt', 'blocked'],
  ]);
  assert.match(r.held.find((h) => h.name === 'chain')!.reason, /needs "needs-opt", which waits for manual job "m-opt"/);
  assert.deepEqual(holdForManual(jobs, () => true).held, []);
});
