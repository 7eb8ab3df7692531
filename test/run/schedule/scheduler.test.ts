import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedule, SchedulerControl, type SchedulerHooks } from '../../../src/run/schedule/scheduler.js';
import { buildGraph } from '../../../src/plan/graph.js';
import type { AttemptResult } from '../../../src/run/schedule/status.js';
import type { Job } from '../../../src/pipeline/model.js';
import { makeJob, makePipeline, needs } from '../helpers/model.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Script = (job: Job, attempt: number, signal: AbortSignal) => Promise<AttemptResult>;
const ok: AttemptResult = { exitCode: 0, cancelled: false };
const fail = (code = 1): AttemptResult => ({ exitCode: code, cancelled: false, failureReason: 'script_failure' });

function recorder(script: Script) {
  const events: string[] = [];
  const times = new Map<string, { start: number; end: number }>();
  const hooks: SchedulerHooks = {
    async runAttempt(job, attempt, signal) {
      const start = Date.now();
      events.push(`start ${job.name}`);
      const r = await script(job, attempt, signal);
      events.push(`end ${job.name}`);
      times.set(job.name, { start, end: Date.now() });
      return r;
    },
  };
  return { hooks, events, times };
}

test('a job starts as soon as its needs finish, not when its stage is done', async () => {
  const p = makePipeline([
    makeJob('a', { stage: 'build' }),
    makeJob('slow', { stage: 'build' }),
    makeJob('after-a', { stage: 'test', needs: needs('a') }),
    makeJob('stage-based', { stage: 'test' }),
  ]);
  const r = recorder(async (job) => {
    await sleep(job.name === 'slow' ? 300 : 20);
    return ok;
  });
  const res = await schedule(buildGraph(p.jobs), r.hooks, { concurrency: 4 });
  assert.equal(res.passed, true);
  const t = r.times;
  assert.ok(t.get('after-a')!.start < t.get('slow')!.end, 'after-a started while slow was running');
  assert.ok(t.get('stage-based')!.start >= t.get('slow')!.end, 'stage-based waited for the whole build stage');
});

test('concurrency limits the jobs in flight', async () => {
  const p = makePipeline(Array.from({ length: 6 }, (_, i) => makeJob(`j${i}`, { needs: [] })));
  let running = 0;
  let peak = 0;
  const r = recorder(async () => {
    peak = Math.max(peak, ++running);
    await sleep(30);
    running--;
    return ok;
  });
  await schedule(buildGraph(p.jobs), r.hooks, { concurrency: 2 });
  assert.equal(peak, 2);
  assert.equal(r.events.filter((e) => e.startsWith('end')).length, 6);
});

test('when: on_success jobs are skipped after a failure, on_failure and always jobs run', async () => {
  const p = makePipeline([
    makeJob('build', { stage: 'build' }),
    makeJob('test', { stage: 'test' }),
    makeJob('cleanup', { stage: 'deploy', when: 'always' }),
    makeJob('notify', { stage: 'deploy', when: 'on_failure' }),
    makeJob('deploy', { stage: 'deploy' }),
  ]);
  const r = recorder(async (job) => (job.name === 'build' ? fail() : ok));
  const res = await schedule(buildGraph(p.jobs), r.hooks, { concurrency: 2 });
  assert.equal(res.passed, false);
  const st = (n: string) => res.records.get(n)!.status;
  assert.equal(st('build'), 'failed');
  assert.equal(st('test'), 'skipped');
  assert.equal(st('cleanup'), 'success');
  assert.equal(st('notify'), 'success');
  assert.equal(st('deploy'), 'skipped');
});

test('on_failure jobs are skipped when nothing failed; allowed failures do not fail the pipeline', async () => {
  const p = makePipeline([
    makeJob('flaky', { stage: 'build', allowFailure: { allowed: true, exitCodes: [] } }),
    makeJob('coded', { stage: 'build', allowFailure: { allowed: false, exitCodes: [3] } }),
    makeJob('notify', { stage: 'test', when: 'on_failure' }),
    makeJob('next', { stage: 'test' }),
  ]);
  const r = recorder(async (job) => (job.name === 'flaky' ? fail(1) : job.name === 'coded' ? fail(3) : ok));
  const res = await schedule(buildGraph(p.jobs), r.hooks, { concurrency: 2 });
  assert.equal(res.passed, true);
  assert.equal(res.records.get('flaky')!.allowedFailure, true);
  assert.equal(res.records.get('coded')!.allowedFailure, true);
  assert.equal(res.records.get('notify')!.status, 'skipped');
  assert.equal(res.records.get('next')!.status, 'success');
});

test('allow_failure:exit_codes only allows the listed codes', async () => {
  const p = makePipeline([makeJob('coded', { allowFailure: { allowed: false, exitCodes: [3] } })]);
  const res = await schedule(buildGraph(p.jobs), recorder(async () => fail(4)).hooks, { concurrency: 1 });
  assert.equal(res.passed, false);
  assert.equal(res.records.get('coded')!.allowedFailure, false);
});

test('retry: max attempts, when and exit_codes', async () => {
  const p = makePipeline([
    makeJob('flaky', { needs: [], retry: { max: 2, when: [], exitCodes: [] } }),
    makeJob('never-ok', { needs: [], retry: { max: 1, when: ['script_failure'], exitCodes: [] } }),
    makeJob('timeout-only', { needs: [], retry: { max: 2, when: ['job_execution_timeout'], exitCodes: [] } }),
    makeJob('code-42', { needs: [], retry: { max: 2, when: [], exitCodes: [42] } }),
  ]);
  const r = recorder(async (job, attempt) => {
    if (job.name === 'flaky') return attempt < 3 ? fail() : ok;
    if (job.name === 'code-42') return attempt === 1 ? fail(42) : fail(1);
    return fail();
  });
  const res = await schedule(buildGraph(p.jobs), r.hooks, { concurrency: 4 });
  assert.deepEqual(
    ['flaky', 'never-ok', 'timeout-only', 'code-42'].map((n) => [
      res.records.get(n)!.status,
      res.records.get(n)!.attempts,
    ]),
    [
      ['success', 3],
      ['failed', 2],
      ['failed', 1],
      ['failed', 2],
    ],
  );
});

test('resource_group runs one job at a time', async () => {
  const p = makePipeline(['d1', 'd2', 'd3'].map((n) => makeJob(n, { needs: [], resourceGroup: 'prod' })));
  let inGroup = 0;
  let peak = 0;
  const r = recorder(async () => {
    peak = Math.max(peak, ++inGroup);
    await sleep(20);
    inGroup--;
    return ok;
  });
  const res = await schedule(buildGraph(p.jobs), r.hooks, { concurrency: 3 });
  assert.equal(res.passed, true);
  assert.equal(peak, 1);
});

test('delayed jobs wait start_in before starting', async () => {
  const p = makePipeline([makeJob('later', { when: 'delayed', startInSeconds: 0.2 })]);
  const r = recorder(async () => ok);
  const t0 = Date.now();
  const res = await schedule(buildGraph(p.jobs), r.hooks, { concurrency: 1 });
  assert.equal(res.passed, true);
  assert.ok(r.times.get('later')!.start - t0 >= 190);
});

test('cancel: running jobs get the abort, nothing new starts, pending jobs are canceled', async () => {
  const p = makePipeline([
    makeJob('long', { stage: 'build' }),
    makeJob('next', { stage: 'test' }),
    makeJob('later', { stage: 'deploy', when: 'delayed', startInSeconds: 30, needs: [] }),
  ]);
  const controller = new AbortController();
  const r = recorder(async (_job, _a, signal) => {
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    return { exitCode: 143, cancelled: true };
  });
  setTimeout(() => controller.abort(), 50);
  const res = await schedule(buildGraph(p.jobs), r.hooks, { concurrency: 2, signal: controller.signal });
  assert.equal(res.cancelled, true);
  assert.equal(res.passed, false);
  assert.deepEqual(r.events, ['start long', 'end long']);
  assert.equal(res.records.get('long')!.status, 'canceled');
  assert.equal(res.records.get('next')!.status, 'canceled');
  assert.equal(res.records.get('later')!.status, 'canceled');
});

test('control: cancel some jobs; running ones stop, pending ones are canceled, what needs them is skipped', async () => {
  const p = makePipeline([
    makeJob('a', { stage: 'build', needs: [] }),
    makeJob('b', { stage: 'build', needs: [] }),
    makeJob('after-a', { stage: 'test', needs: needs('a'), when: 'always' }),
    makeJob('d', { stage: 'test', needs: needs('b') }),
    makeJob('e', { stage: 'test', needs: needs('b') }),
    makeJob('f', { stage: 'deploy', needs: needs('after-a') }),
  ]);
  const control = new SchedulerControl();
  let releaseB!: () => void;
  const bGate = new Promise<void>((r) => (releaseB = r));
  const started = new Set<string>();
  const r = recorder(async (job, _a, signal) => {
    started.add(job.name);
    if (started.has('a') && started.has('b') && job.name !== 'e') {
      const st = Object.fromEntries(control.states().map((s) => [s.job.name, s.state]));
      assert.deepEqual(st, {
        a: 'running',
        b: 'running',
        'after-a': 'pending',
        d: 'pending',
        e: 'pending',
        f: 'pending',
      });
      control.cancel(['a', 'd'], 'canceled by pipeline 9');
      releaseB();
    }
    if (job.name === 'a') {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      return { exitCode: 143, cancelled: true, message: 'canceled' };
    }
    if (job.name === 'b') await bGate;
    return ok;
  });
  const res = await schedule(buildGraph(p.jobs), r.hooks, { concurrency: 4, control });
  const st = (n: string) => res.records.get(n)!;
  assert.equal(res.cancelled, false, 'the pipeline itself was not canceled');
  assert.equal(res.passed, false);
  assert.equal(st('a').status, 'canceled');
  assert.equal(st('a').message, 'canceled by pipeline 9');
  assert.equal(st('b').status, 'success');
  assert.equal(st('d').status, 'canceled');
  assert.equal(st('d').skipReason, 'canceled by pipeline 9');
  assert.equal(st('d').attempts, 0);
  assert.equal(st('e').status, 'success', 'a job that was not canceled still runs');
  assert.equal(st('after-a').status, 'skipped', 'GitLab runs no job after a canceled one, not even when: always');
  assert.equal(st('after-a').skipReason, 'an earlier job was canceled');
  assert.equal(st('f').status, 'skipped');
  assert.equal(control.active, false);
});

test('control: cancelAll stops everything with the given reason', async () => {
  const p = makePipeline([makeJob('long', { stage: 'build' }), makeJob('next', { stage: 'test' })]);
  const control = new SchedulerControl();
  const r = recorder(async (_job, _a, signal) => {
    control.cancelAll('canceled by pipeline 3');
    assert.equal(signal.aborted, true, 'the running job got the abort at once');
    return { exitCode: 143, cancelled: true };
  });
  const res = await schedule(buildGraph(p.jobs), r.hooks, { concurrency: 2, control });
  assert.equal(res.cancelled, true);
  assert.equal(res.records.get('long')!.message, 'canceled by pipeline 3');
  assert.equal(res.records.get('next')!.status, 'canceled');
  assert.equal(res.records.get('next')!.skipReason, 'canceled by pipeline 3');
});
