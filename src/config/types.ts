// The shape of kiln.toml (runner settings after GitLab Runner's config.toml) and of the effective config.
import { availableParallelism } from 'node:os';
import type { SourcePosition } from '../errors.js';
import type { PullPolicy } from '../pipeline/model.js';

export type ExecutorName = 'shell' | 'docker';

/** A parsed `volumes` entry: bind mount, named volume or anonymous volume. */
export type VolumeSpec =
  | { kind: 'bind'; source: string; target: string; readOnly: boolean; raw: string }
  | { kind: 'named'; name: string; target: string; readOnly: boolean; raw: string }
  | { kind: 'anonymous'; target: string; raw: string };

export interface RunnerSettings {
  executor: ExecutorName;
  /** "K=V" strings, as in GitLab Runner; later entries win. */
  environment: string[];
  preBuildScript?: string;
  postBuildScript?: string;
  buildsDir?: string;
  cacheDir?: string;
  /** Cache trees parked per content after jobs (see store/pool.ts); 0 turns parking off. */
  cachePool: number;
  shell: string;
}

export interface DockerSettings {
  image?: string;
  volumes: VolumeSpec[];
  privileged: boolean;
  pullPolicy: PullPolicy[];
  /** Glob patterns; empty = any image allowed. */
  allowedImages: string[];
  networkMode?: string;
  /** Bytes. */
  memory?: number;
  /** Number of CPUs (fractional allowed). */
  cpus?: number;
  /** Bytes. */
  shmSize?: number;
}

export interface KilnConfig {
  concurrent: number;
  runner: RunnerSettings;
  docker: DockerSettings;
  /** Variable names whose values are masked in every output. */
  masked: string[];
  /** User ABI targets, passed through as written (validated as tables of tables). */
  abiTargets: Record<string, Record<string, unknown>>;
  /** `[images.<name>]`: build environment images made from Dockerfiles (merged per name across files). */
  images: Record<string, ImageBuildConfig>;
  /** `[secrets]`: where the values of `secrets:` / `id_tokens:` come from locally. */
  secrets: Record<string, SecretSource>;
  /** `[resource_groups]`: process mode per resource group (GitLab sets it per group; default unordered). */
  resourceGroups: Record<string, 'unordered' | 'oldest_first' | 'newest_first'>;
  /** GitLab Runner's check_interval in seconds (0: its default, 3 s): how often `kiln runner run` asks for jobs. */
  checkInterval: number;
  /** GitLab Runner's shutdown_timeout in seconds (0: 30 s): how long a stop waits for jobs to be reported. */
  shutdownTimeout: number;
  /** `[[runners]]` entries (GitLab Runner's shape) for `kiln runner`, from the highest file that has them. */
  runners: RunnerEntry[];
  gitlab: GitlabSettings;
}

/** `[gitlab]`: the instance the project lives on. */
export interface GitlabSettings {
  /** e.g. https://gitlab.example.com: sets CI_SERVER_* (over the git remote's host); `kiln vendor` asks its API. */
  url?: string;
  /** Where `kiln vendor` fetches `include:template` files from: <templates_url>/<name>. */
  templatesUrl?: string;
}

/** Where an effective value came from. */
export interface ValueOrigin {
  source: 'default' | 'user' | 'project' | 'cli';
  file?: string;
  position?: SourcePosition;
}

export interface LoadedConfig {
  config: KilnConfig;
  /** Origin of each setting, keyed by its TOML path (e.g. "docker.image", "runner.executor", "abi.targets.uos20"). */
  origins: Record<string, ValueOrigin>;
  /** Config files that were read, lowest precedence first. */
  files: string[];
  /** Keys accepted from GitLab Runner's config.toml that have no effect in kiln (reported in one warning). */
  ignored: IgnoredKey[];
}

/** Overrides from the command line (highest precedence). */
export interface CliConfigOverrides {
  concurrent?: number;
  runner?: Partial<RunnerSettings>;
  docker?: Partial<DockerSettings>;
  masked?: string[];
}

export const DEFAULT_CONFIG: KilnConfig = {
  // What `kiln run` uses without -j or a configured value (one truth for `kiln config` and the scheduler).
  concurrent: availableParallelism(),
  runner: { executor: 'shell', environment: [], cachePool: 4, shell: 'bash' },
  docker: { volumes: [], privileged: false, pullPolicy: ['if-not-present'], allowedImages: [] },
  masked: [],
  abiTargets: {},
  images: {},
  secrets: {},
  resourceGroups: {},
  checkInterval: 0,
  shutdownTimeout: 0,
  runners: [],
  gitlab: {},
};

/** One `[images.<name>]` table of kiln.toml (parsed by config/images.ts). */
export interface ImageBuildConfig {
  /** The table's name in kiln.toml. */
  name: string;
  /** Repository and tag that jobs write in `image:` (e.g. "team/build:1"). */
  image: string;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** Absolute path of the build context directory. */
  context: string;
  /** "linux/amd64", "linux/arm64", ...; empty = the engine's platform. */
  platforms: string[];
  args: Record<string, string>;
  target?: string;
}

/** A secret's local source: an environment variable of kiln's process, or a file's content. */
export type SecretSource = { env: string } | { file: string };

/** A `[[runners]]` entry as `kiln runner` uses it (the token stays in memory only: never printed). */
export interface RunnerEntry {
  /** 0-based index of the entry in its file. */
  index: number;
  file: string;
  /** Position of the entry's `[[runners]]` header. */
  position?: SourcePosition;
  name: string;
  url?: string;
  id?: number;
  token?: string;
  tokenExpiresAt?: string;
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  executor: ExecutorName;
  /** Jobs this runner runs at once (0 = no limit of its own; the global `concurrent` still applies). */
  limit: number;
  /** Trace size limit in bytes (GitLab Runner's output_limit is in KiB; default 4096 KiB). */
  outputLimitBytes: number;
  jobStatusFinalUpdateRetryLimit: number;
  environment: string[];
  shell: string;
  buildsDir?: string;
  cacheDir?: string;
  cloneUrl?: string;
  preGetSourcesScript?: string;
  postGetSourcesScript?: string;
  preBuildScript?: string;
  postBuildScript?: string;
  docker: Partial<DockerSettings>;
}

/** A key that was accepted but has no effect in kiln. */
export interface IgnoredKey {
  key: string;
  position?: SourcePosition;
}
