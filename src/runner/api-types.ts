// The runner API's JSON shapes, as GitLab Runner sends and reads them. Field names and meanings come from
// GitLab Runner's common/network.go (requests: RegisterRunnerRequest, VerifyRunnerRequest, JobRequest,
// UpdateJobRequest, FeaturesInfo) and common/spec/spec.go (the job payload: Job, JobInfo, GitInfo, Variable,
// Step, Image, Artifact, Cache, Dependency). Only the fields kiln reads are typed; the rest pass through.

/** common/network.go FeaturesInfo: what this runner can do (GitLab uses them to decide what to send). */
export interface FeaturesInfo {
  variables: boolean;
  image: boolean;
  services: boolean;
  artifacts: boolean;
  cache: boolean;
  fallback_cache_keys: boolean;
  upload_multiple_artifacts: boolean;
  upload_raw_artifacts: boolean;
  refspecs: boolean;
  masking: boolean;
  raw_variables: boolean;
  artifacts_exclude: boolean;
  multi_build_steps: boolean;
  trace_reset: boolean;
  trace_checksum: boolean;
  trace_size: boolean;
  cancelable: boolean;
  return_exit_code: boolean;
  service_variables: boolean;
  service_multiple_aliases: boolean;
  image_executor_opts: boolean;
  cancel_gracefully: boolean;
}

/** common/network.go Info. */
export interface RunnerInfo {
  name: string;
  version: string;
  revision?: string;
  platform: string;
  architecture: string;
  executor: string;
  shell: string;
  features: FeaturesInfo;
}

/** spec.Variable. `public` is informational; `file` → the job sees a path; `raw` → no $ expansion. */
export interface PayloadVariable {
  key: string;
  value: string;
  public?: boolean;
  file?: boolean;
  masked?: boolean;
  raw?: boolean;
}

/** spec.Step: GitLab sends "script" (before_script + script joined) and "after_script". */
export interface PayloadStep {
  name: string;
  script: string[];
  timeout?: number;
  when?: 'on_success' | 'on_failure' | 'always' | '';
  allow_failure?: boolean;
}

/** spec.Image (also each service). */
export interface PayloadImage {
  name: string;
  alias?: string;
  command?: string[];
  entrypoint?: string[];
  pull_policy?: string[];
  variables?: PayloadVariable[];
  executor_opts?: { docker?: { platform?: string; user?: string | number } };
}

/** spec.Artifact: one upload (archive or a report). */
export interface PayloadArtifact {
  name?: string;
  untracked?: boolean;
  paths?: string[];
  exclude?: string[];
  when?: 'on_success' | 'on_failure' | 'always' | '';
  artifact_type?: string;
  artifact_format?: 'zip' | 'gzip' | 'raw' | '' | string;
  expire_in?: string;
}

/** spec.Cache. */
export interface PayloadCache {
  key: string;
  untracked?: boolean;
  policy?: 'pull' | 'push' | 'pull-push' | '';
  paths?: string[];
  when?: 'on_success' | 'on_failure' | 'always' | '';
  fallback_keys?: string[];
}

/** spec.Dependency: a job whose artifacts this job downloads (with that job's token-free id and our job token). */
export interface PayloadDependency {
  id: number;
  token?: string;
  name: string;
  artifacts_file?: { filename: string; size: number };
}

/** spec.GitInfo. */
export interface PayloadGitInfo {
  repo_url: string;
  ref: string;
  sha: string;
  before_sha?: string;
  ref_type?: 'branch' | 'tag' | string;
  refspecs?: string[];
  depth?: number;
  protected?: boolean | null;
}

/** spec.Job: the answer of POST /api/v4/jobs/request (201). */
export interface JobPayload {
  id: number;
  token: string;
  allow_git_fetch?: boolean;
  job_info: {
    name: string;
    stage: string;
    project_id: number;
    project_name: string;
    pipeline_id?: number;
    project_full_path?: string;
  };
  git_info: PayloadGitInfo;
  runner_info?: { timeout?: number };
  variables?: PayloadVariable[];
  steps: PayloadStep[];
  image?: PayloadImage;
  services?: PayloadImage[];
  artifacts?: PayloadArtifact[] | null;
  cache?: PayloadCache[] | null;
  dependencies?: PayloadDependency[] | null;
  features?: { trace_sections?: boolean; token_mask_prefixes?: string[]; failure_reasons?: string[] };
  hooks?: { name: string; script: string[] }[];
  /** External secrets (Vault, cloud secret managers): kiln cannot resolve them and fails such jobs. */
  secrets?: Record<string, unknown>;
  /** GitLab Steps (`run:`): not supported by kiln. */
  run?: unknown;
}

/** common/network.go JobState and the failure reasons GitLab knows (common/network.go consts). */
export type JobState = 'running' | 'success' | 'failed';
export type FailureReason =
  | 'script_failure'
  | 'runner_system_failure'
  | 'job_execution_timeout'
  | 'unknown_failure'
  | 'image_pull_failure'
  | 'job_canceled'
  | 'runner_interrupted';

/** common/network.go UpdateJobRequest. */
export interface UpdateJobRequest {
  info: RunnerInfo;
  token: string;
  state: JobState;
  failure_reason?: FailureReason;
  checksum?: string;
  output: { checksum: string; bytesize: number };
  exit_code?: number;
}
