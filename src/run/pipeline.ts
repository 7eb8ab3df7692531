// Runs a loaded pipeline: selection, graph, sources snapshot, scheduler, summary.
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { rm } from 'node:fs/promises';
import type { Pipeline } from '../pipeline/model.js';
import type { Executor } from '../executors/types.js';
import { selectJobs, type SelectOptions } from '../plan/select.js';
import { buildGraph } from '../plan/graph.js';
import { Store } from '../store/store.js';
import { POOL_MAX } from '../store/pool.js';
import { createSnapshot, type Snapshot, type SourceMode } from '../workspace/snapshot.js';
import { JobOutput } from './output/job-output.js';
import { runTriggerAttempt } from './child/trigger.js';
import { schedule, SchedulerControl, type JobRecord } from './schedule/scheduler.js';
import { runAttempt, type JobInfo, type JobOutcome, type RunContext } from './job/attempt.js';
import { Console } from './output/console.js';
import { jobSlugs } from './job/slug.js';
import { trace } from '../util/trace.js';
import { jobSummary, type JobSummary, type PipelineSummary } from './summary.js';
import { formatDuration } from './output/format.js';
import { maskStrings, StreamMasker } from './output/mask.js';
import type { ProcessMode } from './schedule/resource-lock.js';

export interface RunPipelineOptions {
  pipeline: Pipeline;
  pipelineId: number;
  pipelineDir: string;
  storeDir: string;
  /** The project's store id (run/project-id.ts): its caches and artifacts are kept apart from other projects'. */
  project: string;
  executor: Executor;
  console: Console;
  select?: SelectOptions;
  concurrency?: number;
  source?: SourceMode;
  maskedNames?: string[];
  signal?: AbortSignal;
  /** Second stage of cancellation: also stop the after_script of canceled jobs. */
  hardStop?: AbortSignal;
  /** Job states and cancellation while the pipeline runs (auto-cancel by a newer pipeline). */
  control?: SchedulerControl;
  keepWorkspaces?: boolean;
  /** kiln.toml runner.cache_pool (default POOL_MAX). */
  cachePool?: number;
  /** Variables from the runner config (lowest precedence after predefined ones). */
  runnerEnv?: Record<string, string>;
  /** kiln.toml runner pre_build_script / post_build_script. */
  preBuildScript?: string;
  postBuildScript?: string;
  /** kiln.toml `[resource_groups]`: process mode per group (default unordered). */
  resourceGroupModes?: Record<string, ProcessMode>;
  /** kiln.toml `[secrets]` values for `secrets:` / `id_tokens:`. */
  secrets?: Record<string, string>;
  /** The summary of the earlier run of this pipeline that this run continues (`kiln run --pipeline N`). */
  previous?: PipelineSummary;
  /** Child pipelines (trigger jobs). */
  downstream?: DownstreamOptions;
}

export interface DownstreamOptions {
  /** The project's .kiln folder (child pipelines get their own ids there); default: two levels above pipelineDir. */
  kilnDir?: string;
  /** --allow-multi-project: a trigger:project job with strategy: depend/mirror is skipped instead of failing. */
  allowMultiProject?: boolean;
  /** Set for a child pipeline: its depth (1 for a child of the pipeline kiln run started) and its parent's snapshot. */
  depth?: number;
  snapshot?: Snapshot;
}

export async function runPipeline(o: RunPipelineOptions): Promise<PipelineSummary> {
  const t0 = Date.now();
  const selection = selectJobs(o.pipeline, o.select);
  const graph = buildGraph(selection.jobs, o.pipeline.jobs);
  const store = new Store(o.storeDir, o.project);
  await store.init();
  const slugs = jobSlugs(o.pipeline.jobs.map((j) => j.name));
  const info = new Map<string, JobInfo>();
  o.pipeline.jobs.forEach((j, i) => {
    const slug = slugs.get(j.name)!;
    info.set(j.name, { slug, jobId: j.id ?? o.pipelineId * 1000 + i + 1, logPath: join(o.pipelineDir, `${slug}.log`) });
  });
  o.console.setNames(selection.jobs.map((j) => j.name));

  // A child pipeline runs for the same commit: it uses its parent's snapshot.
  const snapshotDir = join(o.pipelineDir, 'snapshot', 'src');
  const snapshot =
    o.downstream?.snapshot ?? (await createSnapshot(o.pipeline.projectDir, snapshotDir, o.source ?? 'worktree'));
  trace('snapshot created');
  // What each job's attempts reported (a retry's cache and artifacts replace the earlier attempt's), and the
  // workspace removals they started; only this function writes them.
  const kept = new Map<string, Omit<JobOutcome, 'result'>>();
  // Child pipelines of trigger jobs (settled when the child is done; without strategy after the trigger job).
  const children = new Map<string, Promise<PipelineSummary>>();
  // Masked values of every job: whatever kiln prints or writes about the run (messages, summary) is masked too.
  const secrets = new Set<string>();
  const mask = (text: string) => new StreamMasker(secrets).maskString(text);
  const removals: Promise<unknown>[] = [];
  const ctx: RunContext = {
    pipeline: o.pipeline,
    pipelineId: o.pipelineId,
    pipelineDir: o.pipelineDir,
    store,
    snapshot,
    executor: o.executor,
    console: o.console,
    graph,
    maskedNames: o.maskedNames ?? [],
    info,
    artifactsOf: (name) => kept.get(name)?.artifacts,
    keepWorkspaces: o.keepWorkspaces ?? false,
    cachePool: o.cachePool ?? POOL_MAX,
    hostEnv: process.env,
    runnerEnv: o.runnerEnv ?? {},
    preBuildScript: o.preBuildScript,
    postBuildScript: o.postBuildScript,
    hardStop: o.hardStop,
    secrets: o.secrets,
    maskedSeen: secrets,
    // Groups are the project's (GitLab scopes resource_group by project), shared by every run using this store.
    resourceLocks: {
      dir: join(o.storeDir, 'resource-groups'),
      scope: o.pipeline.projectDir,
      modes: o.resourceGroupModes ?? {},
    },
  };
  const control = o.control ?? new SchedulerControl();
  const stageOf = new Map(o.pipeline.jobs.map((j) => [j.name, j.stage]));
  const result = await schedule(
    graph,
    {
      runAttempt: async (job, attempt, signal) => {
        if (job.trigger) {
          const info_ = info.get(job.name)!;
          const out = new JobOutput(job.name, info_.logPath, o.console, []);
          try {
            out.info(`Trigger job ${job.name} (stage ${job.stage})`, 'cyan');
            const node = graph.nodes.get(job.name)!;
            const r = await runTriggerAttempt(
              {
                pipeline: o.pipeline,
                pipelineId: o.pipelineId,
                store,
                kilnDir: o.downstream?.kilnDir ?? dirname(dirname(o.pipelineDir)),
                depth: o.downstream?.depth ?? 0,
                allowMultiProject: o.downstream?.allowMultiProject ?? false,
                artifactsFrom: node.artifactsFrom,
                inRun: (n) => graph.nodes.has(n),
                artifactsOf: (n) => kept.get(n)?.artifacts,
                runChild: (child, id, dir, childSignal) =>
                  runPipeline({
                    ...o,
                    pipeline: child,
                    pipelineId: id,
                    pipelineDir: dir,
                    console: o.console.withPrefix(`${job.name} > `),
                    // `kiln run --manual` (all) plays the children's manual jobs too; named ones are the parent's.
                    select: { manual: o.select?.manual === true ? true : undefined },
                    previous: undefined,
                    signal: childSignal,
                    control: undefined,
                    keepWorkspaces: o.keepWorkspaces,
                    downstream: { ...o.downstream, depth: (o.downstream?.depth ?? 0) + 1, snapshot },
                  }),
              },
              job,
              out,
              signal,
              o.signal ?? new AbortController().signal,
            );
            if (r.downstream) children.set(job.name, r.downstream);
            return r.result;
          } finally {
            await out.close();
          }
        }
        const { result, removal, ...left } = await runAttempt(ctx, job, attempt, signal);
        if (removal) removals.push(removal);
        const before = kept.get(job.name) ?? {};
        // A retry's results replace the earlier attempt's; what a later attempt did not get to keeps the earlier one.
        kept.set(job.name, {
          ...left,
          cache: left.cache ?? before.cache,
          artifacts: left.artifacts ?? before.artifacts,
        });
        return result;
      },
      onSkip: (job, rec) => o.console.line(job.name, mask(`${rec.status}: ${rec.skipReason ?? ''}`), false, 'yellow'),
      onRetry: (job, attempt, next) =>
        o.console.line(
          job.name,
          mask(
            `failed (${attempt.message ?? attempt.failureReason}); retrying (attempt ${next} of ${job.retry.max + 1})`,
          ),
          false,
          'yellow',
        ),
      onDelay: (job, secs) =>
        o.console.line(job.name, `delayed: starting in ${formatDuration(secs * 1000)}`, false, 'yellow'),
      onFinish: (job, rec) => {
        // workflow:auto_cancel:on_job_failure: all — a failure (not allowed) cancels the rest of the pipeline.
        if (o.pipeline.autoCancel.onJobFailure === 'all' && rec.status === 'failed' && !rec.allowedFailure) {
          control.cancelAll(`auto-canceled: job ${job.name} failed (workflow:auto_cancel:on_job_failure: all)`);
        }
      },
    },
    { concurrency: o.concurrency ?? availableParallelism(), signal: o.signal, control },
  );
  trace('jobs done');
  await Promise.all(removals);
  // The pipeline ends when its child pipelines have ended (GitLab shows them under the trigger job).
  const downstreams = new Map<string, PipelineSummary>();
  for (const [name, p] of children) downstreams.set(name, await p);
  if (!o.keepWorkspaces) {
    if (!o.downstream?.snapshot)
      await rm(join(o.pipelineDir, 'snapshot'), { recursive: true, force: true }).catch(() => undefined);
    await rm(join(o.pipelineDir, 'ws'), { recursive: true, force: true }).catch(() => undefined);
  }

  const order = new Map(o.pipeline.jobs.map((j, i) => [j.name, i]));
  const ran = graph.order
    .map((n) => result.records.get(n)!)
    .filter(Boolean)
    .map((rec) => {
      const s = jobSummary(rec, stageOf.get(rec.name) ?? '', info.get(rec.name), kept.get(rec.name));
      const down = downstreams.get(rec.name);
      if (down) {
        s.downstream = down;
        if (rec.message) s.message = rec.message;
        else if (!s.message)
          s.message = `child pipeline ${down.pipelineId} ${down.status}${rec.status === 'success' && down.status !== 'passed' && !o.pipeline.jobs.find((j) => j.name === rec.name)?.trigger?.strategy ? ' (no strategy: the trigger job does not wait for it, as on GitLab)' : ''}`;
      }
      return s;
    });
  // Manual jobs not played and the jobs they hold back are listed too, with what to do about them.
  const held = selection.held.map((h): JobSummary => ({
    name: h.name,
    stage: stageOf.get(h.name) ?? '',
    status: h.kind,
    allowedFailure: false,
    attempts: 0,
    message: h.reason,
  }));
  const earlier = (o.previous?.jobs ?? []).filter(
    (j) => !result.records.has(j.name) && !selection.held.some((h) => h.name === j.name),
  );
  const jobs = [...earlier, ...ran, ...held].sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  const status = pipelineStatus([...result.records.values()], result.cancelled, selection.blocking, earlier);
  return maskStrings<PipelineSummary>(
    {
      pipelineId: o.pipelineId,
      status,
      durationMs: Date.now() - t0,
      jobs,
      skipped: selection.skipped,
    },
    new StreamMasker(secrets),
  );
}

/**
 * GitLab's composite status: a failure (not allowed) makes the pipeline failed, else any cancel makes it canceled,
 * else a blocking manual job that was not played makes it blocked. `earlier`: jobs that finished in an earlier
 * run of the same pipeline (continued with --pipeline).
 */
export function pipelineStatus(
  records: JobRecord[],
  cancelled: boolean,
  blocking: string[] = [],
  earlier: JobSummary[] = [],
): PipelineSummary['status'] {
  const failedBefore = earlier.some((j) => j.status === 'failed' || j.status === 'not run');
  if (failedBefore || records.some((r) => r.status === 'failed' && !r.allowedFailure)) return 'failed';
  if (cancelled || records.some((r) => r.status === 'canceled') || earlier.some((j) => j.status === 'canceled'))
    return 'canceled';
  if (blocking.length) return 'blocked';
  return 'passed';
}
