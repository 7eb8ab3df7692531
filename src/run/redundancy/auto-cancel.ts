// What a newer pipeline for the same ref cancels in this one, by this pipeline's workflow:auto_cancel:on_new_commit
// (GitLab's "auto-cancel redundant pipelines"):
// - conservative (default): the whole pipeline, but only if no job with interruptible: false has started (GitLab's
//   started statuses: running, success, failed). Jobs not started yet count as interruptible.
// - interruptible: only the jobs with interruptible: true that are pending or running; the others go on.
// - none: nothing.
import type { OnNewCommit } from '../../pipeline/model.js';
import type { JobState } from '../schedule/control.js';

export interface AutoCancelDecision {
  /** 'all': cancel the pipeline; else the jobs to cancel (empty: nothing). */
  cancel: 'all' | string[];
  /** Why, for the console. */
  note: string;
}

const STARTED = new Set(['running', 'success', 'failed']);
const ACTIVE = new Set(['pending', 'running']);

export function decideOnNewCommit(strategy: OnNewCommit, states: JobState[]): AutoCancelDecision {
  const active = states.filter((s) => ACTIVE.has(s.state));
  if (strategy === 'none') return { cancel: [], note: 'workflow:auto_cancel:on_new_commit is none' };
  if (active.length === 0) return { cancel: [], note: 'no job is pending or running' };
  if (strategy === 'interruptible') {
    const names = active.filter((s) => s.job.interruptible).map((s) => s.job.name);
    return {
      cancel: names,
      note: names.length
        ? `on_new_commit: interruptible, canceling ${names.length} interruptible job${names.length > 1 ? 's' : ''}`
        : 'on_new_commit: interruptible, and no pending or running job is interruptible',
    };
  }
  const blocker = states.find((s) => !s.job.interruptible && STARTED.has(s.state));
  if (blocker) {
    return {
      cancel: [],
      note: `on_new_commit: conservative, and job ${blocker.job.name} (interruptible: false) has started`,
    };
  }
  return { cancel: 'all', note: 'on_new_commit: conservative, and no job with interruptible: false has started' };
}
