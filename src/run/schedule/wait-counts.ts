// What each job of a schedule still waits for, kept with counters so every finish costs time in proportion to
// what depends on it, not to the size of the pipeline:
// - a job with `needs` counts its unfinished needs; each finish decrements the counters of its dependents;
// - a job without `needs` waits for the stage barrier: every job of the earlier stages done. The barrier counts
//   the unfinished jobs of each stage and opens stage by stage; as it passes a stage it folds in what that
//   stage's jobs ended as, so the upstream of a barrier job (GitLab's composite of everything before it) is one
//   lookup.
// Jobs whose wait is over come out of a heap in `order` index: the order in which a scan of `order` releases them.
import type { JobGraph } from '../../plan/graph.js';
import type { Upstream } from './status.js';

/** GitLab's composite of what earlier jobs ended as: a failure (not allowed) wins, then a cancellation. */
export function composite(upstreams: Iterable<Upstream>): Upstream {
  let out: Upstream = 'success';
  for (const u of upstreams) {
    if (u === 'failed') return 'failed';
    if (u === 'canceled') out = 'canceled';
  }
  return out;
}

export class WaitCounts {
  private readonly index = new Map<string, number>();
  private readonly stageOf: number[] = [];
  /** Unfinished needs of each needs job, by order index. */
  private readonly remaining: number[] = [];
  /** Order indexes of the needs jobs that wait for each job. */
  private readonly dependents = new Map<string, number[]>();
  /** Distinct stage indexes, ascending; unfinished jobs and what ended badly, per stage index. */
  private readonly stages: number[];
  private readonly pending = new Map<number, number>();
  private readonly failed = new Set<number>();
  private readonly canceled = new Set<number>();
  /** Barrier jobs (order indexes) by stage index. */
  private readonly barrierJobs = new Map<number, number[]>();
  /** Position in `stages` of the first stage with unfinished jobs (stages.length when none). */
  private open = 0;
  /** Positions in `stages` below this one have had their barrier jobs released. */
  private releasedStages = 0;
  /** The composite of every stage below the open one, and its value as the barrier reached each stage. */
  private before: Upstream = 'success';
  private readonly upstreamAt = new Map<number, Upstream>();
  private readonly heap: number[] = [];

  constructor(private readonly graph: JobGraph) {
    graph.order.forEach((name, i) => this.index.set(name, i));
    graph.order.forEach((name, i) => {
      const node = graph.nodes.get(name)!;
      const s = node.job.stageIndex;
      this.stageOf[i] = s;
      this.pending.set(s, (this.pending.get(s) ?? 0) + 1);
      if (node.stageBarrier) {
        const list = this.barrierJobs.get(s);
        if (list) list.push(i);
        else this.barrierJobs.set(s, [i]);
        return;
      }
      this.remaining[i] = node.waitsFor.length;
      for (const d of node.waitsFor) {
        const list = this.dependents.get(d);
        if (list) list.push(i);
        else this.dependents.set(d, [i]);
      }
      if (node.waitsFor.length === 0) this.push(i);
    });
    this.stages = [...this.pending.keys()].sort((a, b) => a - b);
    if (this.stages.length) this.upstreamAt.set(this.stages[0], 'success');
    this.advance();
  }

  /** `name` has its final record; `upstream` is what it passes on to the jobs after it. */
  done(name: string, upstream: Upstream): void {
    const i = this.index.get(name)!;
    const s = this.stageOf[i];
    if (upstream === 'failed') this.failed.add(s);
    else if (upstream === 'canceled') this.canceled.add(s);
    this.pending.set(s, this.pending.get(s)! - 1);
    for (const d of this.dependents.get(name) ?? []) {
      if (--this.remaining[d] === 0) this.push(d);
    }
    this.advance();
  }

  /** The next job (lowest order index) whose wait is over, once each; undefined when there is none now. */
  nextReleased(): string | undefined {
    const i = this.pop();
    return i === undefined ? undefined : this.graph.order[i];
  }

  /** What the jobs of the stages before `stageIndex` ended as (valid once that stage's barrier is open). */
  upstreamBefore(stageIndex: number): Upstream {
    return this.upstreamAt.get(stageIndex) ?? 'success';
  }

  private advance(): void {
    while (this.open < this.stages.length && this.pending.get(this.stages[this.open]) === 0) {
      const s = this.stages[this.open];
      this.before = composite([
        this.before,
        this.failed.has(s) ? 'failed' : this.canceled.has(s) ? 'canceled' : 'success',
      ]);
      this.open++;
      if (this.open < this.stages.length) this.upstreamAt.set(this.stages[this.open], this.before);
    }
    // A barrier job of stage k may start once every stage below k is done: stages up to the open one.
    for (; this.releasedStages <= this.open && this.releasedStages < this.stages.length; this.releasedStages++) {
      for (const i of this.barrierJobs.get(this.stages[this.releasedStages]) ?? []) this.push(i);
    }
  }

  private push(i: number): void {
    const h = this.heap;
    h.push(i);
    for (let k = h.length - 1; k > 0;) {
      const parent = (k - 1) >> 1;
      if (h[parent] <= h[k]) break;
      [h[parent], h[k]] = [h[k], h[parent]];
      k = parent;
    }
  }

  private pop(): number | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let k = 0; ;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < h.length && h[l] < h[m]) m = l;
        if (r < h.length && h[r] < h[m]) m = r;
        if (m === k) break;
        [h[m], h[k]] = [h[k], h[m]];
        k = m;
      }
    }
    return top;
  }
}
