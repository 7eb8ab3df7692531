// `kiln runner run` scaling and stopping: 20 jobs with concurrent = 4 (never more than 4 at once, all run),
// `limit` per runner, SIGQUIT (finish the running job, take no new one), SIGTERM (cancel and report).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { kiln, runRunner, scenario, type Scenario } from './helpers/setup.js';

const scenarios: Scenario[] = [];
after(async () => {
  for (const s of scenarios) await s.coordinator.stop();
});

function maxOverlap(spans: [number, number][]): number {
  const events = spans
    .flatMap(
      ([a, b]) =>
        [
          [a, 1],
          [b, -1],
        ] as [number, number][],
    )
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of events) max = Math.max(max, (cur += d));
  return max;
}

test('20 jobs with concurrent = 4: all succeed, at most 4 at once, and 4 do run together', async () => {
  const s = await scenario({}, { concurrent: 4 });
  scenarios.push(s);
  const c = s.coordinator;
  const jobs = Array.from({ length: 20 }, (_, i) =>
    c.enqueue({ name: `job-${i}`, script: [`echo job ${i}`, 'sleep 0.6'] }),
  );
  const r = await runRunner(s, 20).done;
  assert.equal(r.code, 0, r.stderr);
  for (const j of jobs) assert.equal(j.status, 'success', j.trace.toString());
  const spans = jobs.map((j) => [j.startedAt!, j.finishedAt!] as [number, number]);
  assert.equal(maxOverlap(spans), 4);
  // Separate workspaces per slot: no two concurrent jobs share a directory.
  const dirs = jobs.map((j) =>
    /Initialized empty Git repository in (\S+)|Reinitialized existing Git repository in (\S+)/
      .exec(j.trace.toString())
      ?.slice(1)
      .find(Boolean),
  );
  assert.equal(new Set(dirs).size, 4, `slots: ${[...new Set(dirs)].join(', ')}`);
});

test('limit = 2 on the runner caps it below concurrent = 4', async () => {
  const s = await scenario({}, { concurrent: 4, limit: 2 });
  scenarios.push(s);
  const jobs = Array.from({ length: 6 }, (_, i) => s.coordinator.enqueue({ name: `j${i}`, script: ['sleep 0.5'] }));
  const r = await runRunner(s, 6).done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(maxOverlap(jobs.map((j) => [j.startedAt!, j.finishedAt!])), 2);
});

test('SIGQUIT: the running job finishes and reports, no new job is taken', async () => {
  const s = await scenario();
  scenarios.push(s);
  const c = s.coordinator;
  const first = c.enqueue({ name: 'running', script: ['echo started', 'sleep 2', 'echo finished'] });
  const second = c.enqueue({ name: 'waiting', script: ['echo never'] });
  const run = kiln(['runner', 'run', '-c', s.configFile, '--work-dir', s.workDir, '--json']);
  await c.waitFor(() => first.trace.includes('started'), 30_000, 'the job to start');
  run.child.kill('SIGQUIT');
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(first.status, 'success');
  assert.match(first.trace.toString(), /finished/);
  assert.equal(second.status, 'pending');
  assert.match(r.stderr, /SIGQUIT: no new jobs/);
});

test('SIGTERM: the running job is canceled (after_script runs) and reported as failed', async () => {
  const s = await scenario();
  scenarios.push(s);
  const c = s.coordinator;
  const job = c.enqueue({
    name: 'victim',
    script: ['echo started', 'sleep 30', 'echo not-reached'],
    afterScript: ['echo "after: $CI_JOB_STATUS"'],
  });
  const run = kiln(['runner', 'run', '-c', s.configFile, '--work-dir', s.workDir, '--json']);
  await c.waitFor(() => job.trace.includes('started'), 30_000, 'the job to start');
  run.child.kill('SIGTERM');
  const r = await run.done;
  assert.equal(r.code, 130, r.stderr);
  assert.equal(job.status, 'failed');
  assert.equal(job.final?.state, 'failed');
  // runner_interrupted is not in the double's failure_reasons, so it maps to unknown_failure (common/network.go).
  assert.equal(job.final?.failure_reason, 'unknown_failure');
  assert.match(job.trace.toString(), /after: canceled/);
  assert.match(job.trace.toString(), /the runner is stopping \(SIGTERM\)/);
  assert.doesNotMatch(job.trace.toString(), /not-reached/);
});

test('long polling: a job queued while GitLab holds the request is taken at once; last_update is sent back', async () => {
  const s = await scenario({}, { checkInterval: 5 });
  scenarios.push(s);
  const c = s.coordinator;
  c.faults.longPollMs = 4000;
  const run = runRunner(s, 1);
  // First answer: 204 after 4 s; then the runner waits check_interval and asks again; queue the job while GitLab
  // holds that second request.
  await c.waitFor(() => c.requests.length >= 1 && c.held === 1, 30_000, 'a second, held request');
  await new Promise((r) => setTimeout(r, 300));
  const queuedAt = Date.now();
  const job = c.enqueue({ name: 'late', script: ['echo late'] });
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(job.status, 'success');
  assert.ok(
    job.startedAt! - queuedAt < 1500,
    `handed out ${job.startedAt! - queuedAt} ms after queuing (check_interval is 5 s)`,
  );
  const got = c.requests.find((q) => q.status === 201)!;
  assert.equal(got.body.last_update, 'lu-1', 'X-GitLab-Last-Update of the previous answer');
});
