// What a job attempt is given and what it gives back: the pipeline-wide context every attempt shares (RunContext),
// who each job is (JobInfo), and an attempt's outcome (JobOutcome). attempt.ts runs the attempt; run/pipeline.ts
// builds the context and collects the outcomes; run/summary.ts reports them.
import type { Pipeline } from '../../pipeline/model.js';
import type { Executor } from '../../executors/types.js';
import type { JobGraph } from '../../plan/graph.js';
import type { Store } from '../../store/store.js';
import type { Snapshot } from '../../workspace/snapshot.js';
import type { Console } from '../output/console.js';
import type { AttemptResult } from '../schedule/status.js';
import type { ProcessMode } from '../schedule/resource-lock.js';
import type { ArtifactsResult } from './artifacts.js';

/** Who a job is in this pipeline; set before any job runs, never written by an attempt. */
export interface JobInfo {
  slug: string;
  jobId: number;
  logPath: string;
}

/** What one attempt reports back: its result, and what it left for later jobs and the summary. */
export interface JobOutcome {
  result: AttemptResult;
  /** Cache outcome per cache entry (e.g. "hit,miss"), once the attempt got as far as restoring caches. */
  cache?: string;
  /** Artifacts uploaded by the attempt. */
  artifacts?: ArtifactsResult;
  /** Background removal of the attempt's workspace (absent with keepWorkspaces). */
  removal?: Promise<unknown>;
  /** What kiln did differently from GitLab for this job (local-only.ts), one sentence each. */
  warnings?: string[];
  /** `coverage:` read from the log (percent), and why it could not be read. */
  coverage?: number;
  coverageError?: string;
}

export interface RunContext {
  pipeline: Pipeline;
  pipelineId: number;
  pipelineDir: string;
  store: Store;
  snapshot: Snapshot;
  executor: Executor;
  console: Console;
  graph: JobGraph;
  maskedNames: string[];
  info: Map<string, JobInfo>;
  /** Artifacts uploaded in this pipeline by an earlier job (what its last attempt that uploaded reported). */
  artifactsOf: (job: string) => ArtifactsResult | undefined;
  keepWorkspaces: boolean;
  /** Host environment inherited by shell jobs. */
  hostEnv: Record<string, string | undefined>;
  /** kiln.toml runner environment. */
  runnerEnv: Record<string, string>;
  /** Runner config scripts around the job's own (GitLab Runner's pre_build_script / post_build_script). */
  preBuildScript?: string;
  postBuildScript?: string;
  /** Cache trees parked per content (kiln.toml runner.cache_pool); 0: never park, never claim. */
  cachePool: number;
  /** Stops after_script of canceled jobs too (a second Ctrl-C); a cancel alone lets after_script run. */
  hardStop?: AbortSignal;
  /** Every masked value a job of this pipeline has seen: the pipeline masks its summary and messages with it. */
  maskedSeen?: Set<string>;
  /** Values for `secrets:` / `id_tokens:` from kiln.toml `[secrets]`. */
  secrets?: Record<string, string>;
  /** resource_group locks shared with other kiln runs (schedule/resource-lock.ts). */
  resourceLocks?: { dir: string; scope: string; modes: Record<string, ProcessMode> };
}
