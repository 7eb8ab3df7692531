// Time limits of a job's steps, as GitLab Runner sets them. The job's `timeout` bounds the whole job: when it runs
// out during the script, the job ends there (no after_script, no cache or artifact upload). The job variables
// RUNNER_SCRIPT_TIMEOUT and RUNNER_AFTER_SCRIPT_TIMEOUT (Go durations such as "10m", "1h30m", "90s") give the
// script a shorter limit of its own — after which after_script, caches and artifacts still run, within what is left
// of the job's time — and after_script a limit other than its default 5 minutes.

import { AFTER_SCRIPT_DEFAULT_MS } from '../../executors/types.js';

export { AFTER_SCRIPT_DEFAULT_MS };

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go `time.ParseDuration` string in milliseconds, or undefined when it is not one (or not positive). */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '' || s === '0') return undefined;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = re.lastIndex;
  }
  if (pos !== s.length || total <= 0) return undefined;
  return total;
}

export interface StepLimits {
  /** Limit of before_script + script. */
  scriptMs: number;
  /** Whether that limit is RUNNER_SCRIPT_TIMEOUT's (after which the job goes on) rather than the job's own. */
  scriptLimitOwn: boolean;
  /** Limit of after_script, given how long the job has run so far. */
  afterMs: (elapsedMs: number) => number;
  /** Variables that were set but could not be read. */
  warnings: string[];
}

export function stepLimits(jobTimeoutMs: number, vars: Record<string, string | undefined>): StepLimits {
  const warnings: string[] = [];
  const read = (name: string): number | undefined => {
    const raw = vars[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const ms = parseGoDuration(raw);
    if (ms === undefined) warnings.push(`${name} "${raw}" is not a duration such as 10m or 1h30m; ignoring it`);
    return ms;
  };
  const script = read('RUNNER_SCRIPT_TIMEOUT');
  const after = read('RUNNER_AFTER_SCRIPT_TIMEOUT') ?? AFTER_SCRIPT_DEFAULT_MS;
  const scriptLimitOwn = script !== undefined && script < jobTimeoutMs;
  return {
    scriptMs: scriptLimitOwn ? script! : jobTimeoutMs,
    scriptLimitOwn,
    afterMs: (elapsedMs) => Math.max(1, Math.min(after, jobTimeoutMs - elapsedMs)),
    warnings,
  };
}
