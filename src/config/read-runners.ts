// Reads GitLab Runner's config.toml keys from a parsed kiln.toml: the top-level ones (check_interval, ...) and
// every `[[runners]]` entry. Values kiln uses are checked and recorded; accepted-but-ignored keys are collected
// for one warning; keys GitLab Runner does not have are errors with file:line:col.
import type { SourcePosition } from '../errors.js';
import {
  RUN_SETTING_OF,
  RUNNER_CACHE_KEYS,
  RUNNER_DOCKER_KEYS,
  RUNNER_ENTRY_KEYS,
  RUNNER_TOP_KEYS,
  runnerEntry,
  type IgnoredKey,
  type KeyRule,
  type RunnerEntry,
} from './runners.js';
import { ValueProblem } from './values.js';
import type { VolumeSpec } from './types.js';

/** What read-file.ts's layer builder offers. */
export interface RunnerKeysSink {
  error(detail: string, path: (string | number)[]): void;
  position(path: (string | number)[]): SourcePosition | undefined;
  set(setting: string, value: unknown, path: (string | number)[]): void;
  suggest(key: string, known: string[]): string;
  /** Relative bind sources resolved against the config file's directory. */
  resolveVolumes(volumes: VolumeSpec[]): VolumeSpec[];
  readonly file: string;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Applies a rule set to one table; returns the checked 'use' values. */
function walk(
  sink: RunnerKeysSink,
  raw: Record<string, unknown>,
  rules: Record<string, KeyRule>,
  path: (string | number)[],
  ignored: IgnoredKey[],
  skip: Set<string> = new Set(),
): Map<string, unknown> {
  const used = new Map<string, unknown>();
  for (const [key, value] of Object.entries(raw)) {
    if (skip.has(key)) continue;
    const rule = rules[key];
    const keyPath = [...path, key];
    const dotted = keyPath.filter((p) => typeof p === 'string').join('.');
    if (rule === undefined) {
      sink.error(`unknown key "${key}"${sink.suggest(key, Object.keys(rules))}`, keyPath);
    } else if (rule === 'ignore') {
      ignored.push({ key: dotted, position: sink.position(keyPath) });
    } else if (rule === 'table') {
      // A whole section kiln has no use for (Kubernetes, autoscaler, S3 cache, ...): accepted as written.
      if (!(isTable(value) || (Array.isArray(value) && value.every(isTable))))
        sink.error(`expected a table [${dotted}]`, keyPath);
      else ignored.push({ key: `[${dotted}]`, position: sink.position(keyPath) });
    } else {
      try {
        used.set(key, rule.use(value));
      } catch (e) {
        if (!(e instanceof ValueProblem)) throw e;
        sink.error(e.message, [...keyPath, ...e.subPath]);
      }
    }
  }
  return used;
}

/** Top-level GitLab Runner keys other than `concurrent` and `runners`; returns the keys it handled. */
export function readRunnerTopKeys(
  sink: RunnerKeysSink,
  raw: Record<string, unknown>,
  ignored: IgnoredKey[],
): Set<string> {
  const mine: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) if (key in RUNNER_TOP_KEYS) mine[key] = raw[key];
  const used = walk(sink, mine, RUNNER_TOP_KEYS, [], ignored);
  for (const [key, value] of used) sink.set(key, value, [key]);
  return new Set(Object.keys(mine));
}

/**
 * `[[runners]]`: every entry is recorded under the `runners` setting (for `kiln runner`); the first one also
 * sets kiln's `[runner]` / `[docker]` settings for `kiln run` unless the file has those sections itself.
 */
export function readRunnerEntries(sink: RunnerKeysSink, value: unknown, ignored: IgnoredKey[], feedRun: boolean): void {
  if (!Array.isArray(value) || !value.every(isTable)) {
    sink.error('expected [[runners]] tables', ['runners']);
    return;
  }
  const entries: RunnerEntry[] = [];
  value.forEach((raw, i) => {
    const entry = raw as Record<string, unknown>;
    const path = ['runners', i];
    const values = walk(
      sink,
      entry,
      RUNNER_ENTRY_KEYS,
      path,
      ignored,
      new Set(['docker', 'cache', 'custom_build_dir']),
    );
    let docker = new Map<string, unknown>();
    if (entry.docker !== undefined) {
      if (!isTable(entry.docker)) sink.error('expected a table [runners.docker]', [...path, 'docker']);
      else docker = walk(sink, entry.docker, RUNNER_DOCKER_KEYS, [...path, 'docker'], ignored);
    }
    if (entry.cache !== undefined) {
      if (!isTable(entry.cache)) sink.error('expected a table [runners.cache]', [...path, 'cache']);
      else walk(sink, entry.cache, RUNNER_CACHE_KEYS, [...path, 'cache'], ignored);
    }
    if (entry.custom_build_dir !== undefined) {
      if (!isTable(entry.custom_build_dir))
        sink.error('expected a table [runners.custom_build_dir]', [...path, 'custom_build_dir']);
      else walk(sink, entry.custom_build_dir, { enabled: 'ignore' }, [...path, 'custom_build_dir'], ignored);
    }
    if (docker.has('volumes')) docker.set('volumes', sink.resolveVolumes(docker.get('volumes') as VolumeSpec[]));
    entries.push(runnerEntry(i, sink.file, values, docker, sink.position(path)));
    if (i === 0 && feedRun) {
      for (const [key, setting] of Object.entries(RUN_SETTING_OF))
        if (values.has(key)) sink.set(setting, values.get(key), [...path, key]);
      for (const [key, v] of docker) if (v !== undefined) sink.set(`docker.${key}`, v, [...path, 'docker', key]);
    }
  });
  sink.set('runners', entries, ['runners']);
}
