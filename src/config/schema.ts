// Which keys kiln.toml accepts, and how each value is checked. Keys use the TOML spelling (snake_case).
import {
  asBool,
  asByteSize,
  asCount,
  asCpus,
  asEnvironment,
  asExecutor,
  asPositiveInt,
  asPullPolicy,
  asString,
  asStringList,
  asResourceGroupModes,
  asSecretSources,
  asTargetTable,
  asVariableNames,
  asVolumes,
  asHttpUrl,
} from './values.js';

export type ValueParser = (raw: unknown) => unknown;

export const TOP_KEYS: Record<string, ValueParser> = {
  concurrent: asPositiveInt,
  masked: asVariableNames,
  secrets: asSecretSources,
  resource_groups: asResourceGroupModes,
};

export const RUNNER_KEYS: Record<string, ValueParser> = {
  executor: asExecutor,
  environment: asEnvironment,
  pre_build_script: asString,
  post_build_script: asString,
  builds_dir: asString,
  cache_dir: asString,
  cache_pool: asCount,
  shell: asString,
};

export const DOCKER_KEYS: Record<string, ValueParser> = {
  image: asString,
  volumes: asVolumes,
  privileged: asBool,
  pull_policy: asPullPolicy,
  allowed_images: asStringList,
  network_mode: asString,
  memory: asByteSize,
  cpus: asCpus,
  shm_size: asByteSize,
};

/** The GitLab instance the pipeline belongs to: CI_SERVER_* variables, `include:component` hosts, `kiln vendor`. */
export const GITLAB_KEYS: Record<string, ValueParser> = {
  url: asHttpUrl,
  templates_url: asHttpUrl,
};

export const ABI_KEYS: Record<string, ValueParser> = {
  targets: asTargetTable,
};

export const SECTIONS: Record<string, Record<string, ValueParser>> = {
  runner: RUNNER_KEYS,
  docker: DOCKER_KEYS,
  abi: ABI_KEYS,
  gitlab: GITLAB_KEYS,
};
