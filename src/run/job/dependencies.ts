// Which stored artifacts a job receives: those of its dependencies that ran in this pipeline, and for
// dependencies outside this run (e.g. `kiln run test` alone) the newest ones from earlier pipelines.
import type { Store } from '../../store/store.js';
import { artifactsKey, type ArtifactsResult } from './artifacts.js';

/** How many earlier pipelines are searched for a dependency's artifacts. */
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
  from: readonly string[];
  /** Jobs that are part of this run. */
  inRun: (name: string) => boolean;
  /** Artifacts uploaded in this pipeline by a job of this run. */
  artifactsOf: (job: string) => ArtifactsResult | undefined;
}): Promise<ArtifactSource[]> {
  const out: ArtifactSource[] = [];
  for (const job of o.from) {
    if (o.inRun(job)) {
      const a = o.artifactsOf(job);
      if (a?.stored) out.push({ job, key: artifactsKey(o.pipelineId, job), dotenv: a.dotenv, pipelineId: o.pipelineId });
      continue;
    }
    // This pipeline first: a continued pipeline (--pipeline) reuses the artifacts of its jobs that finished before.
    for (let id = o.pipelineId; id >= Math.max(1, o.pipelineId - LOOKBACK); id--) {
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
