// The DAG scheduler: a job starts the moment every job it waits for is done (not when its whole stage is done),
// up to `concurrency` jobs at once, one job per resource_group at a time. It applies when/allow_failure/retry,
// waits for delayed jobs, and cancels: the whole pipeline (Ctrl-C, auto-cancel) starts nothing new and stops
// running jobs; a cancel of some jobs (auto-cancel of interruptible jobs) stops those and skips what needs them.
//
// Linear bookkeeping (a 5000-job stage pipeline must not cost N^2): a job with needs counts its unfinished needs
// (each finish decrements its dependents' counters); a job without needs waits for the stage barrier, which
// counts the unfinished jobs of each stage and opens stage by stage, carrying what the earlier stages ended as
// (failed/canceled) so a job's upstream is known without looking at every earlier job. Jobs whose wait is over
// are released in `order` (a heap by order index), exactly the order a full scan of `order` would give.
import type { Job } from '../../pipeline/model.js';
import type { JobGraph } from '../../plan/graph.js';
import { failureAllowed, shouldRetry, shouldRun, type AttemptResult, type JobStatus, type Upstream } from './status.js';
import { SchedulerControl, type JobState } from './control.js';
import { composite, WaitCounts } from './wait-counts.js';

export { SchedulerControl, type JobState };

export interface JobRecord {
  name: string;
  status: JobStatus;
  /** Failed but allow_failure: the pipeline still passes ("passed with warnings"). */
  allowedFailure: boolean;
  attempts: number;
  exitCode?: number;
  failureReason?: string;
  message?: string;
  /** Epoch ms of the first attempt's start and the last attempt's end. */
  startedAt?: number;
  finishedAt?: number;
  /** Why the job was skipped. */
  skipReason?: string;
}

export interface SchedulerHooks {
  /** Runs one attempt of a job (workspace, caches, scripts, artifacts). */
  runAttempt(job: Job, attempt: number, signal: AbortSignal): Promise<AttemptResult>;
  onStart?(job: Job, attempt: number): void;
  onFinish?(job: Job, record: JobRecord): void;
  onSkip?(job: Job, record: JobRecord): void;
  onRetry?(job: Job, attempt: AttemptResult, nextAttempt: number): void;
  onDelay?(job: Job, seconds: number): void;
}

export interface ScheduleOptions {
  concurrency: number;
  signal?: AbortSignal;
  /** Lets the caller see job states and cancel jobs while the pipeline runs. */
  control?: SchedulerControl;
}

export interface ScheduleResult {
  records: Map<string, JobRecord>;
  /** The whole pipeline was canceled. */
  cancelled: boolean;
  /** Pipeline passes when no job failed without allow_failure and nothing was cancelled. */
  passed: boolean;
}

const PIPELINE_CANCELED = 'pipeline canceled';

export async function schedule(
  graph: JobGraph,
  hooks: SchedulerHooks,
  options: ScheduleOptions,
): Promise<ScheduleResult> {
  const { nodes, order } = graph;
  const records = new Map<string, JobRecord>();
  /** What the jobs before each job ended as (drives on_success/on_failure/always). */
  const upstreamOf = new Map<string, Upstream>();
  const waiting = new Set(order);
  const waits = new WaitCounts(graph);
  /** Ready jobs in release order; started or canceled ones are dropped from `inReady` and skipped lazily. */
  let ready: string[] = [];
  let readyHead = 0;
  const inReady = new Set<string>();
  const busyGroups = new Set<string>();
  /** Running jobs' own abort controllers, and why a job was canceled. */
  const running = new Map<string, AbortController>();
  const cancelReason = new Map<string, string>();
  /** Delayed jobs' cancel functions. */
  const delayedJobs = new Map<string, (reason: string) => void>();
  const outer = options.signal;
  let cancelled = false;

  return new Promise<ScheduleResult>((resolve) => {
    /** A job got its final record: what waits on it counts one less. */
    const settle = (name: string, rec: JobRecord) => {
      records.set(name, rec);
      waits.done(name, upstreamOf.get(name) ?? 'success');
    };

    const markCanceled = (name: string, reason: string) => {
      const rec: JobRecord = { name, status: 'canceled', allowedFailure: false, attempts: 0, skipReason: reason };
      upstreamOf.set(name, 'canceled');
      settle(name, rec);
      hooks.onSkip?.(nodes.get(name)!.job, rec);
    };

    /** Cancels the named jobs: running ones get the abort, pending ones are canceled now. */
    const cancelJobs = (names: Iterable<string>, reason: string) => {
      for (const name of names) {
        if (records.has(name)) continue;
        const ctl = running.get(name);
        if (ctl) {
          if (!ctl.signal.aborted) {
            cancelReason.set(name, reason);
            ctl.abort(reason);
          }
        } else if (delayedJobs.has(name)) {
          delayedJobs.get(name)!(reason);
        } else if (waiting.delete(name) || inReady.delete(name)) {
          markCanceled(name, reason);
        }
      }
      pump();
    };
    const readyNames = (): string[] => ready.slice(readyHead).filter((n) => inReady.has(n));

    const cancelAll = (reason: string) => {
      if (cancelled) return;
      cancelled = true;
      cancelJobs([...running.keys(), ...delayedJobs.keys(), ...readyNames(), ...waiting], reason);
    };
    const onAbort = () => cancelAll(PIPELINE_CANCELED);
    if (outer) {
      if (outer.aborted) queueMicrotask(onAbort);
      else outer.addEventListener('abort', onAbort, { once: true });
    }

    const states = (): JobState[] =>
      order.map((name) => ({
        job: nodes.get(name)!.job,
        state: records.get(name)?.status ?? (running.has(name) ? 'running' : 'pending'),
      }));
    const maybeDone = () => {
      if (running.size > 0 || delayedJobs.size > 0 || waiting.size > 0 || inReady.size > 0) return;
      outer?.removeEventListener('abort', onAbort);
      options.control?.detach();
      let passed = !cancelled;
      for (const r of records.values()) {
        if (r.status === 'canceled' || (r.status === 'failed' && !r.allowedFailure)) passed = false;
      }
      resolve({ records, cancelled, passed });
    };

    const skip = (job: Job, upstream: Upstream) => {
      const reason =
        upstream === 'canceled'
          ? 'an earlier job was canceled'
          : job.when === 'on_failure'
            ? 'when: on_failure and nothing failed'
            : 'an earlier job failed';
      const rec: JobRecord = {
        name: job.name,
        status: 'skipped',
        allowedFailure: false,
        attempts: 0,
        skipReason: reason,
      };
      settle(job.name, rec);
      hooks.onSkip?.(job, rec);
    };

    const release = () => {
      // Move waiting jobs whose wait is over into the ready queue (or skip them), in `order`. Skipping a job can
      // end the wait of jobs after it in `order`: the heap hands them out in the same pass.
      for (let name = waits.nextReleased(); name !== undefined; name = waits.nextReleased()) {
        if (!waiting.delete(name)) continue;
        const node = nodes.get(name)!;
        const upstream = node.stageBarrier
          ? waits.upstreamBefore(node.job.stageIndex)
          : composite(node.waitsFor.map((d) => upstreamOf.get(d) ?? 'success'));
        // A skipped job passes on what it was skipped for.
        upstreamOf.set(name, upstream);
        if (!shouldRun(node.job, upstream)) {
          skip(node.job, upstream);
          continue;
        }
        if (node.job.when === 'delayed' && (node.job.startInSeconds ?? 0) > 0) delay(node.job);
        else pushReady(name);
      }
    };
    const pushReady = (name: string) => {
      ready.push(name);
      inReady.add(name);
    };

    const delay = (job: Job) => {
      const secs = job.startInSeconds!;
      hooks.onDelay?.(job, secs);
      const t = setTimeout(() => {
        delayedJobs.delete(job.name);
        pushReady(job.name);
        pump();
      }, secs * 1000);
      delayedJobs.set(job.name, (reason) => {
        clearTimeout(t);
        delayedJobs.delete(job.name);
        markCanceled(job.name, reason);
      });
    };

    const pump = () => {
      if (!cancelled) {
        release();
        for (let i = readyHead; i < ready.length && running.size < options.concurrency; i++) {
          const name = ready[i];
          if (!inReady.has(name)) continue;
          const job = nodes.get(name)!.job;
          if (job.resourceGroup && busyGroups.has(job.resourceGroup)) continue;
          inReady.delete(name);
          start(job);
        }
        while (readyHead < ready.length && !inReady.has(ready[readyHead])) readyHead++;
        if (readyHead > 1024 && readyHead * 2 > ready.length) {
          ready = ready.slice(readyHead);
          readyHead = 0;
        }
      }
      maybeDone();
    };

    const start = (job: Job) => {
      const ctl = new AbortController();
      running.set(job.name, ctl);
      if (job.resourceGroup) busyGroups.add(job.resourceGroup);
      void runWithRetries(job, ctl.signal).then((rec) => {
        running.delete(job.name);
        if (job.resourceGroup) busyGroups.delete(job.resourceGroup);
        if (rec.status === 'failed' && !rec.allowedFailure) upstreamOf.set(job.name, 'failed');
        else if (rec.status === 'canceled') upstreamOf.set(job.name, 'canceled');
        settle(job.name, rec);
        hooks.onFinish?.(job, rec);
        pump();
      });
    };

    const runWithRetries = async (job: Job, signal: AbortSignal): Promise<JobRecord> => {
      const rec: JobRecord = {
        name: job.name,
        status: 'failed',
        allowedFailure: false,
        attempts: 0,
        startedAt: Date.now(),
      };
      for (let attempt = 1; ; attempt++) {
        rec.attempts = attempt;
        hooks.onStart?.(job, attempt);
        let result: AttemptResult;
        try {
          result = await hooks.runAttempt(job, attempt, signal);
        } catch (err) {
          result = {
            exitCode: 1,
            cancelled: signal.aborted,
            failureReason: 'runner_system_failure',
            message: (err as Error).message,
          };
        }
        rec.exitCode = result.exitCode;
        rec.message = result.message;
        rec.failureReason = result.failureReason;
        if (result.skipped !== undefined) {
          rec.status = 'skipped';
          rec.skipReason = result.skipped;
          break;
        }
        if (result.cancelled) {
          rec.status = 'canceled';
          rec.message = cancelReason.get(job.name) ?? result.message;
          break;
        }
        if (!result.failureReason) {
          rec.status = 'success';
          break;
        }
        if (!signal.aborted && result.failureReason !== 'not_run' && shouldRetry(job, result, attempt - 1)) {
          hooks.onRetry?.(job, result, attempt + 1);
          continue;
        }
        rec.status = 'failed';
        rec.allowedFailure = result.pipelineUnaffected === true || failureAllowed(job, result);
        break;
      }
      rec.finishedAt = Date.now();
      return rec;
    };

    options.control?.attach({ states, cancel: cancelJobs, cancelAll });
    pump();
  });
}
