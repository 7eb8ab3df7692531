// One attempt of one job: private workspace, environment, caches, artifacts of its dependencies, the scripts
// through the executor, then caches, artifacts and reports saved according to the job's outcome.
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Job, Pipeline } from '../pipeline/model.js';
import type { Executor, PreparedJob, StepResult } from '../executors/types.js';
import type { JobGraph } from '../plan/graph.js';
import type { Store } from '../store/store.js';
import { cloneSnapshot, type Snapshot } from '../workspace/snapshot.js';
import { buildJobEnv } from './env.js';
import { JobOutput } from './output.js';
import type { Console } from './console.js';
import { restoreCache, restoredTree, saveCache, shouldSaveCache, type CacheRestore, type CacheTree } from './cache.js';
import { park } from '../store/pool.js';
import { artifactsKey, downloadArtifacts, shouldUploadArtifacts, uploadArtifacts, type ArtifactsResult } from './artifacts.js';
import { untrackedFiles } from './untracked.js';
import { artifactSources } from './dependencies.js';
import type { AttemptResult } from './status.js';
import { formatDuration } from './summary.js';
import { trace } from './trace.js';
import { expandArtifacts, expandJobForExecutor } from './expand-job.js';
import { stepLimits } from './script-timeouts.js';

export const DEFAULT_JOB_TIMEOUT_S = 3600;

export interface JobInfo {
  slug: string;
  jobId: number;
  logPath: string;
  cache: string;
  artifacts?: ArtifactsResult;
}

export interface RunContext {
  pipeline: Pipeline;
  pipelineId: number;
  pipelineDir: string;
  store: Store;
  snapshot: Snapshot;
  executor: Executor;
  console: Console;
  graph: JobGraph;
  maskedNames: string[];
  info: Map<string, JobInfo>;
  /** Background removals of finished workspaces. */
  cleanups: Promise<unknown>[];
  keepWorkspaces: boolean;
  /** Host environment inherited by shell jobs. */
  hostEnv: Record<string, string | undefined>;
  /** kiln.toml runner environment. */
  runnerEnv: Record<string, string>;
  /** Runner config scripts around the job's own (GitLab Runner's pre_build_script / post_build_script). */
  preBuildScript?: string;
  postBuildScript?: string;
  /** Cache trees parked per content (kiln.toml runner.cache_pool); 0: never park, never claim. */
  cachePool: number;
  /** Stops after_script of canceled jobs too (a second Ctrl-C); a cancel alone lets after_script run. */
  hardStop?: AbortSignal;
}

export async function runAttempt(ctx: RunContext, job: Job, attempt: number, signal: AbortSignal): Promise<AttemptResult> {
  const info = ctx.info.get(job.name)!;
  const out = new JobOutput(job.name, info.logPath, ctx.console, []);
  const jobDir = join(ctx.pipelineDir, 'ws', `${info.slug}${attempt > 1 ? `-${attempt}` : ''}`);
  const ws = join(jobDir, basename(ctx.pipeline.projectDir) || 'project');
  let prepared: PreparedJob | undefined;
  /** Cache trees left in the workspace that may be parked for later jobs instead of deleted. */
  const trees: CacheTree[] = [];
  const startedAt = Date.now();
  try {
    out.info(`${attempt > 1 ? `Retrying (attempt ${attempt}): ` : ''}Running job ${job.name} (stage ${job.stage}) with the ${ctx.executor.name} executor`, 'cyan');
    out.sectionStart('prepare_workspace', 'Preparing workspace');
    trace(`${job.name}: start`);
    await cloneSnapshot(ctx.snapshot, ws);
    trace(`${job.name}: workspace cloned`);
    out.sectionEnd('prepare_workspace');

    const node = ctx.graph.nodes.get(job.name)!;
    const deps = await artifactSources({
      store: ctx.store, pipelineId: ctx.pipelineId, from: node.artifactsFrom, inRun: (n) => ctx.graph.nodes.has(n), info: ctx.info,
    });
    const dotenv: Record<string, string> = {};
    for (const d of deps) Object.assign(dotenv, d.dotenv);
    const jobEnv = await buildJobEnv({
      ctx: ctx.pipeline.context, job, jobId: info.jobId, projectDir: ws, fileVarDir: `${ws}.tmp`,
      dotenv, maskedNames: ctx.maskedNames, hostEnv: ctx.hostEnv, runnerEnv: ctx.runnerEnv,
    });
    // From here on every line (ours and the job's) is masked.
    out.setSecrets(jobEnv.secrets);
    const o = out;
    const sourceFiles = new Set(ctx.snapshot.entries.filter((e) => e.kind !== 'dir').map((e) => e.rel));
    let untrackedMemo: Promise<string[]> | undefined;
    const untracked = () => (untrackedMemo ??= untrackedFiles(ws, sourceFiles));

    const restores: CacheRestore[] = [];
    if (job.cache.length) {
      o.sectionStart('restore_cache', 'Restoring cache');
      for (const spec of job.cache) restores.push(await restoreCache(spec, { store: ctx.store, ws, ci: jobEnv.ci, out: o, untracked, pool: ctx.cachePool > 0 }));
      o.sectionEnd('restore_cache');
      info.cache = restores.map((r) => r.outcome).join(',');
    }
    if (deps.length) {
      o.sectionStart('download_artifacts', 'Downloading artifacts');
      await downloadArtifacts({ store: ctx.store, ws, out: o, from: deps.map((d) => ({ job: d.pipelineId === ctx.pipelineId ? d.job : `${d.job} (pipeline ${d.pipelineId})`, key: d.key })) });
      o.sectionEnd('download_artifacts');
    }

    trace(`${job.name}: env, caches, artifacts ready`);
    prepared = await ctx.executor.prepare({ job: expandJobForExecutor(job, jobEnv.ci), workspaceDir: ws, env: jobEnv.env, runId: `${ctx.pipelineId}-${info.slug}-${attempt}`, onInfo: (l) => o.info(l) }, signal);
    const timeoutS = job.timeoutSeconds ?? DEFAULT_JOB_TIMEOUT_S;
    const limits = stepLimits(timeoutS * 1000, jobEnv.ci);
    for (const w of limits.warnings) o.info(`WARNING: ${w}`, 'yellow');
    // Canceled before its script started: canceled at once, like a pending job (no after_script).
    if (signal.aborted) return canceled(o, signal, 1);
    o.sectionStart('step_script', 'Executing "step_script" stage of the job script');
    const lines = [
      ...(ctx.preBuildScript ? [ctx.preBuildScript] : []), ...job.beforeScript, ...job.script,
      ...(ctx.postBuildScript ? [ctx.postBuildScript] : []),
    ];
    const jobLeftMs = Math.max(1, timeoutS * 1000 - (Date.now() - startedAt));
    const ownLimit = limits.scriptLimitOwn && limits.scriptMs < jobLeftMs;
    const main = await ctx.executor.runScript(prepared, 'main', lines, {
      timeoutMs: ownLimit ? limits.scriptMs : jobLeftMs, signal, onOutput: (c, s) => o.write(c, s),
    });
    o.flushStreams();
    trace(`${job.name}: script done`);
    o.sectionEnd('step_script');
    const succeeded = main.exitCode === 0 && !main.timedOut && !main.cancelled;
    const wasCanceled = main.cancelled || signal.aborted;
    if (main.timedOut && !wasCanceled) {
      o.info('WARNING: step_script could not run to completion because the timeout was exceeded. For more control over job and script timeouts see: https://docs.gitlab.com/ci/runners/configure_runners/#set-script-and-after_script-timeouts', 'yellow');
      // The job's own time is up: like GitLab Runner, nothing else of the job runs.
      if (!ownLimit) return finishAttempt(o, main, timeoutS);
    }

    // As in GitLab 17+: after_script also runs for a canceled job (CI_JOB_STATUS=canceled), with its own time
    // limit; only a hard stop (second Ctrl-C) ends it early.
    if (job.afterScript.length) {
      if (wasCanceled) o.info('Job canceled: running after_script (a second Ctrl-C stops it)', 'yellow');
      o.sectionStart('after_script', 'Running after_script');
      const env = prepared.setup.env;
      env.CI_JOB_STATUS = wasCanceled ? 'canceled' : succeeded ? 'success' : 'failed';
      const after = await ctx.executor.runScript(prepared, 'after', job.afterScript, {
        timeoutMs: limits.afterMs(Date.now() - startedAt), signal: ctx.hardStop, onOutput: (c, s) => o.write(c, s),
      });
      o.flushStreams();
      if (after.cancelled) o.info('WARNING: after_script stopped', 'yellow');
      else if (after.timedOut) o.info('WARNING: after_script timed out', 'yellow');
      else if (after.exitCode !== 0) o.info(`WARNING: after_script failed with exit code ${after.exitCode}`, 'yellow');
      o.sectionEnd('after_script');
    }
    if (wasCanceled || signal.aborted) return canceled(o, signal, main.exitCode);

    let uploadFailed: string | undefined;
    if (job.cache.length) {
      o.sectionStart('archive_cache', 'Saving cache');
      for (let i = 0; i < job.cache.length; i++) {
        const spec = job.cache[i];
        if (!shouldSaveCache(spec, succeeded)) {
          o.info(`Not saving cache (policy ${spec.policy}, when ${spec.when})`);
          const tree = restoredTree(restores[i]);
          if (tree) trees.push(tree);
          continue;
        }
        const saved = await saveCache(spec, restores[i], { store: ctx.store, ws, ci: jobEnv.ci, out: o, untracked });
        if (saved.tree) trees.push(saved.tree);
      }
      o.sectionEnd('archive_cache');
    }
    if (job.artifacts && shouldUploadArtifacts(job.artifacts, succeeded)) {
      o.sectionStart('upload_artifacts', 'Uploading artifacts');
      const spec = expandArtifacts(job.artifacts, (n) => jobEnv.ci[n]);
      try {
        info.artifacts = await uploadArtifacts(spec, { store: ctx.store, ws, out: o, key: artifactsKey(ctx.pipelineId, job.name), untracked, ci: jobEnv.ci });
      } catch (e) {
        uploadFailed = (e as Error).message;
        o.info(`ERROR: Uploading artifacts failed: ${uploadFailed}`, 'red');
      }
      o.sectionEnd('upload_artifacts');
    }
    return finishAttempt(o, main, timeoutS, uploadFailed, ownLimit ? limits.scriptMs : undefined);
  } catch (e) {
    out.info(`ERROR: ${(e as Error).message}`, 'red');
    return { exitCode: 1, cancelled: signal.aborted, failureReason: 'runner_system_failure', message: (e as Error).message };
  } finally {
    if (prepared) await ctx.executor.cleanup(prepared).catch(() => undefined);
    // Only once the job's processes are gone: park() checks that the trees are still exactly their entries.
    if (!ctx.keepWorkspaces) for (const t of trees) park(ctx.store, ws, t.files, t.identity, ctx.cachePool);
    await out.close();
    trace(`${job.name}: closed`);
    if (!ctx.keepWorkspaces) ctx.cleanups.push(rm(jobDir, { recursive: true, force: true }).catch(() => undefined));
  }
}

function canceled(o: JobOutput, signal: AbortSignal, exitCode: number): AttemptResult {
  const why = typeof signal.reason === 'string' ? signal.reason : undefined;
  o.info(`ERROR: Job canceled${why ? `: ${why}` : ''}`, 'red');
  return { exitCode, cancelled: true, message: why ?? 'canceled' };
}

function finishAttempt(o: JobOutput, main: StepResult, timeoutS: number, uploadFailed?: string, scriptLimitMs?: number): AttemptResult {
  if (main.timedOut) {
    const message = scriptLimitMs !== undefined
      ? `script timed out after ${formatDuration(scriptLimitMs)} (RUNNER_SCRIPT_TIMEOUT)`
      : `job timed out after ${formatDuration(timeoutS * 1000)}`;
    o.info(`ERROR: Job failed: ${message}`, 'red');
    return { exitCode: main.exitCode, cancelled: false, failureReason: 'job_execution_timeout', message };
  }
  if (main.exitCode !== 0) {
    const message = main.reason ? `exit code ${main.exitCode} (${main.reason})` : `exit code ${main.exitCode}`;
    o.info(`ERROR: Job failed: ${message}`, 'red');
    return { exitCode: main.exitCode, cancelled: false, failureReason: 'script_failure', message };
  }
  if (uploadFailed) return { exitCode: 1, cancelled: false, failureReason: 'unknown_failure', message: `artifacts: ${uploadFailed}` };
  o.info('Job succeeded', 'green');
  return { exitCode: 0, cancelled: false };
}
