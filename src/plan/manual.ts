// Manual jobs as GitLab runs them (CI/CD YAML reference, `when: manual`; "Types of manual jobs"):
// - a manual job runs only when played (`kiln run --manual NAME`, `--manual` for all, or naming the job);
// - a blocking manual job (allow_failure: false, the default for `rules: when: manual`) that is not played stops
//   the pipeline there: jobs of later stages that wait for stages (no `needs`) do not start, and the pipeline ends
//   as "blocked";
// - an optional manual job (allow_failure: true, the default for a job-level `when: manual`) does not block;
// - a job that `needs` a manual job that was not played does not run, whatever the manual job's kind, and neither
//   does a job that needs such a job.
// Pure: decides which selected jobs are held back and why.
import type { Job } from '../pipeline/model.js';

export interface Held {
  name: string;
  /** 'manual': a manual job that was not played; 'blocked': a job held back by one. */
  kind: 'manual' | 'blocked';
  /** The manual job at the root of it. */
  by: string;
  reason: string;
}

export interface ManualOutcome {
  held: Held[];
  /** Blocking manual jobs that were not played: the pipeline is blocked on them. */
  blocking: string[];
}

export function holdForManual(jobs: Job[], played: (job: Job) => boolean): ManualOutcome {
  const held = new Map<string, Held>();
  const blocking: Job[] = [];
  for (const j of jobs) {
    if (j.when !== 'manual' || played(j)) continue;
    const isBlocking = !j.allowFailure.allowed && j.allowFailure.exitCodes.length === 0;
    held.set(j.name, {
      name: j.name,
      kind: 'manual',
      by: j.name,
      reason: `manual job${isBlocking ? ' (blocking)' : ''}: play it with --manual ${JSON.stringify(j.name)}`,
    });
    if (isBlocking) blocking.push(j);
  }
  const firstBlockingStage = Math.min(...blocking.map((b) => b.stageIndex));
  const blocker = blocking.find((b) => b.stageIndex === firstBlockingStage);
  // Stage order: later stages wait for the blocking manual job's stage to complete, which it never does.
  for (const j of jobs) {
    if (held.has(j.name) || j.needs !== null || !blocker || j.stageIndex <= firstBlockingStage) continue;
    held.set(j.name, {
      name: j.name,
      kind: 'blocked',
      by: blocker.name,
      reason: `blocked: stage ${blocker.stage} waits for manual job ${JSON.stringify(blocker.name)}`,
    });
  }
  // Needs: a job waits for every job it needs; one that never runs holds it back, transitively.
  const dependents = new Map<string, Job[]>();
  for (const j of jobs) {
    for (const n of j.needs ?? []) {
      const list = dependents.get(n.job);
      if (list) list.push(j);
      else dependents.set(n.job, [j]);
    }
  }
  const queue = [...held.keys()];
  while (queue.length) {
    const name = queue.pop()!;
    const root = held.get(name)!;
    const cause =
      root.kind === 'manual'
        ? `manual job ${JSON.stringify(name)}`
        : `${JSON.stringify(name)}, which waits for manual job ${JSON.stringify(root.by)}`;
    for (const d of dependents.get(name) ?? []) {
      if (held.has(d.name)) continue;
      held.set(d.name, { name: d.name, kind: 'blocked', by: root.by, reason: `blocked: needs ${cause}` });
      queue.push(d.name);
    }
  }
  return { held: [...held.values()], blocking: blocking.map((b) => b.name) };
}
