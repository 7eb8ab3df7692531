// One attempt of one job: private workspace, environment, caches, artifacts of its dependencies, the scripts
// through the executor, then caches, artifacts and reports saved according to the job's outcome.
import { basename, dirname, join } from 'node:path';
import type { Job } from '../../pipeline/model.js';
import { applySecrets, planLocalKeywords, resolveSecrets, withExtraPaths } from './local-only.js';
import { acquireResource, type HeldResource } from '../schedule/resource-lock.js';
import { expandString } from '../../pipeline/variables/expand.js';
import type { PreparedJob, StepResult } from '../../executors/types.js';
import { prepareSources } from '../../workspace/checkout.js';
import { readGitSettings } from '../../workspace/git-settings.js';
import { removeTree } from '../../workspace/remove.js';
import { buildJobEnv } from './env.js';
import { JobOutput } from '../output/job-output.js';
import { restoreCache, restoredTree, saveCache, shouldSaveCache, type CacheRestore, type CacheTree } from './cache.js';
import { park } from '../../store/pool.js';
import { artifactsKey, artifactsToUpload, downloadArtifacts, uploadArtifacts } from './artifacts.js';
import { coverageFromLog } from './coverage.js';
import { untrackedFiles } from './untracked.js';
import { artifactSources } from './dependencies.js';
import type { AttemptResult } from '../schedule/status.js';
import { formatDuration } from '../output/format.js';
import { trace } from '../../util/trace.js';
import { expandArtifacts, expandJobForExecutor } from './expand.js';
import { stepLimits } from './script-timeouts.js';
import { dict } from '../../util/dict.js';
import { attemptRunId } from './slug.js';
import type { JobInfo, JobOutcome, RunContext } from './attempt-context.js';

export type { JobInfo, JobOutcome, RunContext };

export const DEFAULT_JOB_TIMEOUT_S = 3600;
/** CI_RUNNER_VERSION: kiln's own. */
const KILN_VERSION = '0.1.0';

export async function runAttempt(ctx: RunContext, job: Job, attempt: number, signal: AbortSignal): Promise<JobOutcome> {
  const kept: Omit<JobOutcome, 'result'> = {};
  const result = await attemptSteps(ctx, job, attempt, signal, kept);
  return { result, ...kept };
}

async function attemptSteps(
  ctx: RunContext,
  job: Job,
  attempt: number,
  signal: AbortSignal,
  kept: Omit<JobOutcome, 'result'>,
): Promise<AttemptResult> {
  const info = ctx.info.get(job.name)!;
  const out = new JobOutput(job.name, info.logPath, ctx.console, []);
  const jobDir = join(ctx.pipelineDir, 'ws', `${info.slug}${attempt > 1 ? `-${attempt}` : ''}`);
  const ws = join(jobDir, basename(ctx.pipeline.projectDir) || 'project');
  let prepared: PreparedJob | undefined;
  /** Cache trees left in the workspace that may be parked for later jobs instead of deleted. */
  const trees: CacheTree[] = [];
  const startedAt = Date.now();
  /** Coverage is read only from a log in which the job's script ran. */
  let scriptRan = false;
  let held: HeldResource | undefined;
  try {
    out.info(
      `${attempt > 1 ? `Retrying (attempt ${attempt}): ` : ''}Running job ${job.name} (stage ${job.stage}) with the ${ctx.executor.name} executor`,
      'cyan',
    );
    if (job.resourceGroup && ctx.resourceLocks) {
      const group = expandString(
        job.resourceGroup,
        (n) => ctx.pipeline.context.predefined[n] ?? job.variables[n]?.value,
      );
      const locks = ctx.resourceLocks;
      held = await acquireResource({
        dir: locks.dir,
        scope: locks.scope,
        group,
        mode: locks.modes[group] ?? 'unordered',
        signal,
        holder: `pipeline ${ctx.pipelineId}, job ${job.name} (pid ${process.pid})`,
        onWait: (by) => out.info(`Waiting for resource: ${group}${by ? ` (held by ${by})` : ''}`, 'yellow'),
      }).catch((e: Error) => {
        if (signal.aborted) return undefined;
        throw e;
      });
      if (!held) return canceled(out, signal, 1);
    }
    const local = planLocalKeywords(job, ctx.executor.name);
    if (local.notRun) {
      out.info(`ERROR: Job not run: ${local.notRun}`, 'red');
      return { exitCode: 1, cancelled: false, failureReason: 'not_run', message: `not run: ${local.notRun}` };
    }
    kept.warnings = local.warnings;
    for (const w of local.warnings) out.info(`WARNING: ${w}`, 'yellow');

    const node = ctx.graph.nodes.get(job.name)!;
    const deps = await artifactSources({
      store: ctx.store,
      pipelineId: ctx.pipelineId,
      pipelinesRoot: dirname(ctx.pipelineDir),
      from: node.artifactsFrom,
      inRun: (n) => ctx.graph.nodes.has(n),
      artifactsOf: ctx.artifactsOf,
    });
    const dotenv: Record<string, string> = dict();
    for (const d of deps) Object.assign(dotenv, d.dotenv);
    const jobEnv = await buildJobEnv({
      ctx: ctx.pipeline.context,
      job,
      jobId: info.jobId,
      projectDir: ws,
      fileVarDir: `${ws}.tmp`,
      dotenv,
      maskedNames: ctx.maskedNames,
      hostEnv: ctx.hostEnv,
      runnerEnv: ctx.runnerEnv,
      run: {
        startedAt: new Date(startedAt),
        timeoutSeconds: job.timeoutSeconds ?? DEFAULT_JOB_TIMEOUT_S,
        manual: job.when === 'manual',
        pipelineName: ctx.pipeline.workflowName,
        executor: ctx.executor.name,
        version: KILN_VERSION,
      },
    });
    // secrets: / id_tokens: come from the user (no server to read them from); masked, files where asked.
    const secrets = resolveSecrets(job, (n) => ctx.pipeline.context.userVariables[n]?.value ?? ctx.secrets?.[n]);
    out.setSecrets([...jobEnv.secrets, ...secrets.values.map((v) => v.value)]);
    for (const v of [...jobEnv.secrets, ...secrets.values.map((x) => x.value)]) if (v) ctx.maskedSeen?.add(v);
    if (secrets.missing.length) {
      const message = `not given locally: ${secrets.missing.join('; ')}; pass --variable NAME=VALUE or set [secrets] NAME in kiln.toml`;
      out.info(`ERROR: Job failed: ${message}`, 'red');
      return { exitCode: 1, cancelled: false, failureReason: 'secrets_provider_not_found', message };
    }
    await applySecrets(secrets.values, jobEnv, `${ws}.tmp`);
    // From here on every line (ours and the job's) is masked.
    const o = out;

    // GitLab Runner's get_sources stage: the job's GIT_* variables decide what of the sources it gets.
    o.sectionStart('get_sources', 'Getting source from Git repository');
    trace(`${job.name}: start`);
    const sources = await prepareSources(ctx.snapshot, ws, readGitSettings(jobEnv.ci));
    for (const line of sources.notes) o.info(line, line.startsWith('WARNING') ? 'yellow' : undefined);
    trace(`${job.name}: workspace cloned`);
    o.sectionEnd('get_sources');

    const sourceFiles = new Set(sources.entries.filter((e) => e.kind !== 'dir').map((e) => e.rel));
    let untrackedMemo: Promise<string[]> | undefined;
    const untracked = () => (untrackedMemo ??= untrackedFiles(ws, sourceFiles));

    const restores: CacheRestore[] = [];
    if (job.cache.length) {
      o.sectionStart('restore_cache', 'Restoring cache');
      for (const spec of job.cache)
        restores.push(
          await restoreCache(spec, { store: ctx.store, ws, ci: jobEnv.ci, out: o, untracked, pool: ctx.cachePool > 0 }),
        );
      o.sectionEnd('restore_cache');
      kept.cache = restores.map((r) => r.outcome).join(',');
    }
    if (deps.length) {
      o.sectionStart('download_artifacts', 'Downloading artifacts');
      await downloadArtifacts({
        store: ctx.store,
        ws,
        out: o,
        from: deps.map((d) => ({
          job: d.pipelineId === ctx.pipelineId ? d.job : `${d.job} (pipeline ${d.pipelineId})`,
          key: d.key,
        })),
      });
      o.sectionEnd('download_artifacts');
    }

    trace(`${job.name}: env, caches, artifacts ready`);
    prepared = await ctx.executor.prepare(
      {
        job: expandJobForExecutor(job, jobEnv.ci),
        workspaceDir: ws,
        env: jobEnv.env,
        runId: attemptRunId(ctx.pipeline.projectDir, ctx.pipelineId, info.slug, attempt),
        onInfo: (l) => o.info(l),
      },
      signal,
    );
    for (const w of prepared.warnings ?? []) o.info(w, 'yellow');
    const timeoutS = job.timeoutSeconds ?? DEFAULT_JOB_TIMEOUT_S;
    const limits = stepLimits(timeoutS * 1000, jobEnv.ci);
    for (const w of limits.warnings) o.info(`WARNING: ${w}`, 'yellow');
    // Canceled before its script started: canceled at once, like a pending job (no after_script).
    if (signal.aborted) return canceled(o, signal, 1);
    const preGet = job.local?.preGetSourcesScript ?? [];
    if (preGet.length) {
      // GitLab Runner runs this hook before it fetches the sources; kiln copies them before the executor starts.
      o.sectionStart(
        'pre_get_sources_script',
        'Running hooks:pre_get_sources_script (kiln runs it after the sources are copied: nothing is fetched)',
      );
      const pre = await ctx.executor.runScript(prepared, 'main', preGet, {
        timeoutMs: Math.max(1, timeoutS * 1000 - (Date.now() - startedAt)),
        signal,
        onOutput: (c, s) => o.write(c, s),
      });
      o.flushStreams();
      o.sectionEnd('pre_get_sources_script');
      if (pre.cancelled || signal.aborted) return canceled(o, signal, pre.exitCode);
      if (pre.exitCode !== 0 || pre.timedOut) return finishAttempt(o, pre, timeoutS);
    }
    o.sectionStart('step_script', 'Executing "step_script" stage of the job script');
    scriptRan = true;
    const lines = [
      ...(ctx.preBuildScript ? [ctx.preBuildScript] : []),
      ...job.beforeScript,
      ...job.script,
      ...(ctx.postBuildScript ? [ctx.postBuildScript] : []),
    ];
    const jobLeftMs = Math.max(1, timeoutS * 1000 - (Date.now() - startedAt));
    const ownLimit = limits.scriptLimitOwn && limits.scriptMs < jobLeftMs;
    const main = await ctx.executor.runScript(prepared, 'main', lines, {
      timeoutMs: ownLimit ? limits.scriptMs : jobLeftMs,
      signal,
      onOutput: (c, s) => o.write(c, s),
    });
    o.flushStreams();
    trace(`${job.name}: script done`);
    o.sectionEnd('step_script');
    const succeeded = main.exitCode === 0 && !main.timedOut && !main.cancelled;
    const wasCanceled = main.cancelled || signal.aborted;
    if (main.timedOut && !wasCanceled) {
      o.info(
        'WARNING: step_script could not run to completion because the timeout was exceeded. For more control over job and script timeouts see: https://docs.gitlab.com/ci/runners/configure_runners/#set-script-and-after_script-timeouts',
        'yellow',
      );
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
        timeoutMs: limits.afterMs(Date.now() - startedAt),
        signal: ctx.hardStop,
        onOutput: (c, s) => o.write(c, s),
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
    const artifactsSpec = withExtraPaths(job.artifacts, local.extraArtifactPaths);
    const upload = artifactsSpec ? artifactsToUpload(artifactsSpec, succeeded) : undefined;
    if (upload) {
      o.sectionStart('upload_artifacts', 'Uploading artifacts');
      if (upload.reportsOnly)
        o.info(
          `Uploading reports only (artifacts:when is ${artifactsSpec!.when}; reports are uploaded whatever the job's status)`,
        );
      const spec = expandArtifacts(upload.spec, (n) => jobEnv.ci[n]);
      try {
        kept.artifacts = await uploadArtifacts(spec, {
          store: ctx.store,
          ws,
          out: o,
          key: artifactsKey(ctx.pipelineId, job.name),
          untracked,
          ci: jobEnv.ci,
        });
      } catch (e) {
        uploadFailed = (e as Error).message;
        o.info(`ERROR: Uploading artifacts failed: ${uploadFailed}`, 'red');
      }
      o.sectionEnd('upload_artifacts');
    }
    return finishAttempt(o, main, timeoutS, uploadFailed, ownLimit ? limits.scriptMs : undefined);
  } catch (e) {
    out.info(`ERROR: ${(e as Error).message}`, 'red');
    return {
      exitCode: 1,
      cancelled: signal.aborted,
      failureReason: 'runner_system_failure',
      message: (e as Error).message,
    };
  } finally {
    if (prepared) await ctx.executor.cleanup(prepared).catch(() => undefined);
    await held?.release();
    // Only once the job's processes are gone: park() checks that the trees are still exactly their entries.
    if (!ctx.keepWorkspaces) for (const t of trees) park(ctx.store, ws, t.files, t.identity, ctx.cachePool);
    await out.close();
    if (job.coverage && scriptRan) {
      kept.coverage = await coverageFromLog(info.logPath, job.coverage).catch((e: Error) => {
        kept.coverageError = e.message;
        return undefined;
      });
    }
    trace(`${job.name}: closed`);
    if (!ctx.keepWorkspaces) kept.removal = removeTree(jobDir).catch(() => undefined);
  }
}

function canceled(o: JobOutput, signal: AbortSignal, exitCode: number): AttemptResult {
  const why = typeof signal.reason === 'string' ? signal.reason : undefined;
  o.info(`ERROR: Job canceled${why ? `: ${why}` : ''}`, 'red');
  return { exitCode, cancelled: true, message: why ?? 'canceled' };
}

function finishAttempt(
  o: JobOutput,
  main: StepResult,
  timeoutS: number,
  uploadFailed?: string,
  scriptLimitMs?: number,
): AttemptResult {
  if (main.timedOut) {
    const message =
      scriptLimitMs !== undefined
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
  if (uploadFailed)
    return { exitCode: 1, cancelled: false, failureReason: 'unknown_failure', message: `artifacts: ${uploadFailed}` };
  o.info('Job succeeded', 'green');
  return { exitCode: 0, cancelled: false };
}
