// The body of `kiln run`: flags → user variables, config, pipeline, executor → run → summary and exit code.
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { UsageError } from '../errors.js';
import type { Pipeline, Variables } from '../pipeline/model.js';
import type { Executor } from '../executors/types.js';
import { selectJobs } from '../plan/select.js';
import { rm } from 'node:fs/promises';
import { pipelineOptions } from './pipeline-input.js';
import type { PipelineFlags } from '../pipeline/options.js';
import { allocatePipeline, pipelinesRoot } from '../run/pipelines-dir.js';
import type { PipelineSummary } from '../run/summary.js';
import type { SecretSource } from '../config/types.js';
import { readFile } from 'node:fs/promises';
import { Console, wantColor } from '../run/output/console.js';
import { executorFactories } from '../executors/factories.js';
import { runPipeline } from '../run/pipeline.js';
import { SchedulerControl } from '../run/schedule/control.js';
import { watchRedundancy, type Redundancy } from '../run/redundancy/watch.js';
import { renderTable } from '../run/summary.js';
import { trace } from '../util/trace.js';
import { storeDirFor } from './store-dir.js';
import { projectId } from '../run/project-id.js';
import { reclaimDeadRuns, writeOwner, type ReclaimResult } from '../run/dead-runs.js';
import { dict } from '../util/dict.js';

export interface RunFlags extends PipelineFlags {
  dir: string;
  needs?: boolean;
  stage?: string[];
  /** true: play every manual job; names: play those. */
  manual?: boolean | string[];
  /** Continue this pipeline (kiln run --pipeline ID). */
  pipeline?: string;
  concurrency?: string;
  masked?: string[];
  /** worktree or committed (--sources). */
  sources: string;
  json?: boolean;
  store?: string;
  executor?: string;
  keepWorkspaces?: boolean;
  /** false with --no-auto-cancel. */
  autoCancel?: boolean;
  allowMultiProject?: boolean;
}

/**
 * kiln.toml `[secrets]` values, read from kiln's environment or files. One that cannot be read stays missing, so
 * only a job that asks for it fails (with what is missing), never one that does not.
 */
async function readSecretSources(sources: Record<string, SecretSource>): Promise<Record<string, string>> {
  const out: Record<string, string> = Object.create(null);
  for (const [name, src] of Object.entries(sources)) {
    if ('env' in src) {
      const v = process.env[src.env];
      if (v !== undefined) out[name] = v;
    } else {
      try {
        out[name] = (await readFile(src.file, 'utf8')).replace(/\r?\n$/, '');
      } catch {
        /* missing: reported by the job that needs it */
      }
    }
  }
  return out;
}

/** The summary of a finished pipeline to continue (`--pipeline ID`). */
async function readFinishedPipeline(kilnDir: string, raw: string): Promise<PipelineSummary> {
  const id = Number(raw);
  if (!Number.isInteger(id) || id < 1) throw new UsageError(`--pipeline must be a pipeline number, got "${raw}"`);
  try {
    return JSON.parse(
      await readFile(join(pipelinesRoot(kilnDir), String(id), 'summary.json'), 'utf8'),
    ) as PipelineSummary;
  } catch {
    throw new UsageError(
      `pipeline ${id} has no summary to continue from (it does not exist, is still running, or did not finish)`,
    );
  }
}

export function parseConcurrency(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`--concurrency must be a positive integer, got "${value}"`);
  const n = Number(value);
  if (n < 1) throw new UsageError('--concurrency must be at least 1 (0 would run nothing)');
  return n;
}

export async function runCommand(names: string[], flags: RunFlags): Promise<number> {
  const projectDir = resolve(flags.dir);
  if (!existsSync(projectDir) || !statSync(projectDir).isDirectory())
    throw new UsageError(`project directory ${projectDir} does not exist`);
  // `--source worktree|committed` chose the job sources before `--source` became the pipeline source that `kiln
  // jobs` and `kiln lint` take; the old spelling still works, and says so.
  let sources = flags.sources;
  if (flags.source === 'worktree' || flags.source === 'committed') {
    process.stderr.write(
      `kiln: --source ${flags.source} is now --sources ${flags.source} (--source sets CI_PIPELINE_SOURCE, as in kiln jobs)\n`,
    );
    sources = flags.source;
    flags.source = undefined;
  }
  if (sources !== 'worktree' && sources !== 'committed')
    throw new UsageError(`--sources must be worktree or committed, got "${sources}"`);
  let concurrency = parseConcurrency(flags.concurrency);
  const loadOptions = await pipelineOptions({ ...flags, dir: projectDir });

  trace('flags parsed');
  const { loadConfig } = await import('../config/load.js');
  const loaded = loadConfig({ projectDir });
  const config = loaded.config;
  // GitLab Runner settings kiln.toml accepts but kiln does not use: one warning, in every mode (--json too).
  const { ignoredWarning } = await import('../config/runners.js');
  const ignoredNote = ignoredWarning(loaded.ignored);
  if (ignoredNote) process.stderr.write(`kiln: ${ignoredNote}\n`);
  // kiln.toml or the default (the CPU count, DEFAULT_CONFIG): the value `kiln config` shows.
  if (concurrency === undefined) concurrency = config.concurrent;
  const masked = [...new Set([...(config.masked ?? []), ...(flags.masked ?? [])])];
  // kiln.toml runner environment: like GitLab Runner's, below the pipeline's own variables.
  const runnerEnv: Record<string, string> = dict();
  for (const env of config.runner.environment ?? []) {
    const eq = env.indexOf('=');
    if (eq > 0) runnerEnv[env.slice(0, eq)] = env.slice(eq + 1);
  }

  const executorName = flags.executor ?? config.runner.executor ?? 'shell';
  const factory = executorFactories[executorName];
  if (!factory)
    throw new UsageError(
      `unknown executor "${executorName}" (available: ${Object.keys(executorFactories).join(', ')})`,
    );

  const kilnDir = join(projectDir, '.kiln');
  const storeDir = storeDirFor(projectDir, flags.store, config.runner.cacheDir);
  const project = projectId(projectDir, kilnDir);
  const previous = flags.pipeline !== undefined ? await readFinishedPipeline(kilnDir, flags.pipeline) : undefined;
  const { id, dir } = previous
    ? { id: previous.pipelineId, dir: join(pipelinesRoot(kilnDir), String(previous.pipelineId)) }
    : await allocatePipeline(kilnDir, storeDir);
  // This process owns the pipeline directory now (a continued pipeline too): see run/dead-runs.ts.
  await writeOwner(dir, flags.keepWorkspaces ?? false);
  const done = new Set(
    (previous?.jobs ?? []).filter((j) => j.status !== 'manual' && j.status !== 'blocked').map((j) => j.name),
  );

  trace('config loaded');
  const { loadPipeline } = await import('../pipeline/load.js');
  trace('loader imported');
  let pipeline: Pipeline;
  let executor: Executor;
  try {
    pipeline = await loadPipeline({ ...loadOptions, pipelineId: id, masked });
    selectJobs(pipeline, { names, needs: flags.needs, stages: flags.stage, manual: flags.manual, done });
    trace('pipeline loaded');
    executor = await factory({ config });
  } catch (e) {
    // Nothing ran: do not leave an empty pipeline behind (a continued one keeps what it had).
    if (!previous) await rm(dir, { recursive: true, force: true });
    throw e;
  }

  const out = flags.json ? process.stderr : process.stdout;
  const console = new Console({ color: wantColor(out), out });
  reportReclaimed(await reclaimDeadRuns(kilnDir), (m) => console.plain(m));
  const controller = new AbortController();
  const hardStop = new AbortController();
  let interrupted = false;
  // First signal: cancel (running jobs stop, their after_script runs). Second: stop after_script too.
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) {
      if (hardStop.signal.aborted) return;
      console.plain(`\nkiln: ${sig} again: stopping after_script of canceled jobs...`);
      hardStop.abort();
      return;
    }
    interrupted = true;
    console.plain(
      `\nkiln: ${sig}: canceling the pipeline (stopping running jobs; after_script still runs, ${sig} again stops it)...`,
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const control = new SchedulerControl();
  let redundancy: Redundancy | undefined;
  try {
    if (pipeline.workflow?.created !== false) {
      redundancy = await watchRedundancy({
        kilnDir,
        pipelineId: id,
        pipelineDir: dir,
        ref: pipeline.context.ref,
        onNewCommit: pipeline.autoCancel.onNewCommit,
        control,
        console,
        cancelOlder: flags.autoCancel !== false && !previous,
      });
    }
    const sha = pipeline.context.predefined.CI_COMMIT_SHA;
    if (previous?.sha && sha && previous.sha !== sha) {
      console.plain(
        `kiln: pipeline ${id} ran for commit ${previous.sha.slice(0, 8)}; the checkout is now at ${sha.slice(0, 8)}: the jobs of this run use the current sources`,
      );
    }
    const summary = await runPipeline({
      pipeline,
      pipelineId: id,
      pipelineDir: dir,
      storeDir,
      project,
      executor,
      console,
      select: { names, needs: flags.needs, stages: flags.stage, manual: flags.manual, done },
      previous,
      concurrency: concurrency ?? availableParallelism(),
      source: sources as 'worktree' | 'committed',
      maskedNames: masked,
      signal: controller.signal,
      hardStop: hardStop.signal,
      control,
      keepWorkspaces: flags.keepWorkspaces,
      runnerEnv,
      cachePool: config.runner.cachePool,
      preBuildScript: config.runner.preBuildScript,
      postBuildScript: config.runner.postBuildScript,
      secrets: await readSecretSources(config.secrets),
      resourceGroupModes: config.resourceGroups,
      downstream: { kilnDir, allowMultiProject: flags.allowMultiProject === true },
    });
    redundancy?.stop();
    if (sha) summary.sha = sha;
    const canceledBy = redundancy?.canceledBy();
    if (canceledBy !== undefined) summary.canceledBy = canceledBy;
    trace('pipeline finished');
    await writeFileAtomic(join(dir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else console.plain(`\n${renderTable(summary, console.color)}`);
    if (!interrupted) await collectStoreGarbage(storeDir, (m) => console.plain(m));
    if (summary.status === 'canceled' || interrupted) return 130;
    // Blocked: nothing failed, but the pipeline waits for a manual job (documented exit code 3).
    return summary.status === 'passed' ? 0 : summary.status === 'blocked' ? 3 : 1;
  } finally {
    redundancy?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Tells what was removed of killed runs (see dead-runs.ts). */
export function reportReclaimed(r: ReclaimResult, say: (m: string) => void): void {
  if (r.pipelines.length)
    say(`kiln: removed the sources snapshot and workspaces of killed runs (pipeline ${r.pipelines.join(', ')})`);
  for (const f of r.failed) say(`kiln: WARNING: cannot remove ${f.path} left by a killed run: ${f.error}`);
}

/** Once an hour, a run ends by removing what the store no longer needs (see store/gc.ts). */
async function collectStoreGarbage(storeDir: string, say: (m: string) => void): Promise<void> {
  const { collectGarbageIfDue } = await import('../store/gc.js');
  const { Store } = await import('../store/store.js');
  try {
    const r = await collectGarbageIfDue(new Store(storeDir), 60 * 60 * 1000);
    if (r && r.packs + r.blobs + r.expiredEntries.length > 0) {
      say(
        `kiln: store: removed ${r.expiredEntries.length} expired artifact entries and ${r.packs + r.blobs} unused files (${(r.bytes / 1048576).toFixed(1)} MiB)`,
      );
    }
  } catch (e) {
    say(`kiln: store garbage collection failed: ${(e as Error).message}`);
  }
}
