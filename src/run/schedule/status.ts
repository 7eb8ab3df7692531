// Job statuses and the decisions GitLab makes from them: should a job run (when), is a failure allowed,
// is it retried.
import type { Job } from '../../pipeline/model.js';

export type JobStatus = 'success' | 'failed' | 'skipped' | 'canceled';

/** GitLab failure reasons (the ones a local run can produce). */
export type FailureReason =
  | 'script_failure'
  | 'job_execution_timeout'
  | 'runner_system_failure'
  | 'unknown_failure'
  // kiln's own: the job needs something only GitLab has (see run/job/local-only.ts; a multi-project trigger); it never counts as a success.
  | 'not_run'
  // GitLab's reason when a job's `secrets:` cannot be read.
  | 'secrets_provider_not_found';

export interface AttemptResult {
  exitCode: number;
  failureReason?: FailureReason;
  cancelled: boolean;
  /** Human-readable note (e.g. "job timed out after 5s"). */
  message?: string;
  /** The job was not run and does not count either way (the reason); e.g. a multi-project trigger kiln was told to skip. */
  skipped?: string;
  /** A failure (not_run) that GitLab's pipeline would not wait for: shown, but the pipeline's status ignores it. */
  pipelineUnaffected?: boolean;
}

/**
 * What the jobs a job waits for ended as, GitLab's composite: a failure (not allowed) anywhere before wins, then a
 * cancellation, else success.
 */
export type Upstream = 'success' | 'failed' | 'canceled';

/**
 * Whether a job whose waited-for jobs are done should run. GitLab runs on_success jobs after success, on_failure
 * jobs after a failure, always jobs after either; after a canceled job (and nothing failed) none of them runs.
 */
export function shouldRun(job: Job, upstream: Upstream): boolean {
  if (job.when === 'never' || upstream === 'canceled') return false;
  switch (job.when) {
    case 'always':
      return true;
    case 'on_failure':
      return upstream === 'failed';
    default: // on_success, manual (when selected), delayed
      return upstream === 'success';
  }
}

export function failureAllowed(job: Job, attempt: AttemptResult): boolean {
  const af = job.allowFailure;
  if (af.exitCodes.length > 0)
    return attempt.failureReason === 'script_failure' && af.exitCodes.includes(attempt.exitCode);
  return af.allowed;
}

const RETRY_REASON_GROUPS: Record<string, FailureReason[]> = {
  always: ['script_failure', 'job_execution_timeout', 'runner_system_failure', 'unknown_failure'],
  unknown_failure: ['unknown_failure'],
  script_failure: ['script_failure'],
  api_failure: [],
  stuck_or_timeout_failure: ['job_execution_timeout'],
  job_execution_timeout: ['job_execution_timeout'],
  runner_system_failure: ['runner_system_failure'],
};

/** GitLab retry rules: up to max retries; `when` (default always) and `exit_codes` must both match when given. */
export function shouldRetry(job: Job, attempt: AttemptResult, retriesDone: number): boolean {
  const r = job.retry;
  if (attempt.cancelled || !attempt.failureReason || retriesDone >= r.max) return false;
  const whens = r.when.length ? r.when : ['always'];
  const reasonOk = whens.some((w) => (RETRY_REASON_GROUPS[w] ?? []).includes(attempt.failureReason!));
  if (!reasonOk) return false;
  if (r.exitCodes.length) return attempt.failureReason === 'script_failure' && r.exitCodes.includes(attempt.exitCode);
  return true;
}
