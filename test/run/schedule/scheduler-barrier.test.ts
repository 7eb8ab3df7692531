// The scheduler's counters and stage barriers (src/run/schedule/wait-counts.ts) against a naive reference that does what the
// scheduler did before them: scan every waiting job, in `order`, until nothing changes, a job without needs
// waiting for each selected job of every earlier stage. On random pipelines (needs, when, allow_failure, failures)
// both must start and skip the same jobs in the same order and end with the same statuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedule, type SchedulerHooks } from '../../../src/run/schedule/scheduler.js';
import { buildGraph, type JobGraph } from '../../../src/plan/graph.js';
import { shouldRun, type AttemptResult, type Upstream } from '../../../src/run/schedule/status.js';
import type { Job } from '../../../src/pipeline/model.js';
import { makeJob, makePipeline, needs } from '../helpers/model.js';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const STAGES = ['build', 'test', 'deploy', 'post'];

function randomPipeline(rnd: () => number): { jobs: Job[]; fails: Set<string> } {
  const count = 4 + Math.floor(rnd() * 12);
  const specs: { name: string; stage: number }[] = [];
  for (let i = 0; i < count; i++) specs.push({ name: `j${i}`, stage: Math.floor(rnd() * STAGES.length) });
  specs.sort((a, b) => a.stage - b.stage); // YAML order by stage, as GitLab lists jobs
  const fails = new Set<string>();
  const jobs = specs.map((s, i) => {
    const over: Partial<Job> = { stage: STAGES[s.stage] };
    const r = rnd();
    if (r < 0.35) {
      // needs: jobs listed before this one (earlier stages or earlier in the same stage), maybe none.
      const pool = specs.slice(0, i).map((x) => x.name);
      over.needs = needs(...pool.filter(() => rnd() < 0.3));
    }
    const w = rnd();
    over.when = w < 0.6 ? 'on_success' : w < 0.8 ? 'on_failure' : 'always';
    if (rnd() < 0.2) over.allowFailure = { allowed: true, exitCodes: [] };
    if (rnd() < 0.25) fails.add(s.name);
    return makeJob(s.name, over);
  });
  return { jobs: makePipeline(jobs).jobs, fails };
}

/** The reference: one job at a time, every release a full scan of `order` until nothing changes. */
function reference(
  jobs: Job[],
  graph: JobGraph,
  fails: Set<string>,
): { events: string[]; statuses: Record<string, string> } {
  const waitsFor = (job: Job): string[] =>
    job.needs !== null
      ? job.needs.map((n) => n.job)
      : jobs.filter((j) => j.stageIndex < job.stageIndex).map((j) => j.name);
  const status = new Map<string, string>();
  const upstreamOf = new Map<string, Upstream>();
  const waiting = new Set(graph.order);
  const ready: string[] = [];
  const events: string[] = [];
  for (;;) {
    for (let changed = true; changed;) {
      changed = false;
      for (const name of graph.order) {
        if (!waiting.has(name)) continue;
        const job = graph.nodes.get(name)!.job;
        const deps = waitsFor(job);
        if (!deps.every((d) => status.has(d))) continue;
        waiting.delete(name);
        changed = true;
        const before = deps.map((d) => upstreamOf.get(d) ?? 'success');
        const up: Upstream = before.includes('failed')
          ? 'failed'
          : before.includes('canceled')
            ? 'canceled'
            : 'success';
        upstreamOf.set(name, up);
        if (!shouldRun(job, up)) {
          status.set(name, 'skipped');
          events.push(`skip ${name}`);
        } else ready.push(name);
      }
    }
    const name = ready.shift();
    if (name === undefined) break;
    events.push(`start ${name}`);
    const job = graph.nodes.get(name)!.job;
    if (fails.has(name)) {
      status.set(name, 'failed');
      if (!job.allowFailure.allowed) upstreamOf.set(name, 'failed');
    } else status.set(name, 'success');
  }
  return { events, statuses: Object.fromEntries([...status].sort()) };
}

async function actual(graph: JobGraph, fails: Set<string>, concurrency: number) {
  const events: string[] = [];
  const hooks: SchedulerHooks = {
    async runAttempt(job): Promise<AttemptResult> {
      events.push(`start ${job.name}`);
      return fails.has(job.name)
        ? { exitCode: 1, cancelled: false, failureReason: 'script_failure' }
        : { exitCode: 0, cancelled: false };
    },
    onSkip: (job) => events.push(`skip ${job.name}`),
  };
  const res = await schedule(graph, hooks, { concurrency });
  const statuses = Object.fromEntries([...res.records].map(([n, r]) => [n, r.status] as const).sort());
  return { events, statuses };
}

test('400 random pipelines: same starts, skips and order as a full scan; same statuses at any concurrency', async () => {
  const rnd = seeded(20261206);
  let skips = 0;
  let barrierJobsAfterFailure = 0;
  for (let k = 0; k < 400; k++) {
    const { jobs, fails } = randomPipeline(rnd);
    const graph = buildGraph(jobs);
    const want = reference(jobs, graph, fails);
    const one = await actual(graph, fails, 1);
    assert.deepEqual(
      one.events,
      want.events,
      `pipeline ${k}: ${jobs.map((j) => `${j.name}@${j.stage}${j.needs ? `[${j.needs.map((n) => n.job)}]` : ''}:${j.when}`).join(' ')}`,
    );
    assert.deepEqual(one.statuses, want.statuses);
    const three = await actual(graph, fails, 3);
    assert.deepEqual(three.statuses, want.statuses);
    skips += want.events.filter((e) => e.startsWith('skip')).length;
    barrierJobsAfterFailure += jobs.filter(
      (j) => j.needs === null && j.when !== 'on_success' && want.statuses[j.name] !== 'skipped',
    ).length;
  }
  assert.ok(
    skips > 200 && barrierJobsAfterFailure > 100,
    `the random pipelines exercise skips (${skips}) and when: (${barrierJobsAfterFailure})`,
  );
});

test('a failure two stages back still decides a barrier job; a needs job of an earlier stage holds the barrier', async () => {
  const p = makePipeline([
    makeJob('lint', { stage: 'build' }),
    makeJob('slow', { stage: 'build', needs: [] }),
    makeJob('test', { stage: 'test', when: 'always' }),
    makeJob('deploy', { stage: 'deploy' }),
    makeJob('report', { stage: 'deploy', when: 'on_failure' }),
  ]);
  const events: string[] = [];
  const res = await schedule(
    buildGraph(p.jobs),
    {
      async runAttempt(job) {
        events.push(`start ${job.name}`);
        if (job.name === 'slow') await new Promise((r) => setTimeout(r, 50));
        events.push(`end ${job.name}`);
        return job.name === 'lint'
          ? { exitCode: 1, cancelled: false, failureReason: 'script_failure' }
          : { exitCode: 0, cancelled: false };
      },
    },
    { concurrency: 4 },
  );
  assert.ok(
    events.indexOf('start test') > events.indexOf('end slow'),
    'test waited for slow (needs: [] in an earlier stage)',
  );
  const st = (n: string) => res.records.get(n)!.status;
  assert.deepEqual(
    [st('lint'), st('slow'), st('test'), st('deploy'), st('report')],
    ['failed', 'success', 'success', 'skipped', 'success'],
  );
});
