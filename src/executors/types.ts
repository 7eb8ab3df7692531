// The executor contract: one interface for the shell and Docker executors.
import type { Job } from '../pipeline/model.js';

export type OutputStream = 'stdout' | 'stderr';

/** after_script's limit when the runner gives none (GitLab Runner's default; RUNNER_AFTER_SCRIPT_TIMEOUT changes it). */
export const AFTER_SCRIPT_DEFAULT_MS = 5 * 60 * 1000;

export interface StepOptions {
  /** Kill the step (whole process tree / container) after this many milliseconds. */
  timeoutMs?: number;
  /** Cancellation (Ctrl-C, pipeline stop). */
  signal?: AbortSignal;
  /** Raw output chunks, in order. The runner masks secrets and writes logs. */
  onOutput: (chunk: Buffer, stream: OutputStream) => void;
}

export interface StepResult {
  exitCode: number;
  timedOut: boolean;
  cancelled: boolean;
  /** Set when the process was ended by a signal or the container was OOM-killed. */
  reason?: string;
}

export interface JobSetup {
  job: Job;
  /** Host directory holding the job's private copy of the sources (CI_PROJECT_DIR for the shell executor). */
  workspaceDir: string;
  /** Final environment for the job's scripts (all precedence applied, values expanded). */
  env: Record<string, string>;
  /** Unique id for labels, temp names, logs. */
  runId: string;
  /** Lines for the job's log from preparing it (e.g. an image build that the job waits for). */
  onInfo?: (line: string) => void;
}

export interface PreparedJob {
  setup: JobSetup;
  /** CI_PROJECT_DIR as the job's scripts see it (a host path for shell, /builds/... for docker). */
  projectDir: string;
  /** Executor-private state. */
  state?: unknown;
  /** Problems found while preparing that do not stop the job (a service that did not start): shown in its log. */
  warnings?: string[];
}

export interface Executor {
  readonly name: string;
  /** Create what the job runs in (container, network, services); the workspace is already populated. */
  prepare(setup: JobSetup, signal?: AbortSignal): Promise<PreparedJob>;
  /**
   * Run a script (one shell; lines are GitLab script lines). kind 'main' runs before_script+script with
   * command echo and stop-at-first-failure; 'after' runs after_script in a fresh shell.
   */
  runScript(prepared: PreparedJob, kind: 'main' | 'after', lines: string[], options: StepOptions): Promise<StepResult>;
  /** Remove everything prepare created. Must be safe to call more than once and after a failed prepare. */
  cleanup(prepared: PreparedJob): Promise<void>;
}
