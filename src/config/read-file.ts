// Reads one kiln.toml into a "layer": every setting it sets, checked, with the place it was written.
// `[runner]` + `[docker]` is kiln's native shape; GitLab Runner's config.toml shape (`[[runners]]` entries with
// `[runners.docker]`, ...) is accepted too (read-runners.ts): the first entry feeds `kiln run` when the file has
// no `[runner]` / `[docker]` of its own, and every entry is a runner for `kiln runner`.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { homedir } from 'node:os';
import { parse, TomlError } from 'smol-toml';
import { ConfigError, ConfigErrors, type SourcePosition } from '../errors.js';
import { indexPositions, positionOf, type PositionIndex } from './toml-positions.js';
import { SECTIONS, TOP_KEYS, type ValueParser } from './schema.js';
import { readRunnerEntries, readRunnerTopKeys, type RunnerKeysSink } from './read-runners.js';
import { RUNNER_TOP_KEYS, type IgnoredKey } from './runners.js';
import { ValueProblem } from './values.js';
import { parseImagesTable } from './images.js';
import type { VolumeSpec } from './types.js';

export interface LayerValue {
  value: unknown;
  position?: SourcePosition;
}

/** Setting path ("docker.image") → value. The reserved setting `ignored` lists accepted keys without effect. */
export type Layer = Map<string, LayerValue>;

/** Layer key holding the IgnoredKey[] of a file (not a setting: collected into LoadedConfig.ignored). */
export const IGNORED_SETTING = 'ignored';

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

class LayerBuilder implements RunnerKeysSink {
  readonly layer: Layer = new Map();
  readonly errors: ConfigError[] = [];
  constructor(
    private readonly index: PositionIndex,
    readonly file: string,
  ) {}

  position(path: (string | number)[]): SourcePosition | undefined {
    return positionOf(this.index, path);
  }

  set(setting: string, value: unknown, path: (string | number)[]): void {
    this.layer.set(setting, { value, position: positionOf(this.index, path) });
  }

  suggest(key: string, known: string[]): string {
    return suggest(key, known);
  }

  error(detail: string, path: (string | number)[]): void {
    this.errors.push(new ConfigError(detail, positionOf(this.index, path), path.map(String)));
  }

  /** Checks and records the keys of one table against a key schema. */
  table(
    raw: Record<string, unknown>,
    schema: Record<string, ValueParser>,
    section: string,
    tomlPath: (string | number)[],
    skip: Set<string> = new Set(),
  ): void {
    for (const [key, value] of Object.entries(raw)) {
      if (skip.has(key)) continue;
      const parser = schema[key];
      const path = [...tomlPath, key];
      if (!parser) {
        this.error(`unknown key "${key}"${suggest(key, Object.keys(schema))}`, path);
        continue;
      }
      try {
        let parsed = parser(value);
        if (section === 'docker' && key === 'volumes') parsed = this.resolveVolumes(parsed as VolumeSpec[]);
        const setting = section ? `${section}.${key}` : key;
        this.layer.set(setting, { value: parsed, position: positionOf(this.index, path) });
      } catch (e) {
        if (!(e instanceof ValueProblem)) throw e;
        this.error(e.message, [...path, ...e.subPath]);
      }
    }
  }

  /** `[images.<name>]` tables (src/config/images.ts): one setting per image, paths relative to this file. */
  images(raw: unknown): void {
    try {
      for (const [name, spec] of Object.entries(parseImagesTable(raw, this.file))) {
        this.layer.set(`images.${name}`, { value: spec, position: positionOf(this.index, ['images', name]) });
      }
    } catch (e) {
      if (!(e instanceof ValueProblem)) throw e;
      this.error(e.message, ['images', ...e.subPath]);
    }
  }

  /** Relative bind sources are relative to the config file's directory ("~/" to the home directory). */
  resolveVolumes(volumes: VolumeSpec[]): VolumeSpec[] {
    return volumes.map((v) => {
      if (v.kind !== 'bind' || v.source.startsWith('/')) return v;
      const source = v.source.startsWith('~/')
        ? resolve(homedir(), v.source.slice(2))
        : resolve(dirname(this.file), v.source);
      return { ...v, source };
    });
  }
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function suggest(key: string, known: string[]): string {
  const norm = (s: string) => s.replace(/[-_]/g, '').toLowerCase();
  const close = known.find((k) => norm(k) === norm(key)) ?? known.find((k) => distance(k, key) <= 2);
  return close ? ` (did you mean "${close}"?)` : ` (known keys: ${known.join(', ')})`;
}

/** Parses TOML text into a layer; throws ConfigErrors listing every problem with file:line:col. */
export function readConfigText(text: string, file: string): Layer {
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const firstLine = e.message.split('\n')[0].replace(/^Invalid TOML document:\s*/, '');
      throw new ConfigError(`invalid TOML: ${firstLine}`, { file, line: e.line, col: e.column });
    }
    throw e;
  }
  const b = new LayerBuilder(indexPositions(text, file), file);
  const ignored: IgnoredKey[] = [];
  const runnerTop = readRunnerTopKeys(b, raw, ignored);
  for (const [key, value] of Object.entries(raw)) {
    if (runnerTop.has(key)) continue;
    if (key in TOP_KEYS) {
      b.table({ [key]: value }, TOP_KEYS, '', []);
    } else if (key in SECTIONS) {
      if (!isTable(value)) b.error(`expected a table [${key}]`, [key]);
      else b.table(value, SECTIONS[key], key, [key]);
    } else if (key === 'runners') {
      readRunnerEntries(b, value, ignored, raw.runner === undefined && raw.docker === undefined);
    } else if (key === 'images') {
      b.images(value);
    } else {
      const known = [
        ...Object.keys(TOP_KEYS),
        ...Object.keys(SECTIONS),
        'runners',
        'images',
        ...Object.keys(RUNNER_TOP_KEYS),
      ];
      b.error(`unknown key "${key}"${suggest(key, known)}`, [key]);
    }
  }
  ignored.sort((x, y) => (x.position?.line ?? 0) - (y.position?.line ?? 0));
  if (ignored.length) b.layer.set(IGNORED_SETTING, { value: ignored });
  if (b.errors.length === 1) throw b.errors[0];
  if (b.errors.length > 1) throw new ConfigErrors(b.errors);
  return b.layer;
}

/** Reads a config file; undefined when it does not exist. */
export function readConfigFile(file: string): Layer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read config file: ${(e as Error).message}`, { file, line: 1, col: 1 });
  }
  return readConfigText(text, file);
}
