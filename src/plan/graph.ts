// The job graph of a run: which jobs each job waits for (needs, else every selected job of earlier stages) and
// whose artifacts it receives (needs:artifacts, dependencies, else every job of earlier stages).
import type { Job } from '../pipeline/model.js';
import { UsageError } from '../errors.js';

export interface GraphNode {
  job: Job;
  /** Selected jobs that must finish before this one starts. */
  waitsFor: string[];
  /** Jobs whose artifacts (and dotenv reports) this job receives, when they ran in this pipeline. */
  artifactsFrom: string[];
}

export interface JobGraph {
  nodes: Map<string, GraphNode>;
  /** Job names in a valid start order (stable: YAML order among ready jobs). */
  order: string[];
}

export function buildGraph(selected: Job[], allJobs: Job[] = selected): JobGraph {
  const selectedNames = new Set(selected.map((j) => j.name));
  const nodes = new Map<string, GraphNode>();
  for (const job of selected) {
    let waitsFor: string[];
    let artifactsFrom: string[];
    if (job.needs !== null) {
      waitsFor = job.needs.map((n) => n.job).filter((n) => selectedNames.has(n));
      artifactsFrom = job.needs.filter((n) => n.artifacts).map((n) => n.job);
    } else {
      waitsFor = selected.filter((j) => j.stageIndex < job.stageIndex).map((j) => j.name);
      artifactsFrom = allJobs.filter((j) => j.stageIndex < job.stageIndex).map((j) => j.name);
    }
    if (job.dependencies !== null) artifactsFrom = [...job.dependencies];
    nodes.set(job.name, { job, waitsFor: [...new Set(waitsFor)], artifactsFrom: [...new Set(artifactsFrom)] });
  }
  return { nodes, order: topoOrder(nodes) };
}

function topoOrder(nodes: Map<string, GraphNode>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') throw new UsageError(`needs form a cycle: ${[...path, name].join(' → ')}`);
    state.set(name, 'visiting');
    for (const d of nodes.get(name)!.waitsFor) visit(d, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of nodes.keys()) visit(name, []);
  return order;
}
