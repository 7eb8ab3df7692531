// The typed pipeline model: what `loadPipeline` produces and what the planner, scheduler and executors consume.
// Every value here is already normalised (extends/default/!reference resolved, rules evaluated, matrix expanded).
import type { SourcePosition } from '../errors.js';
import type { YMap, YNode } from './yaml/node.js';

export type When = 'on_success' | 'on_failure' | 'always' | 'manual' | 'delayed' | 'never';

/** A variable as written in YAML (global or job level) or given on the command line. */
export interface VariableDef {
  value: string;
  /** false for `expand: false` (the value is used literally). */
  expand: boolean;
  description?: string;
  options?: string[];
  /** File-type variable: the job sees a path to a file holding the value. */
  file?: boolean;
  /** Masked variable: replaced by [MASKED] in every output. */
  masked?: boolean;
}

export type Variables = Record<string, VariableDef>;

export type PullPolicy = 'always' | 'never' | 'if-not-present';

export interface ImageSpec {
  name: string;
  entrypoint?: string[];
  pullPolicy?: PullPolicy[];
  /** image:docker:platform, e.g. "linux/arm64". */
  platform?: string;
  /** image:docker:user. */
  user?: string;
}

export interface ServiceSpec extends ImageSpec {
  alias: string[];
  command?: string[];
  variables: Record<string, string>;
}

export interface NeedSpec {
  /** Concrete name of a created job (matrix/parallel needs already expanded). */
  job: string;
  artifacts: boolean;
  optional: boolean;
}

export interface CacheKeyFiles {
  /** Files or globs (`files`), or git pathspecs (`files_commits`). */
  files: string[];
  prefix?: string;
  /** `files_commits`: the key comes from the last commit of each entry, not from the files' content. */
  commits?: boolean;
}

export interface CacheSpec {
  /** Unexpanded key string, or key:files. Default key is "default". */
  key: string | CacheKeyFiles;
  paths: string[];
  untracked: boolean;
  policy: 'pull' | 'push' | 'pull-push';
  /** `policy: $VAR` as written, until the job is created (then `policy` holds the expanded value). */
  policyText?: string;
  when: 'on_success' | 'on_failure' | 'always';
  fallbackKeys: string[];
  unprotect: boolean;
}

export interface ArtifactsSpec {
  paths: string[];
  exclude: string[];
  untracked: boolean;
  when: 'on_success' | 'on_failure' | 'always';
  /** Seconds; undefined = default, null = "never". */
  expireInSeconds?: number | null;
  name?: string;
  exposeAs?: string;
  /** reports:<kind> → paths (dotenv, junit, coverage_report paths, ...). */
  reports: Record<string, string[]>;
}

export interface RetrySpec {
  max: number; // 0..2
  /** GitLab failure reasons: always, unknown_failure, script_failure, job_execution_timeout, ... */
  when: string[];
  exitCodes: number[];
}

export interface AllowFailureSpec {
  /** true: any failure is allowed (unless exitCodes is non-empty, then only those codes). */
  allowed: boolean;
  exitCodes: number[];
}

export interface EnvironmentSpec {
  name: string;
  url?: string;
  action?: string;
  onStop?: string;
  /** deployment_tier (GitLab guesses it from the name when absent). */
  tier?: string;
}

/** An external secret (`secrets:`): where GitLab would fetch it, and whether the variable holds a file path. */
export interface SecretSpec {
  provider: string;
  file: boolean;
}

/** Keywords that need GitLab's server or features outside a runner (see keywords/local.ts, run/job/local-only.ts). */
export interface LocalKeywords {
  /** A GitLab Pages job: its site folder is kept as artifacts. */
  pages?: { publish: string };
  /** hooks:pre_get_sources_script. */
  preGetSourcesScript?: string[];
  /** `release:` is set. */
  release?: boolean;
  /** `run:` (CI steps) is set. */
  steps?: boolean;
  /** `id_tokens:` names. */
  idTokens?: string[];
  secrets?: Record<string, SecretSpec>;
  /** needs:project / needs:pipeline:job entries (described), whose artifacts only GitLab can hand over. */
  externalNeeds?: string[];
  /** Other keywords kiln accepts but cannot act on, each as one sentence. */
  unsupported?: string[];
}

export interface ParallelInfo {
  /** 1-based CI_NODE_INDEX. */
  index: number;
  total: number;
  /** parallel:matrix values for this instance (CI variables), in matrix-key order. */
  matrix?: Record<string, string>;
}

export interface Job {
  /** CI_JOB_ID, assigned when the pipeline is created, so rules and the running job see the same value. */
  id?: number;
  /** Full GitLab job name, e.g. "build: [amd64, gcc]" or "test 2/3". */
  name: string;
  /** The job's key in the YAML. */
  baseName: string;
  stage: string;
  stageIndex: number;
  position: SourcePosition;
  /** Effective when (rules outcome, else job `when`, else on_success). Never 'never' for created jobs. */
  when: When;
  /** Seconds, for when: delayed. */
  startInSeconds?: number;
  allowFailure: AllowFailureSpec;
  /** null: no `needs` keyword (the job waits for all earlier stages); [] : `needs: []`. */
  needs: NeedSpec[] | null;
  /** null: no `dependencies` keyword (artifacts of all jobs of earlier stages). */
  dependencies: string[] | null;
  image?: ImageSpec;
  services: ServiceSpec[];
  beforeScript: string[];
  script: string[];
  afterScript: string[];
  /** Job variables after inheritance: global YAML vars (per inherit:variables), job vars, matrix values, rules:variables. */
  variables: Variables;
  cache: CacheSpec[];
  artifacts?: ArtifactsSpec;
  tags: string[];
  retry: RetrySpec;
  timeoutSeconds?: number;
  /** May be canceled when a newer pipeline for the same ref starts (job or default value, or rules:interruptible). */
  interruptible: boolean;
  resourceGroup?: string;
  environment?: EnvironmentSpec;
  coverage?: string;
  /** Pages, release, run, hooks, id_tokens, secrets: what kiln does with them is decided per job at run time. */
  local?: LocalKeywords;
  /** trigger: of a trigger job: a child pipeline (run inside the same kiln run) or a multi-project one. */
  trigger?: TriggerSpec;
  parallel?: ParallelInfo;
  /** Human-readable reason the job was created (e.g. "rules[1] if: $CI_COMMIT_BRANCH == ..."). */
  ruleOutcome?: string;
}

/** One trigger:include item: the YAML node (kept for positions) and, for `artifact:` + `job:`, what to read. */
export interface TriggerInclude {
  node: YNode;
  artifact?: { path: string; job: string };
}

export interface TriggerSpec {
  /** Child pipeline configuration files. */
  include?: TriggerInclude[];
  /** Multi-project pipeline: the downstream project (cannot run locally). */
  project?: string;
  branch?: string;
  strategy?: 'depend' | 'mirror';
  forward: { yamlVariables: boolean; pipelineVariables: boolean };
  /** trigger:inputs (spec:inputs of the downstream configuration). */
  inputs?: YMap;
  position: SourcePosition;
}

export interface ExcludedJob {
  name: string;
  position: SourcePosition;
  /** Why GitLab would not create it, e.g. "rules: no rule matched", "except: refs". */
  reason: string;
}

export interface PipelineContext {
  /** Branch or tag name. */
  ref: string;
  isTag: boolean;
  /** CI_PIPELINE_SOURCE (push, web, schedule, merge_request_event, ...). */
  source: string;
  /** Every predefined CI_* variable for the pipeline (job-level ones such as CI_JOB_NAME are added per job). */
  predefined: Record<string, string>;
  /** Variables given by the user (CLI --variable / variables file / config): highest precedence. */
  userVariables: Variables;
}

/** workflow:auto_cancel:on_new_commit — what a newer pipeline for the same ref cancels in this one. */
export type OnNewCommit = 'conservative' | 'interruptible' | 'none';
/** workflow:auto_cancel:on_job_failure — cancel the whole pipeline when a job fails. */
export type OnJobFailure = 'none' | 'all';

export interface AutoCancelSpec {
  onNewCommit?: OnNewCommit;
  onJobFailure?: OnJobFailure;
}

export interface Pipeline {
  /** Absolute path of the main .gitlab-ci.yml. */
  file: string;
  /** Absolute path of the project root. */
  projectDir: string;
  stages: string[];
  /** Global YAML variables. */
  variables: Variables;
  workflowName?: string;
  context: PipelineContext;
  /** Created jobs, in (post-include) YAML order. */
  jobs: Job[];
  /** Jobs GitLab would not create in this context, with the reason. */
  excluded: ExcludedJob[];
  /** Outcome of workflow:rules when the file has them (created: false → GitLab creates no pipeline, jobs is []). */
  workflow?: { created: boolean; reason: string };
  /** workflow:auto_cancel (with workflow:rules:auto_cancel applied); defaults conservative / none. */
  autoCancel: Required<AutoCancelSpec>;
}
