// The DAG scheduler: a job starts the moment every job it waits for is done (not when its whole stage is done),
// up to `concurrency` jobs at once, one job per resource_group at a time. It applies when/allow_failure/retry,
// waits for delayed jobs, and on cancellation starts nothing new and lets running jobs stop.
import type { Job } from '../pipeline/model.js';
import type { JobGraph } from '../plan/graph.js';
import { failureAllowed, shouldRetry, shouldRun, type AttemptResult, type JobStatus } from './status.js';

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
}

export interface ScheduleResult {
  records: Map<string, JobRecord>;
  cancelled: boolean;
  /** Pipeline passes when no job failed without allow_failure and nothing was cancelled. */
  passed: boolean;
}

export async function schedule(graph: JobGraph, hooks: SchedulerHooks, options: ScheduleOptions): Promise<ScheduleResult> {
  const { nodes, order } = graph;
  const records = new Map<string, JobRecord>();
  /** A failure happened in this job or anything before it (drives on_success/on_failure). */
  const failedUpstream = new Map<string, boolean>();
  const waiting = new Set(order);
  const ready: string[] = [];
  const busyGroups = new Set<string>();
  const controller = new AbortController();
  const outer = options.signal;
  let running = 0;
  let delayed = 0;
  let cancelled = false;

  return new Promise<ScheduleResult>((resolve) => {
    const onAbort = () => {
      cancelled = true;
      controller.abort();
      for (const name of [...waiting, ...ready]) {
        if (records.has(name)) continue;
        const rec: JobRecord = { name, status: 'canceled', allowedFailure: false, attempts: 0, skipReason: 'pipeline canceled' };
        records.set(name, rec);
        hooks.onSkip?.(nodes.get(name)!.job, rec);
      }
      waiting.clear();
      ready.length = 0;
      maybeDone();
    };
    if (outer) {
      if (outer.aborted) queueMicrotask(onAbort);
      else outer.addEventListener('abort', onAbort, { once: true });
    }

    const maybeDone = () => {
      if (running > 0 || delayed > 0 || waiting.size > 0 || ready.length > 0) return;
      outer?.removeEventListener('abort', onAbort);
      let passed = !cancelled;
      for (const r of records.values()) {
        if (r.status === 'canceled' || (r.status === 'failed' && !r.allowedFailure)) passed = false;
      }
      resolve({ records, cancelled, passed });
    };

    const release = () => {
      // Move waiting jobs whose dependencies are all done into the ready queue (or skip them).
      let changed = true;
      while (changed) {
        changed = false;
        for (const name of order) {
          if (!waiting.has(name)) continue;
          const node = nodes.get(name)!;
          if (!node.waitsFor.every((d) => records.has(d))) continue;
          waiting.delete(name);
          changed = true;
          const upstream = node.waitsFor.some((d) => failedUpstream.get(d));
          failedUpstream.set(name, upstream);
          if (!shouldRun(node.job, upstream)) {
            const rec: JobRecord = {
              name, status: 'skipped', allowedFailure: false, attempts: 0,
              skipReason: node.job.when === 'on_failure' ? 'when: on_failure and nothing failed' : 'an earlier job failed',
            };
            records.set(name, rec);
            hooks.onSkip?.(node.job, rec);
            continue;
          }
          if (node.job.when === 'delayed' && (node.job.startInSeconds ?? 0) > 0) {
            const secs = node.job.startInSeconds!;
            delayed++;
            hooks.onDelay?.(node.job, secs);
            const t = setTimeout(() => {
              delayed--;
              controller.signal.removeEventListener('abort', cancelDelay);
              if (!cancelled) ready.push(name);
              pump();
            }, secs * 1000);
            const cancelDelay = () => {
              clearTimeout(t);
              delayed--;
              const rec: JobRecord = { name, status: 'canceled', allowedFailure: false, attempts: 0, skipReason: 'pipeline canceled' };
              records.set(name, rec);
              hooks.onSkip?.(node.job, rec);
              maybeDone();
            };
            controller.signal.addEventListener('abort', cancelDelay, { once: true });
            continue;
          }
          ready.push(name);
        }
      }
    };

    const pump = () => {
      if (!cancelled) {
        release();
        for (let i = 0; i < ready.length && running < options.concurrency; ) {
          const job = nodes.get(ready[i])!.job;
          if (job.resourceGroup && busyGroups.has(job.resourceGroup)) {
            i++;
            continue;
          }
          ready.splice(i, 1);
          start(job);
        }
      }
      maybeDone();
    };

    const start = (job: Job) => {
      running++;
      if (job.resourceGroup) busyGroups.add(job.resourceGroup);
      void runWithRetries(job).then((rec) => {
        running--;
        if (job.resourceGroup) busyGroups.delete(job.resourceGroup);
        records.set(job.name, rec);
        if (rec.status === 'failed' && !rec.allowedFailure) failedUpstream.set(job.name, true);
        hooks.onFinish?.(job, rec);
        pump();
      });
    };

    const runWithRetries = async (job: Job): Promise<JobRecord> => {
      const rec: JobRecord = { name: job.name, status: 'failed', allowedFailure: false, attempts: 0, startedAt: Date.now() };
      for (let attempt = 1; ; attempt++) {
        rec.attempts = attempt;
        hooks.onStart?.(job, attempt);
        let result: AttemptResult;
        try {
          result = await hooks.runAttempt(job, attempt, controller.signal);
        } catch (err) {
          result = { exitCode: 1, cancelled: controller.signal.aborted, failureReason: 'runner_system_failure', message: (err as Error).message };
        }
        rec.exitCode = result.exitCode;
        rec.message = result.message;
        rec.failureReason = result.failureReason;
        if (result.cancelled) {
          rec.status = 'canceled';
          break;
        }
        if (!result.failureReason) {
          rec.status = 'success';
          break;
        }
        if (!cancelled && shouldRetry(job, result, attempt - 1)) {
          hooks.onRetry?.(job, result, attempt + 1);
          continue;
        }
        rec.status = 'failed';
        rec.allowedFailure = failureAllowed(job, result);
        break;
      }
      rec.finishedAt = Date.now();
      return rec;
    };

    pump();
  });
}
