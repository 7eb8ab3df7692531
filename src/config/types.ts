// The shape of kiln.toml (runner settings after GitLab Runner's config.toml) and of the effective config.
import type { SourcePosition } from '../errors.js';
import type { PullPolicy } from '../pipeline/model.js';
import type { ImageBuildConfig } from './images.js';

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
}

/** Overrides from the command line (highest precedence). */
export interface CliConfigOverrides {
  concurrent?: number;
  runner?: Partial<RunnerSettings>;
  docker?: Partial<DockerSettings>;
  masked?: string[];
}

export const DEFAULT_CONFIG: KilnConfig = {
  concurrent: 4,
  runner: { executor: 'shell', environment: [], cachePool: 4, shell: 'bash' },
  docker: { volumes: [], privileged: false, pullPolicy: ['if-not-present'], allowedImages: [] },
  masked: [],
  abiTargets: {},
  images: {},
};
