// The effective kiln config: built-in defaults < user kiln.toml < project kiln.toml < command line.
// Each setting is taken whole from the highest layer that sets it (arrays are replaced, not merged);
// `abi.targets` is merged per target name.
import { join } from 'node:path';
import { homedir } from 'node:os';
import { IGNORED_SETTING, readConfigFile, type Layer } from './read-file.js';
import { redactToken, type IgnoredKey, type RunnerEntry } from './runners.js';
import {
  DEFAULT_CONFIG,
  type CliConfigOverrides,
  type DockerSettings,
  type GitlabSettings,
  type KilnConfig,
  type LoadedConfig,
  type RunnerSettings,
  type ValueOrigin,
} from './types.js';

export const CONFIG_FILE_NAME = 'kiln.toml';

export interface LoadConfigOptions {
  /** Project directory (its kiln.toml is read when present). */
  projectDir?: string;
  /** Command-line overrides. */
  cli?: CliConfigOverrides;
  /** Directory holding the user's kiln.toml; default $XDG_CONFIG_HOME/kiln or ~/.config/kiln. */
  userConfigDir?: string;
  /** Environment used to find the user config dir (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'kiln');
}

/** TOML key → field name of the typed settings. */
const FIELD: Record<string, string> = {
  pre_build_script: 'preBuildScript',
  post_build_script: 'postBuildScript',
  builds_dir: 'buildsDir',
  cache_dir: 'cacheDir',
  cache_pool: 'cachePool',
  pull_policy: 'pullPolicy',
  allowed_images: 'allowedImages',
  network_mode: 'networkMode',
  shm_size: 'shmSize',
  templates_url: 'templatesUrl',
};
/** Top-level TOML keys whose field name differs. */
const TOP_FIELD: Record<string, string> = {
  check_interval: 'checkInterval',
  shutdown_timeout: 'shutdownTimeout',
  resource_groups: 'resourceGroups',
};
const TOML_KEY: Record<string, string> = Object.fromEntries(Object.entries(FIELD).map(([k, v]) => [v, k]));

function cliLayer(cli: CliConfigOverrides): Layer {
  const layer: Layer = new Map();
  if (cli.concurrent !== undefined) layer.set('concurrent', { value: cli.concurrent });
  if (cli.masked !== undefined) layer.set('masked', { value: cli.masked });
  for (const section of ['runner', 'docker'] as const) {
    for (const [field, value] of Object.entries(cli[section] ?? {})) {
      if (value !== undefined) layer.set(`${section}.${TOML_KEY[field] ?? field}`, { value });
    }
  }
  return layer;
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const files: string[] = [];
  const layers: { source: ValueOrigin['source']; file?: string; layer: Layer }[] = [];
  const userFile = join(options.userConfigDir ?? userConfigDir(options.env), CONFIG_FILE_NAME);
  const projectFile = options.projectDir ? join(options.projectDir, CONFIG_FILE_NAME) : undefined;
  for (const [source, file] of [
    ['user', userFile],
    ['project', projectFile],
  ] as const) {
    if (!file) continue;
    const layer = readConfigFile(file);
    if (layer) {
      files.push(file);
      layers.push({ source, file, layer });
    }
  }
  if (options.cli) layers.push({ source: 'cli', layer: cliLayer(options.cli) });

  const config: KilnConfig = structuredClone(DEFAULT_CONFIG);
  const origins: Record<string, ValueOrigin> = {};
  const ignored: IgnoredKey[] = [];
  for (const key of ['concurrent', 'masked']) origins[key] = { source: 'default' };
  for (const key of ['executor', 'environment', 'cache_pool', 'shell'])
    origins[`runner.${key}`] = { source: 'default' };
  for (const key of ['volumes', 'privileged', 'pull_policy', 'allowed_images'])
    origins[`docker.${key}`] = { source: 'default' };

  for (const { source, file, layer } of layers) {
    for (const [setting, { value, position }] of layer) {
      if (setting === IGNORED_SETTING) {
        ignored.push(...(value as IgnoredKey[]));
        continue;
      }
      const origin: ValueOrigin = { source, ...(file ? { file } : {}), ...(position ? { position } : {}) };
      if (setting === 'abi.targets') {
        for (const [name, target] of Object.entries(value as Record<string, Record<string, unknown>>)) {
          config.abiTargets[name] = target;
          origins[`abi.targets.${name}`] = origin;
        }
        continue;
      }
      if (setting.startsWith('images.')) {
        const spec = value as KilnConfig['images'][string];
        config.images[spec.name] = spec;
        origins[setting] = origin;
        continue;
      }
      const dot = setting.indexOf('.');
      if (dot < 0) {
        (config as unknown as Record<string, unknown>)[TOP_FIELD[setting] ?? setting] = value;
      } else {
        const section = setting.slice(0, dot) as 'runner' | 'docker' | 'gitlab';
        const key = setting.slice(dot + 1);
        const target = config[section] as RunnerSettings | DockerSettings | GitlabSettings;
        (target as unknown as Record<string, unknown>)[FIELD[key] ?? key] = value;
      }
      origins[setting] = origin;
    }
  }
  return { config, origins, files, ignored };
}

/** The effective value for a setting path as shown by `kiln config` (TOML spelling). */
export function settingValue(config: KilnConfig, setting: string): unknown {
  if (setting.startsWith('abi.targets.')) return config.abiTargets[setting.slice('abi.targets.'.length)];
  if (setting.startsWith('images.')) return config.images[setting.slice('images.'.length)];
  // Tokens are secrets: `kiln config` never shows them.
  if (setting === 'runners') return config.runners.map((r: RunnerEntry) => ({ ...r, token: redactToken(r.token) }));
  const dot = setting.indexOf('.');
  if (dot < 0) return (config as unknown as Record<string, unknown>)[TOP_FIELD[setting] ?? setting];
  const section = config[setting.slice(0, dot) as 'runner' | 'docker' | 'gitlab'] as unknown as Record<string, unknown>;
  const key = setting.slice(dot + 1);
  const value = section[FIELD[key] ?? key];
  if (key === 'volumes') return (value as { raw: string }[]).map((v) => v.raw);
  return value;
}
