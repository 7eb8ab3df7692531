// One GitLab job on this machine, in GitLab Runner's stage order (common/build.go): prepare the executor,
// get_sources (pre_get_sources_script, git, post_get_sources_script), restore_cache, download_artifacts,
// step_script (pre_build_script + the payload's script + post_build_script), after_script, archive_cache,
// upload_artifacts; then the final update. Every byte of the log goes through the masker, then the trace.
// Outcomes: Job-Status canceling or SIGTERM cancel the script (after_script still runs, as on GitLab 17+);
// Job-Status canceled/failed aborts everything; the job's timeout (runner_info.timeout) ends the job with
// job_execution_timeout and nothing after the script. A job kiln could not run is never reported as success.
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Executor, PreparedJob, StepResult } from '../executors/types.js';
import { AFTER_SCRIPT_DEFAULT_MS } from '../executors/types.js';
import { StreamMasker } from '../run/output/mask.js';
import { TokenPrefixMasker } from './token-mask.js';
import type { RunnerEntry } from '../config/runners.js';
import type { FailureReason, JobPayload } from './api-types.js';
import { runnerInfo, type CoordinatorClient } from './api.js';
import { TraceStreamer, type FinalResult } from './trace.js';
import { buildEnvironment, payloadVar, toKilnJob } from './payload.js';
import { getSources } from './sources.js';
import { restoreCaches, saveCaches, type CacheScope } from './cache.js';
import { downloadDependencies, uploadArtifacts } from './artifacts.js';

/** common/consts.go DefaultTimeout (seconds) when GitLab sends no runner_info.timeout. */
const DEFAULT_JOB_TIMEOUT_S = 7200;

export interface JobRunOptions {
  payload: JobPayload;
  runner: RunnerEntry;
  client: CoordinatorClient;
  executor: Executor;
  buildsDir: string;
  cacheScope: Omit<CacheScope, 'projectPath'>;
  slot: number;
  /** SIGTERM / SIGINT of the runner: cancel like Job-Status canceling. */
  stop: AbortSignal;
  log: (line: string) => void;
}

export interface JobOutcome {
  id: number;
  name: string;
  status: 'success' | 'failed' | 'canceled';
  failureReason?: FailureReason;
  exitCode?: number;
  final: 'accepted' | 'aborted' | 'gave-up';
  durationMs: number;
  /** Time in git (get_sources) and in the job's script steps: the job's own work; the rest is the runner's. */
  sourcesMs: number;
  scriptMs: number;
  traceBytes: number;
}

const section = (name: string, title: string) =>
  `\x1b[0Ksection_start:${Math.floor(Date.now() / 1000)}:${name}\r\x1b[0K\x1b[36;1m${title}\x1b[0;m\n`;
const sectionEnd = (name: string) => `\x1b[0Ksection_end:${Math.floor(Date.now() / 1000)}:${name}\r\x1b[0K`;

/** Files the job created that git does not track (artifacts/cache `untracked`, ignored files included). */
function untrackedFiles(ws: string): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn('git', ['ls-files', '--others', '-z'], { cwd: ws, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', () => resolve([]));
    child.on('close', (code) => resolve(code === 0 ? out.split('\0').filter(Boolean) : []));
  });
}

/** GitLab only knows some failure reasons; others become unknown_failure (common/network.go mapping). */
function supported(p: JobPayload, r: FailureReason): FailureReason {
  const always: FailureReason[] = ['script_failure', 'runner_system_failure', 'job_execution_timeout'];
  return always.includes(r) || (p.features?.failure_reasons ?? []).includes(r) ? r : 'unknown_failure';
}

export async function runJob(o: JobRunOptions): Promise<JobOutcome> {
  const p = o.payload;
  const started = Date.now();
  const cancel = new AbortController();
  const abort = new AbortController();
  const onStop = () => cancel.abort('the runner is stopping (SIGTERM)');
  o.stop.addEventListener('abort', onStop, { once: true });
  if (o.stop.aborted) onStop();
  const trace = new TraceStreamer({
    client: o.client,
    jobId: p.id,
    jobToken: p.token,
    info: runnerInfo(o.runner.executor, o.runner.shell),
    limitBytes: o.runner.outputLimitBytes,
    finalUpdateRetryLimit: o.runner.jobStatusFinalUpdateRetryLimit,
    onCancel: () => cancel.abort('canceled in GitLab'),
    onAbort: () => {
      cancel.abort('canceled in GitLab');
      abort.abort('canceled in GitLab');
    },
    log: (l) => o.log(`job ${p.id}: ${l}`),
  });
  // Secrets known from the payload alone, so not even the first line can leak one.
  const masker = new StreamMasker([p.token, ...(p.variables ?? []).filter((v) => v.masked).map((v) => v.value)]);
  const tokens = new TokenPrefixMasker(p.features?.token_mask_prefixes ?? []);
  const write = (data: string | Buffer) =>
    trace.write(tokens.push(masker.push(typeof data === 'string' ? Buffer.from(data) : data)));
  const line = (text: string) => write(`${text}\n`);
  trace.start();

  const projectPath = p.job_info.project_full_path || `project-${p.job_info.project_id}`;
  const ws = join(o.buildsDir, o.runner.name.replace(/[^A-Za-z0-9_.-]/g, '_'), String(o.slot), projectPath);
  const tmpDir = `${ws}.tmp`;
  let prepared: PreparedJob | undefined;
  let result: FinalResult = { state: 'failed', failureReason: 'runner_system_failure' };
  let status: JobOutcome['status'] = 'failed';
  let sourcesMs = 0;
  let scriptMs = 0;
  const timed = async <T>(add: (ms: number) => void, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      add(performance.now() - t0);
    }
  };
  try {
    line(`\x1b[1;mRunning with kiln ${runnerInfo(o.runner.executor).version} (a GitLab runner)\x1b[0;m`);
    line(
      `  on ${o.runner.name}${o.runner.id !== undefined ? ` ${o.runner.id}` : ''}, job ${p.id} (${p.job_info.name})`,
    );
    write(section('prepare_executor', `Preparing the "${o.runner.executor}" executor`));
    // What kiln cannot do fails the job loudly rather than running it without (never silently wrong).
    if (p.secrets && Object.keys(p.secrets).length) {
      throw new Error(
        `this job uses external secrets (${Object.keys(p.secrets).join(', ')}); kiln cannot resolve Vault or cloud secrets`,
      );
    }
    if (p.run !== undefined && p.run !== null && p.run !== '')
      throw new Error('this job uses GitLab Steps (run:), which kiln does not run');
    if (o.runner.executor === 'shell' && p.services?.length) {
      line(
        `\x1b[33;1mWARNING: the shell executor does not start services; ignoring ${p.services.map((x) => x.name).join(', ')}\x1b[0;m`,
      );
    }
    await mkdir(ws, { recursive: true });
    const { env } = await buildEnvironment({
      payload: p,
      projectDir: ws,
      buildsDir: o.buildsDir,
      tmpDir,
      runnerName: o.runner.name,
      runnerId: o.runner.id,
      runnerShortToken: (o.runner.token ?? '').replace(/^glrt-/, '').slice(0, 8),
      slot: o.slot,
      executor: o.runner.executor,
      configEnvironment: o.runner.environment,
      hostEnv: process.env,
    });
    const job = toKilnJob(p, env, o.runner.docker.image);
    job.variables = Object.fromEntries((p.variables ?? []).map((v) => [v.key, { value: v.value, expand: false }]));
    prepared = await o.executor.prepare({ job, workspaceDir: ws, env, runId: `runner-${p.id}` }, cancel.signal);
    write(sectionEnd('prepare_executor'));
    const timeoutS = p.runner_info?.timeout || DEFAULT_JOB_TIMEOUT_S;
    const deadline = started + timeoutS * 1000;
    const left = () => Math.max(1, deadline - Date.now());
    const step = (
      kind: 'main' | 'after',
      lines: string[],
      timeoutMs: number,
      signal: AbortSignal,
    ): Promise<StepResult> =>
      timed(
        (ms) => {
          scriptMs += ms;
        },
        () => o.executor.runScript(prepared!, kind, lines, { timeoutMs, signal, onOutput: (c) => write(c) }),
      );

    write(section('get_sources', 'Getting source from Git repository'));
    const hooks = (name: string) => (p.hooks ?? []).filter((h) => h.name === name).flatMap((h) => h.script);
    const preSources = [
      ...(o.runner.preGetSourcesScript ? [o.runner.preGetSourcesScript] : []),
      ...hooks('pre_get_sources_script'),
    ];
    if (preSources.length) {
      const r = await step('main', preSources, left(), cancel.signal);
      if (r.exitCode !== 0 || r.cancelled || r.timedOut) throw new StepFailed(r, 'pre_get_sources_script');
    }
    await timed(
      (ms) => {
        sourcesMs += ms;
      },
      () => getSources({ payload: p, dir: ws, cloneUrl: o.runner.cloneUrl, env, out: line, signal: cancel.signal }),
    );
    const postSources = [
      ...(o.runner.postGetSourcesScript ? [o.runner.postGetSourcesScript] : []),
      ...hooks('post_get_sources_script'),
    ];
    if (postSources.length) {
      const r = await step('main', postSources, left(), cancel.signal);
      if (r.exitCode !== 0 || r.cancelled || r.timedOut) throw new StepFailed(r, 'post_get_sources_script');
    }
    write(sectionEnd('get_sources'));
    const cacheScope: CacheScope = { ...o.cacheScope, projectPath };
    if (p.cache?.length) {
      write(section('restore_cache', 'Restoring cache'));
      await restoreCaches(p.cache, cacheScope, ws, env, line);
      write(sectionEnd('restore_cache'));
    }
    if (p.dependencies?.some((d) => d.artifacts_file?.filename)) {
      write(section('download_artifacts', 'Downloading artifacts'));
      await downloadDependencies(o.client, p.token, p.dependencies, ws, line);
      write(sectionEnd('download_artifacts'));
    }

    write(section('step_script', 'Executing "step_script" stage of the job script'));
    const script = [
      ...(o.runner.preBuildScript ? [o.runner.preBuildScript] : []),
      ...job.script,
      ...(o.runner.postBuildScript ? [o.runner.postBuildScript] : []),
    ];
    const main = cancel.signal.aborted
      ? { exitCode: 1, timedOut: false, cancelled: true }
      : await step('main', script, left(), cancel.signal);
    write(sectionEnd('step_script'));
    const canceled = main.cancelled || cancel.signal.aborted;
    const success = !canceled && !main.timedOut && main.exitCode === 0;
    if (main.timedOut && !canceled) {
      line(`\x1b[31;1mERROR: Job failed: execution took longer than ${timeoutS}s seconds\x1b[0;m`);
      result = { state: 'failed', failureReason: 'job_execution_timeout', exitCode: main.exitCode };
      return await finish();
    }
    if (job.afterScript.length && !abort.signal.aborted) {
      write(section('after_script', 'Running after_script'));
      prepared.setup.env.CI_JOB_STATUS = canceled ? 'canceled' : success ? 'success' : 'failed';
      const after = await step('after', job.afterScript, Math.min(AFTER_SCRIPT_DEFAULT_MS, left()), abort.signal);
      if (after.exitCode !== 0 || after.timedOut)
        line(
          `\x1b[33;1mWARNING: after_script failed${after.timedOut ? ' (timed out)' : ''}, but the job status is not changed\x1b[0;m`,
        );
      write(sectionEnd('after_script'));
    }
    if (canceled) {
      line(
        `\x1b[31;1mERROR: Job failed: canceled${typeof cancel.signal.reason === 'string' ? ` (${cancel.signal.reason})` : ''}\x1b[0;m`,
      );
      result = { state: 'failed', failureReason: supported(p, canceledReason()), exitCode: main.exitCode };
      status = 'canceled';
      return await finish();
    }
    const untracked = () => untrackedFiles(ws);
    if (p.cache?.length) {
      write(section('archive_cache', 'Saving cache'));
      await saveCaches(p.cache, cacheScope, ws, env, success, untracked, line);
      write(sectionEnd('archive_cache'));
    }
    if (p.artifacts?.length) {
      write(section('upload_artifacts_on_' + (success ? 'success' : 'failure'), 'Uploading artifacts'));
      await uploadArtifacts(o.client, p.id, p.token, p.artifacts, ws, env, success, untracked, line);
      write(sectionEnd('upload_artifacts_on_' + (success ? 'success' : 'failure')));
    }
    if (success) {
      line('\x1b[32;1mJob succeeded\x1b[0;m');
      result = { state: 'success' };
      status = 'success';
    } else {
      line(`\x1b[31;1mERROR: Job failed: exit code ${main.exitCode}\x1b[0;m`);
      result = { state: 'failed', failureReason: 'script_failure', exitCode: main.exitCode };
    }
    return await finish();
  } catch (e) {
    if (e instanceof StepFailed) {
      line(`\x1b[31;1mERROR: Job failed: ${e.message}\x1b[0;m`);
      result =
        e.result.cancelled || cancel.signal.aborted
          ? { state: 'failed', failureReason: supported(p, canceledReason()) }
          : {
              state: 'failed',
              failureReason: e.result.timedOut ? 'job_execution_timeout' : 'script_failure',
              exitCode: e.result.exitCode,
            };
      if (e.result.cancelled || cancel.signal.aborted) status = 'canceled';
    } else if (cancel.signal.aborted) {
      line(`\x1b[31;1mERROR: Job failed: canceled\x1b[0;m`);
      result = { state: 'failed', failureReason: supported(p, canceledReason()) };
      status = 'canceled';
    } else {
      line(`\x1b[31;1mERROR: Job failed (system failure): ${(e as Error).message}\x1b[0;m`);
      result = { state: 'failed', failureReason: 'runner_system_failure' };
    }
    return await finish();
  } finally {
    o.stop.removeEventListener('abort', onStop);
    if (prepared) await o.executor.cleanup(prepared).catch(() => undefined);
    await rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** The runner being stopped is runner_interrupted (GitLab Runner 18); a cancel from GitLab job_canceled. */
  function canceledReason(): FailureReason {
    return o.stop.aborted ? 'runner_interrupted' : 'job_canceled';
  }

  async function finish(): Promise<JobOutcome> {
    trace.write(tokens.push(masker.flush(), true));
    const final = await trace.finish(result);
    if (final !== 'accepted')
      o.log(
        `job ${p.id}: final update ${final === 'aborted' ? 'not accepted: GitLab ended the job' : 'gave up after retries'}`,
      );
    return {
      id: p.id,
      name: p.job_info.name,
      status,
      failureReason: result.failureReason,
      exitCode: result.exitCode,
      final,
      durationMs: Date.now() - started,
      sourcesMs: Math.round(sourcesMs),
      scriptMs: Math.round(scriptMs),
      traceBytes: trace.bytes,
    };
  }
}

class StepFailed extends Error {
  constructor(
    readonly result: StepResult,
    what: string,
  ) {
    super(
      result.cancelled
        ? `${what} canceled`
        : result.timedOut
          ? `${what} timed out`
          : `${what} failed with exit code ${result.exitCode}`,
    );
  }
}

export { payloadVar };
