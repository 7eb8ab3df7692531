// Attempt outcomes trigger jobs use: a job "not run" that the pipeline does not wait for (a trigger:project job
// without strategy: GitLab's parent does not wait for it), and a job skipped with a reason (--allow-multi-project).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedule } from '../../../src/run/schedule/scheduler.js';
import { buildGraph } from '../../../src/plan/graph.js';
import type { AttemptResult } from '../../../src/run/schedule/status.js';
import { makeJob, makePipeline } from '../helpers/model.js';

test('not_run with pipelineUnaffected: allowed, never retried, later stages run; skipped: status skipped with its reason', async () => {
  const p = makePipeline([
    makeJob('multi', { stage: 'build', retry: { max: 2, when: ['always'], exitCodes: [] } }),
    makeJob('skipme', { stage: 'build' }),
    makeJob('later', { stage: 'test' }),
  ]);
  const attempts = new Map<string, number>();
  const results: Record<string, AttemptResult> = {
    multi: {
      exitCode: 0,
      cancelled: false,
      failureReason: 'not_run',
      message: 'not run: multi-project pipeline',
      pipelineUnaffected: true,
    },
    skipme: { exitCode: 0, cancelled: false, skipped: 'not run: multi-project pipeline (--allow-multi-project)' },
    later: { exitCode: 0, cancelled: false },
  };
  const r = await schedule(
    buildGraph(p.jobs),
    {
      async runAttempt(job) {
        attempts.set(job.name, (attempts.get(job.name) ?? 0) + 1);
        return results[job.name];
      },
    },
    { concurrency: 2 },
  );
  const multi = r.records.get('multi')!;
  assert.equal(multi.status, 'failed');
  assert.equal(multi.failureReason, 'not_run');
  assert.equal(multi.allowedFailure, true);
  assert.equal(attempts.get('multi'), 1, 'a job kiln cannot run is not retried');
  const skipped = r.records.get('skipme')!;
  assert.equal(skipped.status, 'skipped');
  assert.match(skipped.skipReason!, /--allow-multi-project/);
  assert.equal(r.records.get('later')!.status, 'success');
  assert.equal(r.passed, true);
});
