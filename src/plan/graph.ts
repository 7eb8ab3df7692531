// The job graph of a run: which jobs each job waits for (needs, else every selected job of earlier stages) and
// whose artifacts it receives (needs:artifacts, dependencies, else every job of earlier stages).
//
// A job without `needs` waits for every job of the earlier stages: that is a stage barrier, not N edges each.
// Its lists are shared by all jobs of one stage (one array per stage), so a graph of N jobs in S stages costs
// O(N * S), not O(N^2); the scheduler waits on a barrier with counters and never walks these lists.
import type { Job } from '../pipeline/model.js';
import { UsageError } from '../errors.js';

export interface GraphNode {
  job: Job;
  /**
   * true: the job waits for the stage barrier (every selected job of earlier stages, listed in waitsFor);
   * false: it waits for its needs only.
   */
  stageBarrier: boolean;
  /** Selected jobs that must finish before this one starts. Shared between jobs: never modify. */
  waitsFor: readonly string[];
  /** Jobs whose artifacts (and dotenv reports) this job receives, when they ran in this pipeline. Shared: never modify. */
  artifactsFrom: readonly string[];
}

export interface JobGraph {
  nodes: Map<string, GraphNode>;
  /** Job names in a valid start order (stable: YAML order among ready jobs). */
  order: string[];
}

/** For each stage index used by `jobs`, the names of the jobs of earlier stages (in `jobs` order). */
function earlierByStage(jobs: Job[], stageIndexes: Iterable<number>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const s of stageIndexes) {
    if (!out.has(s))
      out.set(
        s,
        jobs.filter((j) => j.stageIndex < s).map((j) => j.name),
      );
  }
  return out;
}

export function buildGraph(selected: Job[], allJobs: Job[] = selected): JobGraph {
  const selectedNames = new Set(selected.map((j) => j.name));
  const barrierStages = selected.filter((j) => j.needs === null).map((j) => j.stageIndex);
  const selectedBefore = earlierByStage(selected, barrierStages);
  const allBefore = earlierByStage(allJobs, barrierStages);
  const nodes = new Map<string, GraphNode>();
  for (const job of selected) {
    let waitsFor: readonly string[];
    let artifactsFrom: readonly string[];
    if (job.needs !== null) {
      waitsFor = [...new Set(job.needs.map((n) => n.job).filter((n) => selectedNames.has(n)))];
      artifactsFrom = [...new Set(job.needs.filter((n) => n.artifacts).map((n) => n.job))];
    } else {
      waitsFor = selectedBefore.get(job.stageIndex)!;
      artifactsFrom = allBefore.get(job.stageIndex)!;
    }
    if (job.dependencies !== null) artifactsFrom = [...new Set(job.dependencies)];
    nodes.set(job.name, { job, stageBarrier: job.needs === null, waitsFor, artifactsFrom });
  }
  return { nodes, order: topoOrder(nodes) };
}

/**
 * Depth-first post-order from each node in insertion order, iterative (a long needs chain cannot overflow the
 * stack). A barrier list is walked once per stage: after the first walk every job on it is done, so walking it
 * again would add nothing (the order is the same as walking every list every time).
 */
function topoOrder(nodes: Map<string, GraphNode>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const barrierWalked = new Set<number>();
  const path: { name: string; deps: readonly string[]; next: number; barrier?: number }[] = [];
  const enter = (name: string): void => {
    const node = nodes.get(name)!;
    const s = node.job.stageIndex;
    const skipList = node.stageBarrier && barrierWalked.has(s);
    state.set(name, 'visiting');
    path.push({ name, deps: skipList ? [] : node.waitsFor, next: 0, barrier: node.stageBarrier ? s : undefined });
  };
  for (const root of nodes.keys()) {
    if (state.has(root)) continue;
    enter(root);
    while (path.length > 0) {
      const top = path[path.length - 1];
      if (top.next < top.deps.length) {
        const d = top.deps[top.next++];
        const s = state.get(d);
        if (s === 'done') continue;
        if (s === 'visiting') {
          const names = path.map((f) => f.name);
          throw new UsageError(`needs form a cycle: ${[...names.slice(names.indexOf(d)), d].join(' → ')}`);
        }
        enter(d);
        continue;
      }
      path.pop();
      if (top.barrier !== undefined && top.deps.length > 0) barrierWalked.add(top.barrier);
      state.set(top.name, 'done');
      order.push(top.name);
    }
  }
  return order;
}
