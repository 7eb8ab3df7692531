// A handle on a running schedule: what each job is doing, and cancellation of some or all jobs. The runner uses it
// for workflow:auto_cancel (a newer pipeline for the same ref; a failed job with on_job_failure: all).
import type { Job } from '../../pipeline/model.js';
import type { JobStatus } from './status.js';

export interface JobState {
  job: Job;
  /** pending: not started (waiting, ready or delayed); running; or the final status. */
  state: 'pending' | 'running' | JobStatus;
}

interface Attached {
  states(): JobState[];
  cancel(names: Iterable<string>, reason: string): void;
  cancelAll(reason: string): void;
}

export class SchedulerControl {
  private impl?: Attached;
  private queued: Array<() => void> = [];

  /** Called by the scheduler when it starts (before any job starts) and ends. */
  attach(impl: Attached): void {
    this.impl = impl;
    const queued = this.queued;
    this.queued = [];
    for (const fn of queued) fn();
  }

  detach(): void {
    this.impl = undefined;
  }

  /** True while the schedule runs. */
  get active(): boolean {
    return this.impl !== undefined;
  }

  /** Runs fn now if the schedule runs, else when it starts (before any job starts). */
  whenActive(fn: () => void): void {
    if (this.impl) fn();
    else this.queued.push(fn);
  }

  states(): JobState[] {
    return this.impl?.states() ?? [];
  }

  /** Cancels these jobs (running: stopped; pending: canceled now) with the reason shown for each. */
  cancel(names: Iterable<string>, reason: string): void {
    this.impl?.cancel(names, reason);
  }

  /** Cancels the whole pipeline: nothing new starts, running jobs stop. */
  cancelAll(reason: string): void {
    this.impl?.cancelAll(reason);
  }
}
