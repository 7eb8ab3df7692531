// GitLab Runner's config.toml shape inside kiln.toml: top-level `concurrent`, `check_interval`, ... and
// `[[runners]]` entries with `[runners.docker]`, `[runners.cache]`, ... A config.toml written by
// `gitlab-runner register` loads as it is. Every key GitLab Runner accepts is accepted here; each is either
// acted on ('use') or accepted and ignored ('ignore'), and the ignored ones are reported in ONE warning.
// Key lists follow GitLab Runner's `common/config.go` (structs Config, SessionServer, RunnerConfig,
// RunnerCredentials, RunnerSettings, DockerConfig with docker.Credentials) and `cache/cacheconfig/cacheconfig.go`.
// Keys that are not GitLab Runner's either stay errors (typos must not pass silently).
import type { SourcePosition } from '../errors.js';
import {
  asBool,
  asByteSize,
  asCount,
  asCpus,
  asEnvironment,
  asExecutor,
  asPullPolicy,
  asString,
  asStringList,
  asVolumes,
  ValueProblem,
} from './values.js';
import type { DockerSettings, ExecutorName, IgnoredKey, RunnerEntry, VolumeSpec } from './types.js';

export type { IgnoredKey, RunnerEntry };

export type KeyRule = { use: (raw: unknown) => unknown } | 'ignore' | 'table';

/** GitLab Runner's default output_limit (common/consts.go DefaultTraceOutputLimit: 4 MiB). */
export const DEFAULT_OUTPUT_LIMIT_BYTES = 4 * 1024 * 1024;
/** common/consts.go DefaultFinalUpdateRetryLimit. */
export const DEFAULT_FINAL_UPDATE_RETRY_LIMIT = 10;
/** common/consts.go CheckInterval (check_interval = 0 means this). */
export const DEFAULT_CHECK_INTERVAL_S = 3;

const asWhole = (v: unknown) => asCount(v);
/** GitLab Runner writes 0 for "not set" (e.g. `shm_size = 0`): undefined then. */
const zeroIsUnset = (parse: (v: unknown) => unknown) => (v: unknown) =>
  v === 0 || v === 0n || v === '' ? undefined : parse(v);

/** Top-level keys of GitLab Runner's Config (besides `concurrent`, which kiln already has, and `runners`). */
export const RUNNER_TOP_KEYS: Record<string, KeyRule> = {
  check_interval: { use: asWhole },
  shutdown_timeout: { use: asWhole },
  listen_address: 'ignore',
  session_server: 'table',
  labels: 'table',
  log_level: 'ignore',
  log_format: 'ignore',
  user: 'ignore',
  sentry_dsn: 'ignore',
  connection_max_age: 'ignore',
  machine: 'table',
  experimental: 'table',
};

/** RunnerConfig + RunnerCredentials + RunnerSettings (squashed into one table in TOML). */
export const RUNNER_ENTRY_KEYS: Record<string, KeyRule> = {
  // RunnerConfig
  name: { use: asString },
  limit: { use: asWhole },
  output_limit: { use: asWhole },
  request_concurrency: 'ignore',
  strict_check_interval: 'ignore',
  unhealthy_requests_limit: 'ignore',
  unhealthy_interval: 'ignore',
  job_status_final_update_retry_limit: { use: asWhole },
  experimental: 'table',
  // RunnerCredentials
  url: { use: asString },
  id: { use: asWhole },
  token: { use: asString },
  token_obtained_at: 'ignore',
  token_expires_at: { use: (v) => (v instanceof Date ? v.toISOString() : asString(v)) },
  'tls-ca-file': { use: asString },
  'tls-cert-file': { use: asString },
  'tls-key-file': { use: asString },
  // RunnerSettings
  labels: 'table',
  executor: { use: asExecutor },
  builds_dir: { use: asString },
  cache_dir: { use: asString },
  clone_url: { use: asString },
  environment: { use: asEnvironment },
  proxy_exec: 'ignore',
  pre_get_sources_script: { use: asString },
  post_get_sources_script: { use: asString },
  pre_build_script: { use: asString },
  post_build_script: { use: asString },
  prepare_timeout: 'ignore',
  get_sources_timeout: 'ignore',
  debug_trace_disabled: 'ignore',
  safe_directory_checkout: 'ignore',
  clean_git_config: 'ignore',
  shell: { use: asString },
  custom_build_dir: 'table',
  referees: 'table',
  cache: 'table',
  artifact: 'table',
  feature_flags: 'table',
  monitoring: 'table',
  use_slot_cgroups: 'ignore',
  slot_cgroup_template: 'ignore',
  instance: 'table',
  ssh: 'table',
  docker: 'table',
  parallels: 'table',
  virtualbox: 'table',
  machine: 'table',
  kubernetes: 'table',
  custom: 'table',
  autoscaler: 'table',
  step_runner_image: 'ignore',
};

/** DockerConfig (+ docker.Credentials). The ones kiln's Docker executor applies are 'use'. */
export const RUNNER_DOCKER_KEYS: Record<string, KeyRule> = {
  image: { use: asString },
  volumes: { use: asVolumes },
  privileged: { use: asBool },
  pull_policy: { use: asPullPolicy },
  allowed_images: { use: asStringList },
  network_mode: { use: asString },
  memory: { use: zeroIsUnset(asByteSize) },
  cpus: { use: zeroIsUnset(asCpus) },
  shm_size: { use: zeroIsUnset(asByteSize) },
};
for (const key of [
  'host',
  'tls_cert_path',
  'tls_verify',
  'hostname',
  'runtime',
  'memory_swap',
  'memory_reservation',
  'cgroup_parent',
  'cpuset_cpus',
  'cpuset_mems',
  'cpu_shares',
  'dns',
  'dns_search',
  'services_privileged',
  'disable_entrypoint_overwrite',
  'user',
  'allowed_users',
  'group_add',
  'userns_mode',
  'cap_add',
  'cap_drop',
  'oom_kill_disable',
  'oom_score_adjust',
  'security_opt',
  'services_security_opt',
  'devices',
  'device_cgroup_rules',
  'gpus',
  'disable_cache',
  'volume_keep',
  'volume_driver',
  'cache_dir',
  'extra_hosts',
  'volumes_from',
  'pid_mode',
  'ipcmode',
  'mac_address',
  'links',
  'services_limit',
  'service_memory',
  'service_memory_swap',
  'service_memory_reservation',
  'service_cgroup_parent',
  'service_slot_cgroup_template',
  'service_cpuset_cpus',
  'service_cpus',
  'service_cpu_shares',
  'service_gpus',
  'wait_for_services_timeout',
  'allowed_privileged_images',
  'allowed_privileged_services',
  'allowed_pull_policies',
  'allowed_services',
  'isolation',
  'helper_image',
  'helper_image_flavor',
  'network_mtu',
])
  RUNNER_DOCKER_KEYS[key] = 'ignore';
for (const key of [
  'services',
  'services_devices',
  'volume_driver_ops',
  'tmpfs',
  'services_tmpfs',
  'sysctls',
  'container_labels',
  'ulimit',
  'log_options',
])
  RUNNER_DOCKER_KEYS[key] = 'table';

/** cacheconfig.Config: kiln keeps caches in its own store on this machine (no distributed cache yet). */
export const RUNNER_CACHE_KEYS: Record<string, KeyRule> = {
  Type: 'ignore',
  Path: 'ignore',
  Shared: 'ignore',
  MaxUploadedArchiveSize: 'ignore',
  s3: 'table',
  gcs: 'table',
  azure: 'table',
};

/** runners.X keys that also set kiln's own `[runner]` / `[docker]` settings for `kiln run` (first entry). */
export const RUN_SETTING_OF: Record<string, string> = {
  executor: 'runner.executor',
  environment: 'runner.environment',
  pre_build_script: 'runner.pre_build_script',
  post_build_script: 'runner.post_build_script',
  builds_dir: 'runner.builds_dir',
  cache_dir: 'runner.cache_dir',
  shell: 'runner.shell',
};

/** Builds a RunnerEntry from checked values (TOML key → value). */
export function runnerEntry(
  index: number,
  file: string,
  values: Map<string, unknown>,
  docker: Map<string, unknown>,
  position?: SourcePosition,
): RunnerEntry {
  const s = (k: string) => values.get(k) as string | undefined;
  const n = (k: string) => values.get(k) as number | undefined;
  const d: Partial<DockerSettings> = {};
  if (docker.has('image')) d.image = docker.get('image') as string;
  if (docker.has('volumes')) d.volumes = docker.get('volumes') as VolumeSpec[];
  if (docker.has('privileged')) d.privileged = docker.get('privileged') as boolean;
  if (docker.has('pull_policy')) d.pullPolicy = docker.get('pull_policy') as DockerSettings['pullPolicy'];
  if (docker.has('allowed_images')) d.allowedImages = docker.get('allowed_images') as string[];
  if (docker.has('network_mode')) d.networkMode = docker.get('network_mode') as string;
  for (const [key, field] of [
    ['memory', 'memory'],
    ['cpus', 'cpus'],
    ['shm_size', 'shmSize'],
  ] as const) {
    if (docker.get(key) !== undefined) d[field] = docker.get(key) as number;
  }
  const outputKb = n('output_limit');
  return {
    index,
    file,
    position,
    name: s('name') ?? `runner-${index}`,
    url: s('url'),
    id: n('id'),
    token: s('token'),
    tokenExpiresAt: s('token_expires_at'),
    tlsCaFile: s('tls-ca-file'),
    tlsCertFile: s('tls-cert-file'),
    tlsKeyFile: s('tls-key-file'),
    executor: (s('executor') as ExecutorName | undefined) ?? 'shell',
    limit: n('limit') ?? 0,
    outputLimitBytes: outputKb ? outputKb * 1024 : DEFAULT_OUTPUT_LIMIT_BYTES,
    jobStatusFinalUpdateRetryLimit: n('job_status_final_update_retry_limit') || DEFAULT_FINAL_UPDATE_RETRY_LIMIT,
    environment: (values.get('environment') as string[] | undefined) ?? [],
    shell: s('shell') ?? 'bash',
    buildsDir: s('builds_dir'),
    cacheDir: s('cache_dir'),
    cloneUrl: s('clone_url'),
    preGetSourcesScript: s('pre_get_sources_script'),
    postGetSourcesScript: s('post_get_sources_script'),
    preBuildScript: s('pre_build_script'),
    postBuildScript: s('post_build_script'),
    docker: d,
  };
}

/** The text of the single warning listing every ignored key (undefined when none). */
export function ignoredWarning(ignored: IgnoredKey[]): string | undefined {
  if (!ignored.length) return undefined;
  const byFile = new Map<string, string[]>();
  for (const k of ignored) {
    const file = k.position?.file ?? 'kiln.toml';
    const list = byFile.get(file) ?? [];
    list.push(k.position ? `${k.key} (line ${k.position.line})` : k.key);
    byFile.set(file, list);
  }
  const parts = [...byFile].map(([file, keys]) => `${file}: ${keys.join(', ')}`);
  return `warning: GitLab Runner settings kiln does not use (accepted, no effect): ${parts.join('; ')}`;
}

/** A token shown as GitLab Runner's ShortenToken does: never the secret part. */
export function redactToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  return token.startsWith('glrt-') ? 'glrt-[MASKED]' : '[MASKED]';
}

export { ValueProblem };
