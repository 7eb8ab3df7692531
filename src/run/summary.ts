// The end-of-run summary: a table (job, status, duration, cache, artifacts) and its JSON form.
import type { JobRecord } from './schedule/scheduler.js';
import type { JobInfo, JobOutcome } from './job/attempt.js';
import { formatBytes, formatDuration } from './output/format.js';

export interface JobSummary {
  name: string;
  stage: string;
  status: string;
  allowedFailure: boolean;
  attempts: number;
  exitCode?: number;
  durationMs?: number;
  startedAt?: string;
  finishedAt?: string;
  cache?: string;
  artifacts?: { files: number; bytes: number; dotenv: string[] };
  junit?: { tests: number; failures: number; errors: number; skipped: number };
  /** Where kiln did less than GitLab would for this job (keywords it cannot act on locally), one sentence each. */
  warnings?: string[];
  /** `coverage:` read from the job's log, in percent. */
  coverage?: number;
  message?: string;
  log?: string;
  /** A trigger job's child pipeline (trigger:include), run inside the same kiln run. */
  downstream?: PipelineSummary;
}

export interface PipelineSummary {
  pipelineId: number;
  /** blocked: a blocking manual job was not played (continue with `kiln run --pipeline ID --manual NAME`). */
  status: 'passed' | 'failed' | 'canceled' | 'blocked';
  /** The commit the pipeline ran for (a continued pipeline checks it is still the same). */
  sha?: string;
  durationMs: number;
  jobs: JobSummary[];
  skipped: { name: string; reason: string }[];
  /** The newer pipeline (same ref) whose start auto-canceled jobs of this one. */
  canceledBy?: number;
}

export function jobSummary(
  rec: JobRecord,
  stage: string,
  info?: JobInfo,
  outcome?: Omit<JobOutcome, 'result'>,
): JobSummary {
  const s: JobSummary = {
    name: rec.name,
    stage,
    status: statusWord(rec),
    allowedFailure: rec.allowedFailure,
    attempts: rec.attempts,
  };
  if (rec.exitCode !== undefined) s.exitCode = rec.exitCode;
  if (rec.startedAt) s.startedAt = new Date(rec.startedAt).toISOString();
  if (rec.finishedAt) s.finishedAt = new Date(rec.finishedAt).toISOString();
  if (rec.startedAt && rec.finishedAt) s.durationMs = rec.finishedAt - rec.startedAt;
  if (outcome?.cache) s.cache = outcome.cache;
  if (outcome?.artifacts?.stored)
    s.artifacts = {
      files: outcome.artifacts.files,
      bytes: outcome.artifacts.bytes,
      dotenv: Object.keys(outcome.artifacts.dotenv),
    };
  if (outcome?.artifacts?.junit) s.junit = outcome.artifacts.junit;
  if (outcome?.coverage !== undefined) s.coverage = outcome.coverage;
  if (outcome?.warnings?.length) s.warnings = outcome.warnings;
  const msg = rec.message ?? rec.skipReason ?? outcome?.coverageError;
  if (msg && (rec.status !== 'success' || msg === outcome?.coverageError)) s.message = msg;
  if (info && rec.attempts > 0) s.log = info.logPath;
  return s;
}

/** A successful job that kiln ran with less than GitLab would: the first difference, and how many more. */
function warningNote(warnings: string[] | undefined): string {
  if (!warnings?.length) return '';
  const first = warnings[0].length > 70 ? `${warnings[0].slice(0, 67)}...` : warnings[0];
  return warnings.length > 1 ? `${first} (+${warnings.length - 1} more, see the log)` : first;
}

/** "not run" for a job that needs what only GitLab has: it is never shown as a success or a plain failure. */
function statusWord(rec: JobRecord): string {
  const base = rec.status === 'failed' && rec.failureReason === 'not_run' ? 'not run' : rec.status;
  return rec.status === 'failed' && rec.allowedFailure
    ? `${base === 'not run' ? 'not run' : 'failed'} (allowed)`
    : base;
}

/** The summary's jobs with each trigger job's child pipeline right after it, named "trigger > job". */
export function flattenJobs(jobs: JobSummary[], prefix = ''): JobSummary[] {
  const out: JobSummary[] = [];
  for (const j of jobs) {
    out.push(prefix ? { ...j, name: prefix + j.name } : j);
    if (j.downstream) out.push(...flattenJobs(j.downstream.jobs, `${prefix}${j.name} > `));
  }
  return out;
}

export function renderTable(summary: PipelineSummary, color: boolean): string {
  const paint = (code: string, t: string) => (color ? `\x1b[${code}m${t}\x1b[0m` : t);
  const statusColor = (st: string) =>
    st === 'success' ? '32' : st.startsWith('failed (allowed)') ? '33' : st === 'failed' ? '31' : '2';
  const jobs = flattenJobs(summary.jobs);
  const withCoverage = jobs.some((j) => j.coverage !== undefined);
  const rows = jobs.map((j) => {
    const arts = j.artifacts ? `${j.artifacts.files} files, ${formatBytes(j.artifacts.bytes)}` : '-';
    const tests = j.junit
      ? ` · tests ${j.junit.tests - j.junit.failures - j.junit.errors}/${j.junit.tests} passed`
      : '';
    const retries = j.attempts > 1 ? ` (${j.attempts} attempts)` : '';
    const row = [
      j.name,
      j.status + retries,
      j.durationMs !== undefined ? formatDuration(j.durationMs) : '-',
      j.cache ?? '-',
      arts + tests,
    ];
    if (withCoverage) row.push(j.coverage !== undefined ? `${j.coverage}%` : '-');
    return [...row, j.message ?? warningNote(j.warnings)];
  });
  // The COVERAGE column appears when a job of the run has `coverage:` results.
  const head = ['JOB', 'STATUS', 'DURATION', 'CACHE', 'ARTIFACTS', ...(withCoverage ? ['COVERAGE'] : []), 'NOTE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[], colorize?: (i: number, t: string) => string) =>
    cells
      .map((c, i) => {
        const padded = i === cells.length - 1 ? c : c.padEnd(widths[i]);
        return colorize ? colorize(i, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  const out = [paint('1', line(head))];
  rows.forEach((r, idx) => out.push(line(r, (i, t) => (i === 1 ? paint(statusColor(jobs[idx].status), t) : t))));
  const word =
    summary.status === 'passed'
      ? paint('32;1', 'Pipeline passed')
      : summary.status === 'canceled'
        ? paint('33;1', 'Pipeline canceled')
        : summary.status === 'blocked'
          ? paint('33;1', 'Pipeline blocked')
          : paint('31;1', 'Pipeline failed');
  const by = summary.canceledBy !== undefined ? `; auto-canceled by pipeline ${summary.canceledBy}` : '';
  out.push('', `${word} in ${formatDuration(summary.durationMs)} (pipeline ${summary.pipelineId}${by})`);
  if (summary.status === 'blocked') {
    const waiting = summary.jobs
      .filter((j) => j.status === 'manual' && /blocking/.test(j.message ?? ''))
      .map((j) => j.name);
    out.push(
      `Waiting for manual job${waiting.length === 1 ? '' : 's'} ${waiting.map((n) => JSON.stringify(n)).join(', ')}: continue with kiln run --pipeline ${summary.pipelineId} --manual ${JSON.stringify(waiting[0] ?? '')}`,
    );
  }
  return out.join('\n');
}
