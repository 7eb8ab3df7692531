// `kiln runner run`: every [[runners]] entry asks GitLab for jobs (POST /jobs/request) and runs what it gets,
// at most `concurrent` jobs on the machine and `limit` per runner (0: no own limit), as GitLab Runner's
// commands/multi.go. After a job arrives the runner asks again at once (more may be waiting); after 204 it
// waits check_interval (3 s when 0); failures back off exponentially up to 60 s, 429 waits for Retry-After.
// SIGQUIT: take no new jobs, let the running ones finish and report, then exit. SIGTERM/SIGINT: cancel the
// running jobs (after_script still runs), report them, exit; a second SIGTERM/SIGINT exits at once.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { readConfigFile } from '../config/index.js';
import { DEFAULT_CHECK_INTERVAL_S, ignoredWarning, type IgnoredKey, type RunnerEntry } from '../config/runners.js';
import { IGNORED_SETTING } from '../config/read-file.js';
import type { Executor } from '../executors/types.js';
import { DEFAULT_CONFIG } from '../config/types.js';
import { CoordinatorClient, runnerInfo } from './api.js';
import { RunnerError, RunnerForbiddenError } from './errors.js';
import { sleep } from './http.js';
import { runJob, type JobOutcome } from './job.js';
import { selectRunners, systemIdFor } from './register.js';
import { permissionWarning } from './config-file.js';
import { checkBuildsDirForEngine } from './in-container.js';

export interface RunOptions {
  configFile: string;
  name?: string;
  workDir?: string;
  /** Where `.runner_system_id` is kept (default: next to the config file). */
  stateDir?: string;
  maxJobs?: number;
  json: boolean;
  /** Where progress lines go (default stderr). */
  log?: (line: string) => void;
  /** Signals are handled by the caller when given (tests). */
  signals?: { quit: AbortSignal; term: AbortSignal };
}

const BACKOFF_MAX_MS = 60_000;

async function executorFor(r: RunnerEntry): Promise<Executor> {
  if (r.executor === 'docker') {
    const { createDockerExecutor } = await import('../executors/docker/executor.js');
    return createDockerExecutor({
      docker: { ...DEFAULT_CONFIG.docker, ...r.docker },
      runner: { shell: r.shell, environment: r.environment, ...(r.buildsDir ? { buildsDir: r.buildsDir } : {}) },
    });
  }
  const { createShellExecutor } = await import('../executors/shell/executor.js');
  return createShellExecutor({ shell: r.shell });
}

function buildsDirOf(r: RunnerEntry, workDir: string): string {
  return resolve(r.buildsDir ?? join(workDir, 'builds'));
}

/** Runs until stopped (or --max-jobs); returns the exit code. */
export async function runRunners(o: RunOptions): Promise<number> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const layer = readConfigFile(o.configFile);
  if (!layer) throw new RunnerError(`${o.configFile} does not exist: run \`kiln runner register\` first`);
  const runners = selectRunners(o.configFile, o.name);
  const warning = permissionWarning(o.configFile, runners);
  if (warning) log(`kiln: ${warning}`);
  const ignored = ignoredWarning((layer.get(IGNORED_SETTING)?.value as IgnoredKey[] | undefined) ?? []);
  if (ignored) log(`kiln: ${ignored}`);
  const concurrent = (layer.get('concurrent')?.value as number | undefined) ?? 1;
  const checkIntervalMs =
    ((layer.get('check_interval')?.value as number | undefined) || DEFAULT_CHECK_INTERVAL_S) * 1000;
  const shutdownS = (layer.get('shutdown_timeout')?.value as number | undefined) || 30;
  const workDir = resolve(o.workDir ?? join(homedir(), '.local', 'share', 'kiln', 'runner'));
  for (const r of runners) {
    if (r.executor !== 'docker') continue;
    const { connectDocker } = await import('../executors/docker/client.js');
    await checkBuildsDirForEngine(
      buildsDirOf(r, workDir),
      () => connectDocker(),
      (l) => log(`kiln: ${r.name}: ${l}`),
    );
  }
  const systemId = await systemIdFor(o.configFile, { stateDir: o.stateDir, warn: (l) => log(`kiln: ${l}`) });

  let signals = o.signals;
  const cleanup: (() => void)[] = [];
  if (!signals) {
    const quit = new AbortController();
    const term = new AbortController();
    const onQuit = () => {
      log('SIGQUIT: no new jobs; waiting for the running ones');
      quit.abort();
    };
    const onTerm = (sig: string) => {
      if (term.signal.aborted) process.exit(130);
      log(`${sig}: canceling the running jobs`);
      quit.abort();
      term.abort();
      // config.toml shutdown_timeout (GitLab Runner: 30 s when 0): then exit without waiting for the reports.
      const t = setTimeout(() => {
        log(`shutdown_timeout (${shutdownS} s) passed: exiting`);
        process.exit(130);
      }, shutdownS * 1000);
      t.unref();
    };
    const t = () => onTerm('SIGTERM');
    const i = () => onTerm('SIGINT');
    process.on('SIGQUIT', onQuit);
    process.on('SIGTERM', t);
    process.on('SIGINT', i);
    cleanup.push(() => {
      process.off('SIGQUIT', onQuit);
      process.off('SIGTERM', t);
      process.off('SIGINT', i);
    });
    signals = { quit: quit.signal, term: term.signal };
  }
  const { quit, term } = signals;

  let running = 0;
  let started = 0;
  let finishedCount = 0;
  let failed = false;
  const maxReached = new AbortController();
  const wake: (() => void)[] = [];
  const notify = () => {
    for (const w of wake.splice(0)) w();
  };
  const stopPolling = AbortSignal.any([quit, maxReached.signal]);
  const jobs: Promise<void>[] = [];

  const worker = async (r: RunnerEntry) => {
    if (!r.url || !r.token) throw new RunnerError(`runner "${r.name}" in ${o.configFile} has no url or token`);
    const client = new CoordinatorClient(r.url, {
      caFile: r.tlsCaFile,
      certFile: r.tlsCertFile,
      keyFile: r.tlsKeyFile,
    });
    const executor = await executorFor(r);
    const info = runnerInfo(r.executor, r.shell);
    const slots = new Set<number>();
    let mine = 0;
    let lastUpdate: string | undefined;
    let backoff = 0;
    try {
      while (!stopPolling.aborted) {
        if (
          running >= concurrent ||
          (r.limit > 0 && mine >= r.limit) ||
          (o.maxJobs !== undefined && started >= o.maxJobs)
        ) {
          await new Promise<void>((res) => {
            wake.push(res);
            stopPolling.addEventListener('abort', () => res(), { once: true });
          });
          continue;
        }
        let answer;
        try {
          answer = await client.requestJob(r.token, info, systemId, lastUpdate, stopPolling);
        } catch (e) {
          if (e instanceof RunnerForbiddenError) throw e;
          answer = { kind: 'retry-later' as const, detail: (e as Error).message };
        }
        if (answer.lastUpdate) lastUpdate = answer.lastUpdate;
        if (answer.kind === 'none') {
          backoff = 0;
          await sleep(checkIntervalMs, stopPolling);
          continue;
        }
        if (answer.kind === 'retry-later') {
          if (stopPolling.aborted) break;
          backoff = Math.min(BACKOFF_MAX_MS, backoff ? backoff * 2 : checkIntervalMs);
          const wait = answer.waitMs ?? backoff;
          log(`${r.name}: asking for jobs failed (${answer.detail}); again in ${Math.round(wait / 100) / 10}s`);
          await sleep(wait, stopPolling);
          continue;
        }
        backoff = 0;
        const payload = answer.job;
        running++;
        mine++;
        started++;
        if (o.maxJobs !== undefined && started >= o.maxJobs) maxReached.abort();
        let slot = 0;
        while (slots.has(slot)) slot++;
        slots.add(slot);
        log(`${r.name}: job ${payload.id} (${payload.job_info?.name}) received`);
        jobs.push(
          runJob({
            payload,
            runner: r,
            client,
            executor,
            buildsDir: r.buildsDir ?? join(workDir, 'builds'),
            cacheScope: {
              root: r.cacheDir ?? join(workDir, 'cache'),
              runner: r.id !== undefined ? String(r.id) : r.name,
            },
            slot,
            stop: term,
            log,
          })
            .then(
              (outcome: JobOutcome) => {
                if (outcome.status !== 'success') failed = true;
                log(
                  `${r.name}: job ${outcome.id} (${outcome.name}) ${outcome.status}${outcome.failureReason ? ` (${outcome.failureReason})` : ''} in ${outcome.durationMs} ms`,
                );
                if (o.json) process.stdout.write(`${JSON.stringify(outcome)}\n`);
              },
              (e: Error) => {
                failed = true;
                log(`${r.name}: job ${payload.id}: ${e.message}`);
              },
            )
            .finally(() => {
              running--;
              mine--;
              finishedCount++;
              slots.delete(slot);
              notify();
            }),
        );
      }
    } finally {
      // Jobs of this runner still use the client: it is closed once they are done.
      await Promise.allSettled(jobs);
      client.close();
    }
  };

  try {
    const results = await Promise.allSettled(runners.map(worker));
    await Promise.allSettled(jobs);
    const err = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (err) throw err.reason;
    log(`runner stopped after ${finishedCount} job(s)`);
    return term.aborted ? 130 : failed && o.maxJobs !== undefined ? 1 : 0;
  } finally {
    for (const c of cleanup) c();
  }
}
