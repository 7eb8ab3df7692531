import { test } from 'node:test';
import assert from 'node:assert/strict';
import { job, makeProject, parseSummary, readLog, runKiln } from '../helpers/project.js';

const YAML = `
stages: [build, test, cleanup]
flaky:
  stage: build
  retry: 2
  script:
    - n=$(cat /tmp/kiln-flaky-$CI_PIPELINE_ID-$RUN_TAG 2>/dev/null || echo 0)
    - echo $((n + 1)) > /tmp/kiln-flaky-$CI_PIPELINE_ID-$RUN_TAG
    - test $n -ge 1
slow:
  stage: build
  timeout: 1s
  script:
    - echo starting
    - sleep 20
  after_script:
    - echo "after_script sees $CI_JOB_STATUS"
allowed:
  stage: build
  allow_failure:
    exit_codes: [3]
  script: [exit 3]
not-retried:
  stage: build
  retry:
    max: 2
    when: [runner_system_failure]
  allow_failure: true
  script: [exit 1]
after-fails:
  stage: build
  script: [echo main ok]
  after_script: [exit 9]
skipped-by-failure:
  stage: test
  script: [echo should not run]
on-failure:
  stage: cleanup
  when: on_failure
  script: [echo "cleaning up after failure"]
always:
  stage: cleanup
  when: always
  script: [echo always]
manual-deploy:
  stage: cleanup
  when: manual
  script: [echo deploy]
`;

test('retry, timeout, allow_failure, after_script and when semantics end to end', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': YAML });
  const tag = String(process.pid) + Date.now();
  const r = await runKiln(['run', '--dir', dir, '--json', '--variable', `RUN_TAG=${tag}`]);
  assert.equal(r.code, 1, 'the timed-out job fails the pipeline');
  const s = parseSummary(r.stdout);
  assert.equal(s.status, 'failed');
  assert.deepEqual([job(s, 'flaky').status, job(s, 'flaky').attempts], ['success', 2]);
  assert.equal(job(s, 'slow').status, 'failed');
  assert.match(job(s, 'slow').message!, /job timed out after 1\.0s/);
  const slowLog = await readLog(s, 'slow');
  // As on GitLab: the job's own timeout ends the job; after_script does not run (see the next test for how it can).
  assert.match(slowLog, /step_script could not run to completion because the timeout was exceeded/);
  assert.doesNotMatch(slowLog, /after_script sees/);
  assert.match(slowLog, /ERROR: Job failed: job timed out after 1\.0s/);
  assert.equal(job(s, 'allowed').status, 'failed (allowed)');
  assert.deepEqual([job(s, 'not-retried').attempts, job(s, 'not-retried').status], [1, 'failed (allowed)']);
  assert.equal(job(s, 'after-fails').status, 'success', 'after_script failure does not change the status');
  assert.match(await readLog(s, 'after-fails'), /WARNING: after_script failed with exit code 9/);
  assert.equal(job(s, 'skipped-by-failure').status, 'skipped');
  assert.equal(job(s, 'on-failure').status, 'success');
  assert.equal(job(s, 'always').status, 'success');
  assert.equal(job(s, 'manual-deploy').status, 'manual', 'manual jobs are not run unless played');
  assert.equal(job(s, 'manual-deploy').log, undefined);
  const m = await runKiln(['run', '--dir', dir, '--json', 'manual-deploy']);
  assert.equal(m.code, 0, m.stderr);
  assert.equal(job(parseSummary(m.stdout), 'manual-deploy').status, 'success');
});

test('a missing command fails the job with exit code 127; exit code of the pipeline is 1; console shows prefixed lines', async () => {
  const dir = await makeProject({
    '.gitlab-ci.yml': 'broken:\n  script: [kiln-no-such-command --x]\nfine:\n  script: [echo fine-output]\n',
  });
  const r = await runKiln(['run', '--dir', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^broken \| .*kiln-no-such-command: command not found$/m);
  assert.match(r.stdout, /^fine   \| fine-output$/m);
  assert.match(r.stdout, /broken\s+failed\s+\S+\s+-\s+-\s+exit code 127/);
  assert.match(r.stdout, /Pipeline failed/);
});

test('RUNNER_SCRIPT_TIMEOUT ends the script early so after_script and on_failure artifacts still run; RUNNER_AFTER_SCRIPT_TIMEOUT limits after_script', async () => {
  const yaml = `
limited:
  timeout: 1m
  variables:
    RUNNER_SCRIPT_TIMEOUT: 1s
    RUNNER_AFTER_SCRIPT_TIMEOUT: 2s
  script:
    - echo partial > report.txt
    - sleep 30
  after_script:
    - echo "after_script sees $CI_JOB_STATUS"
    - sleep 30
  artifacts:
    when: on_failure
    paths: [report.txt]
bad-value:
  variables:
    RUNNER_SCRIPT_TIMEOUT: soon
  script: [echo ok]
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml });
  const t0 = Date.now();
  const r = await runKiln(['run', '--dir', dir, '--json']);
  assert.ok(Date.now() - t0 < 25_000, 'neither the script nor after_script ran their 30 s');
  const s = parseSummary(r.stdout);
  const limited = job(s, 'limited');
  assert.equal(limited.status, 'failed');
  assert.match(limited.message!, /script timed out after 1\.0s \(RUNNER_SCRIPT_TIMEOUT\)/);
  const log = await readLog(s, 'limited');
  assert.match(log, /step_script could not run to completion because the timeout was exceeded/);
  assert.match(log, /after_script sees failed/);
  assert.match(log, /WARNING: after_script timed out/);
  assert.match(log, /Uploaded 1 files/);
  assert.equal(job(s, 'bad-value').status, 'success');
  assert.match(
    await readLog(s, 'bad-value'),
    /WARNING: RUNNER_SCRIPT_TIMEOUT "soon" is not a duration such as 10m or 1h30m; ignoring it/,
  );
});
