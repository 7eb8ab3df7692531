// Running the example pipeline with `kiln run --json` and reading the result: the JSON summary (job statuses,
// cache outcomes, log paths) and each job's log text.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runKiln, type KilnResult } from './harness.js';

export interface JobResult {
  name: string;
  stage: string;
  status: string;
  cache?: string;
  durationMs?: number;
  log?: string;
  message?: string;
}

export interface PipelineRun {
  result: KilnResult;
  status: string;
  jobs: Map<string, JobResult>;
  /** Wall-clock seconds of the whole `kiln run`. */
  seconds: number;
}

/** Runs the pipeline in `project` with the given variables (passed through a JSON variables file). */
export async function runPipeline(
  project: string,
  variables: Record<string, string>,
  jobs: string[] = [],
): Promise<PipelineRun> {
  const varsFile = join(project, '..', `vars-${Date.now()}.json`);
  writeFileSync(varsFile, JSON.stringify(variables));
  const result = await runKiln(['run', '--json', '--variables-file', varsFile, ...jobs], { cwd: project });
  let summary: { status?: string; jobs?: JobResult[] };
  try {
    summary = JSON.parse(result.stdout);
  } catch {
    throw new Error(
      `kiln run did not print a JSON summary (exit ${result.code}).\nstdout:\n${result.stdout.slice(-4000)}\nstderr:\n${result.stderr.slice(-8000)}`,
    );
  }
  const map = new Map<string, JobResult>();
  for (const j of summary.jobs ?? []) map.set(j.name, j);
  return { result, status: summary.status ?? '?', jobs: map, seconds: result.seconds };
}

/** A job's log as plain lines (kiln's log columns "<time> <O|E|K> " removed). */
export function jobLog(run: PipelineRun, name: string): string {
  const job = run.jobs.get(name);
  if (!job) throw new Error(`no job "${name}" in the summary; jobs: ${[...run.jobs.keys()].join(', ')}`);
  if (!job.log || !existsSync(job.log)) throw new Error(`job "${name}" has no log file (${job.log ?? 'none'})`);
  return readFileSync(job.log, 'utf8')
    .split('\n')
    .filter((l) => !/^\S+ section_(start|end):/.test(l))
    .map((l) => l.replace(/^\S+ [OEK] /, ''))
    .join('\n');
}

/**
 * Seconds between the first log line containing `from` and the next one containing `to` (kiln's log lines carry
 * an ISO timestamp), e.g. how long `make` took inside a build job. undefined when a marker is missing.
 */
export function stepSeconds(run: PipelineRun, name: string, from: string, to: string): number | undefined {
  const file = run.jobs.get(name)?.log;
  if (!file || !existsSync(file)) return undefined;
  let start: number | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const at = Date.parse(line.slice(0, line.indexOf(' ')));
    if (Number.isNaN(at)) continue;
    if (start === undefined && line.includes(from)) start = at;
    else if (start !== undefined && line.includes(to)) return (at - start) / 1000;
  }
  return undefined;
}

/** "name: status" for every job, for assertion messages. */
export function statusLine(run: PipelineRun): string {
  return [...run.jobs.values()].map((j) => `${j.name}: ${j.status}${j.message ? ` (${j.message})` : ''}`).join('; ');
}

/** Explains a failed job with the tail of its log. */
export function failureReport(run: PipelineRun): string {
  const parts = [`pipeline ${run.status}: ${statusLine(run)}`];
  for (const j of run.jobs.values()) {
    if (j.status !== 'failed' || !j.log || !existsSync(j.log)) continue;
    parts.push(`--- ${j.name} (last lines) ---`, jobLog(run, j.name).split('\n').slice(-40).join('\n'));
  }
  if (run.result.stderr && run.jobs.size === 0) parts.push(run.result.stderr.slice(-4000));
  return parts.join('\n');
}

/** ccache's hit count from `ccache --show-stats` (4.2: "cache hit (direct)  N"; newer: "Hits: N / M"). */
export function ccacheHits(log: string): number | undefined {
  const direct = /cache hit \(direct\)\s+(\d+)/.exec(log);
  const pre = /cache hit \(preprocessed\)\s+(\d+)/.exec(log);
  if (direct || pre) return Number(direct?.[1] ?? 0) + Number(pre?.[1] ?? 0);
  const summary = /^\s*Hits:\s+(\d+)/m.exec(log);
  return summary ? Number(summary[1]) : undefined;
}
