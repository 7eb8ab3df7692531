// Which stored artifacts a job receives: those of its dependencies that ran in this pipeline, and for
// dependencies outside this run (e.g. `kiln run test` alone) the newest ones from earlier pipelines of this
// project. Those are found from the project's own pipeline directories: with a store shared by several projects,
// pipeline ids come from the store and this project's are not consecutive.
import { readdir } from 'node:fs/promises';
import type { Store } from '../../store/store.js';
import { artifactsKey, type ArtifactsResult } from './artifacts.js';

/** How many earlier pipelines of the project are searched for a dependency's artifacts. */
const LOOKBACK = 50;

export interface ArtifactSource {
  job: string;
  key: string;
  dotenv: Record<string, string>;
  /** Pipeline the artifacts come from. */
  pipelineId: number;
}

export async function artifactSources(o: {
  store: Store;
  pipelineId: number;
  /** The project's pipeline directories (`.kiln/pipelines`). */
  pipelinesRoot: string;
  from: readonly string[];
  /** Jobs that are part of this run. */
  inRun: (name: string) => boolean;
  /** Artifacts uploaded in this pipeline by a job of this run. */
  artifactsOf: (job: string) => ArtifactsResult | undefined;
}): Promise<ArtifactSource[]> {
  const out: ArtifactSource[] = [];
  let earlier: number[] | undefined;
  for (const job of o.from) {
    if (o.inRun(job)) {
      const a = o.artifactsOf(job);
      if (a?.stored)
        out.push({ job, key: artifactsKey(o.pipelineId, job), dotenv: a.dotenv, pipelineId: o.pipelineId });
      continue;
    }
    // This pipeline first: a continued pipeline (--pipeline) reuses the artifacts of its jobs that finished before.
    earlier ??= await pipelinesUpTo(o.pipelinesRoot, o.pipelineId);
    for (const id of earlier) {
      const key = artifactsKey(id, job);
      let entry;
      try {
        entry = await o.store.readEntry('artifacts', key);
      } catch {
        continue;
      }
      if (!entry) continue;
      const expireAt = entry.meta?.expireAt;
      if (typeof expireAt === 'string' && Date.parse(expireAt) < Date.now()) break;
      const dotenv = (entry.meta?.dotenv ?? {}) as Record<string, string>;
      out.push({ job, key, dotenv, pipelineId: id });
      break;
    }
  }
  return out;
}

/** This pipeline and the project's earlier ones, newest first, at most LOOKBACK + 1. */
async function pipelinesUpTo(root: string, id: number): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [id];
  }
  const ids = names
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((n) => n <= id);
  if (!ids.includes(id)) ids.push(id);
  return ids.sort((a, b) => b - a).slice(0, LOOKBACK + 1);
}
