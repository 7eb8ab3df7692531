// `kiln runner run` when things go wrong: cancel from GitLab mid-job (canceling: after_script runs; canceled:
// stop at once), the connection lost mid-trace (no byte lost or duplicated), a 5 MB trace (whole with a larger
// output_limit, cut with GitLab Runner's notice at the default 4 MiB), a final update failing twice,
// 429 / 500 on jobs/request, the job timeout.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { runRunner, scenario, type Scenario } from './helpers/setup.js';

const scenarios: Scenario[] = [];
after(async () => {
  for (const s of scenarios) await s.coordinator.stop();
});

test('cancel from GitLab: canceling stops the script and still runs after_script; canceled stops at once', async () => {
  const s = await scenario();
  scenarios.push(s);
  const c = s.coordinator;
  // The jobs write now and then: like GitLab Runner, kiln learns about a cancel from the answer to a trace patch
  // (a silent job is touched with a PUT only every 30 s).
  const busy = 'for i in $(seq 1 60); do echo tick; sleep 0.5; done';
  const graceful = c.enqueue({
    name: 'long',
    script: ['echo started', busy, 'echo not-reached'],
    afterScript: ['echo "after: $CI_JOB_STATUS"'],
  });
  const hard = c.enqueue({
    name: 'long-hard',
    needs: [],
    script: ['echo started', busy, 'echo not-reached'],
    afterScript: ['echo after-hard'],
  });
  const run = runRunner(s, 2);
  await c.waitFor(() => graceful.trace.includes('started'), 30_000, 'the first job to start');
  const t0 = Date.now();
  c.cancel(graceful, true);
  await c.waitFor(() => graceful.status === 'canceled', 30_000, 'the canceled job to report');
  assert.ok(Date.now() - t0 < 10_000, 'canceled within a few update intervals');
  await c.waitFor(() => hard.trace.includes('started'), 30_000, 'the second job to start');
  c.cancel(hard, false);
  const r = await run.done;
  assert.equal(r.code, 1, r.stderr);
  const t = graceful.trace.toString();
  assert.doesNotMatch(t, /not-reached/);
  assert.match(t, /after: canceled/);
  assert.match(t, /ERROR: Job failed: canceled/);
  assert.equal(graceful.final?.state, 'failed');
  assert.equal(hard.status, 'canceled');
  assert.doesNotMatch(hard.trace.toString(), /after-hard|not-reached/);
  assert.deepEqual(run.outcomes.map((o) => o.status).sort(), ['canceled', 'canceled']);
});

test('connection lost around trace patches: the trace arrives whole, no byte lost or duplicated', async () => {
  const s = await scenario();
  scenarios.push(s);
  const c = s.coordinator;
  // Patch 2 is dropped after the server stored it (the runner must not resend it), patch 3 before (it must).
  c.faults.dropPatch = (_job, n) => (n === 2 ? 'after-store' : n === 3 ? 'before-store' : undefined);
  const job = c.enqueue({ name: 'chatty', script: ['for i in $(seq 1 12); do echo "line $i"; sleep 0.5; done'] });
  const r = await runRunner(s, 1).done;
  assert.equal(r.code, 0, r.stderr);
  const t = job.trace.toString();
  assert.equal(job.status, 'success', t);
  const lines = t.split('\n').filter((l) => /^line \d+$/.test(l));
  assert.deepEqual(
    lines,
    Array.from({ length: 12 }, (_, i) => `line ${i + 1}`),
  );
  assert.ok(job.patches >= 4, `patches: ${job.patches}`);
  assert.equal(job.rangeMismatches, 1, 'the patch stored before the drop was answered by 416 and not sent again');
  assert.equal(job.final?.bytesize, job.trace.length);
});

test("5 MB trace: whole with output_limit = 8192, cut at 4 MiB with GitLab Runner's notice by default", async () => {
  const line = 'x'.repeat(1023);
  const script = [`for i in $(seq 1 5120); do echo ${line}; done`];
  const big = await scenario({}, { outputLimitKb: 8192 });
  scenarios.push(big);
  const whole = big.coordinator.enqueue({ name: 'big', script });
  const r1 = await runRunner(big, 1).done;
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(whole.status, 'success');
  assert.equal(
    whole.trace
      .toString()
      .split('\n')
      .filter((l) => l === line).length,
    5120,
  );
  assert.ok(whole.patches >= 5, `1 MiB per patch at most: ${whole.patches} patches`);

  const dflt = await scenario();
  scenarios.push(dflt);
  const cut = dflt.coordinator.enqueue({ name: 'big', script });
  const r2 = await runRunner(dflt, 1).done;
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(cut.status, 'success');
  assert.match(
    cut.trace.toString(),
    /Job's log exceeded limit of 4194304 bytes\.\nJob execution will continue but no more output will be collected\./,
  );
  assert.ok(cut.trace.length < 4194304 + 500, `${cut.trace.length}`);
});

test('the final update fails twice: retried until GitLab accepts it', async () => {
  const s = await scenario();
  scenarios.push(s);
  const c = s.coordinator;
  c.faults.finalUpdateFailures = 2;
  const job = c.enqueue({ name: 'flaky-update', script: ['echo done'] });
  const r = await runRunner(s, 1).done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(job.status, 'success');
  assert.equal(job.updates.filter((u) => u.state === 'success').length, 3);
  assert.equal(c.faults.finalUpdateFailures, 0);
  assert.equal(job.final?.checksum.startsWith('crc32:'), true);
});

test('jobs/request answering 429 and 500: the runner backs off (Retry-After honoured), then takes the job', async () => {
  const s = await scenario({}, { checkInterval: 1 });
  scenarios.push(s);
  const c = s.coordinator;
  c.faults.requestStatuses = [429, 500];
  c.faults.retryAfterS = 2;
  const job = c.enqueue({ name: 'after-backoff', script: ['echo ok'] });
  const r = await runRunner(s, 1).done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(job.status, 'success');
  const [a, b, got] = c.requests;
  assert.deepEqual([a.status, b.status, got.status], [429, 500, 201]);
  assert.ok(b.at - a.at >= 1900, `waited ${b.at - a.at} ms after 429 with Retry-After: 2`);
  assert.ok(got.at - b.at >= 900, `backed off ${got.at - b.at} ms after 500`);
  assert.match(r.stderr, /asking for jobs failed/);
  // What the runner said about itself (common/network.go JobRequest / Info).
  const info = got.body.info as { name: string; executor: string; features: Record<string, boolean> };
  assert.equal(info.executor, 'shell');
  assert.equal(info.features.cancel_gracefully, true);
  assert.equal(got.body.last_update, undefined);
});

test('the job timeout ends the job: job_execution_timeout, nothing after the script', async () => {
  const s = await scenario();
  scenarios.push(s);
  const job = s.coordinator.enqueue({
    name: 'slow',
    timeout: 2,
    script: ['echo begin', 'sleep 20'],
    afterScript: ['echo after-timeout'],
  });
  const r = await runRunner(s, 1).done;
  assert.equal(r.code, 1);
  assert.equal(job.final?.state, 'failed');
  assert.equal(job.final?.failure_reason, 'job_execution_timeout');
  assert.doesNotMatch(job.trace.toString(), /after-timeout/);
});

test("GitLab's copy of the trace is wrong at the final update (412): the whole trace is sent again, then accepted", async () => {
  const s = await scenario();
  scenarios.push(s);
  const c = s.coordinator;
  c.faults.loseTraceByteOnce = true;
  const job = c.enqueue({ name: 'resend', script: ['for i in 1 2 3; do echo "line $i"; done'] });
  const r = await runRunner(s, 1).done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(job.status, 'success');
  assert.equal(job.updates.filter((u) => u.state === 'success').length, 2);
  assert.match(job.trace.toString(), /line 1\nline 2\nline 3\n[^]*Job succeeded/);
  assert.equal(job.final?.bytesize, job.trace.length);
});

test('GitLab refuses the runner token (403 on jobs/request): the runner stops with a clear error', async () => {
  const s = await scenario();
  scenarios.push(s);
  s.coordinator.runnerTokens.clear();
  const r = await runRunner(s, 1).done;
  assert.equal(r.code, 1);
  assert.match(r.stderr, /GitLab refused the runner token \(403 from jobs\/request\)/);
  assert.doesNotMatch(r.stderr, /kilnTestToken/);
});

test('what kiln cannot do fails the job with a reason: external secrets, GitLab Steps', async () => {
  const s = await scenario();
  scenarios.push(s);
  const c = s.coordinator;
  const original = c.payloadHook;
  c.payloadHook = (job, p) => {
    if (job.spec.name === 'vault')
      p.secrets = { DB_PASSWORD: { vault: { engine: { name: 'kv-v2', path: 'kv' }, path: 'db', field: 'pw' } } };
    if (job.spec.name === 'steps') p.run = '[{"name":"hello","script":"echo hi"}]';
    return original ? original(job, p) : p;
  };
  const vault = c.enqueue({ name: 'vault', script: ['echo "pw=$DB_PASSWORD"'] });
  const steps = c.enqueue({ name: 'steps', script: [] });
  const r = await runRunner(s, 2).done;
  assert.equal(r.code, 1);
  assert.equal(vault.final?.state, 'failed');
  assert.match(
    vault.trace.toString(),
    /uses external secrets \(DB_PASSWORD\); kiln cannot resolve Vault or cloud secrets/,
  );
  assert.doesNotMatch(vault.trace.toString(), /pw=/);
  assert.equal(steps.final?.state, 'failed');
  assert.match(steps.trace.toString(), /GitLab Steps \(run:\)/);
});
