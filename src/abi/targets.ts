// The target database: data/abi-targets.json (shipped with kiln) plus user targets from kiln.toml
// ([abi.targets.<id>], optionally `extends = "<id>"`). Rows are validated; bad rows name their key path.
import { readFileSync } from 'node:fs';
import { AbiTargetError } from './errors.js';
import { compareVersions, isVersionString } from './families.js';
import { kilnDataFile } from '../util/package-root.js';

export interface Target {
  id: string;
  name: string;
  aliases: string[];
  libc: 'glibc' | 'musl';
  glibc: string | null;
  glibcxx: string | null;
  cxxabi: string | null;
  gccRuntime: string | null;
  kernel: string | null;
  /** Architectures the target runs; empty = not restricted. */
  arches: string[];
  /** Sonames the target's base system provides (soname sets expanded). */
  sonames: string[];
  source: string;
  /** 'builtin' or the config file the row came from. */
  origin: string;
}

export interface Sysroot {
  glibc: string;
  name: string;
}

export interface TargetDb {
  targets: Target[];
  archBaselines: Record<string, string>;
  sysroots: Sysroot[];
  sonameSets: Record<string, string[]>;
}

type Raw = Record<string, unknown>;

export const DEFAULT_DB_PATH = kilnDataFile('abi-targets.json');

let cached: TargetDb | undefined;

/** The built-in database (read once per process). */
export function builtinDb(path = DEFAULT_DB_PATH): TargetDb {
  if (cached && path === DEFAULT_DB_PATH) return cached;
  let raw: Raw;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Raw;
  } catch (err) {
    throw new AbiTargetError(`${path}: cannot read the target database: ${(err as Error).message}`);
  }
  const db = parseDb(raw, path);
  if (path === DEFAULT_DB_PATH) cached = db;
  return db;
}

export function parseDb(raw: Raw, file: string): TargetDb {
  const setsRaw = (raw.sonameSets ?? {}) as Record<string, unknown>;
  const sonameSets: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(setsRaw)) sonameSets[k] = strings(v, `${file}: sonameSets:${k}`);
  const baselinesRaw = ((raw.archBaselines as Raw | undefined)?.glibc ?? {}) as Record<string, unknown>;
  const archBaselines: Record<string, string> = {};
  for (const [k, v] of Object.entries(baselinesRaw)) archBaselines[k] = version(v, `${file}: archBaselines:glibc:${k}`);
  const sysroots = (((raw.sysroots as Raw | undefined)?.list ?? []) as Raw[])
    .map((s, i) => ({
      glibc: version(s.glibc, `${file}: sysroots:list:${i}:glibc`),
      name: str(s.name, `${file}: sysroots:list:${i}:name`),
    }))
    .sort((a, b) => compareVersions(a.glibc, b.glibc));
  const db: TargetDb = { targets: [], archBaselines, sysroots, sonameSets };
  const rows = raw.targets;
  if (!Array.isArray(rows)) throw new AbiTargetError(`${file}: targets: must be a list`);
  rows.forEach((row, i) => addTarget(db, parseTarget(row as Raw, `${file}: targets:${i}`, db, 'builtin')));
  return db;
}

/**
 * Adds user targets (the `[abi.targets]` table of kiln.toml, as a plain object) to a copy of `base`.
 * Each entry may `extends` an existing target and override any field; `extra_sonames` adds sonames.
 */
export function withUserTargets(base: TargetDb, user: Record<string, unknown> | undefined, origin: string): TargetDb {
  if (!user) return base;
  const db: TargetDb = { ...base, targets: [...base.targets] };
  for (const [id, value] of Object.entries(user)) {
    const where = `${origin}: abi:targets:${id}`;
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new AbiTargetError(`${where}: must be a table`);
    const row = normalizeKeys(value as Raw);
    let merged: Raw = { ...row, id };
    if (row.extends !== undefined) {
      const parent = findTarget(db, str(row.extends, `${where}:extends`));
      if (!parent) throw new AbiTargetError(`${where}:extends: unknown target "${String(row.extends)}"`);
      merged = { ...parent, aliases: [], ...row, id, sonames: row.sonames ?? parent.sonames };
      if (row.source === undefined) merged.source = `${origin} (extends ${parent.id}: ${parent.source})`;
    }
    if (merged.name === undefined) merged.name = id;
    if (merged.source === undefined) merged.source = origin;
    const t = parseTarget(merged, where, db, origin);
    const extra = row.extraSonames === undefined ? [] : strings(row.extraSonames, `${where}:extra_sonames`);
    t.sonames = [...new Set([...t.sonames, ...extra])];
    db.targets = db.targets.filter((x) => x.id !== t.id);
    addTarget(db, t);
  }
  return db;
}

export function findTarget(db: TargetDb, name: string): Target | undefined {
  const n = name.trim().toLowerCase();
  return db.targets.find((t) => t.id === n) ?? db.targets.find((t) => t.aliases.includes(n));
}

/** Resolves names and aliases to targets (each target once, in the order first named). */
export function resolveTargets(db: TargetDb, names: string[]): Target[] {
  const out = names.map((name) => {
    const t = findTarget(db, name);
    if (!t) {
      throw new AbiTargetError(
        `unknown target "${name}" (known: ${db.targets.map((x) => x.id).join(', ')}; ` +
          'add your own under [abi.targets] in kiln.toml)',
      );
    }
    return t;
  });
  return out.filter((t, i) => out.indexOf(t) === i);
}

function addTarget(db: TargetDb, t: Target): void {
  for (const other of db.targets) {
    if (other.id === t.id || other.aliases.includes(t.id))
      throw new AbiTargetError(`target "${t.id}" is defined twice`);
  }
  db.targets.push(t);
}

function parseTarget(row: Raw, where: string, db: TargetDb, origin: string): Target {
  if (!row || typeof row !== 'object') throw new AbiTargetError(`${where}: must be an object`);
  const id = str(row.id, `${where}:id`).toLowerCase();
  const libc = str(row.libc ?? 'glibc', `${where}:libc`);
  if (libc !== 'glibc' && libc !== 'musl')
    throw new AbiTargetError(`${where}:libc: must be "glibc" or "musl", not "${libc}"`);
  const t: Target = {
    id,
    name: str(row.name ?? id, `${where}:name`),
    aliases: row.aliases === undefined ? [] : strings(row.aliases, `${where}:aliases`).map((a) => a.toLowerCase()),
    libc,
    glibc: optVersion(row.glibc, `${where}:glibc`),
    glibcxx: optVersion(row.glibcxx, `${where}:glibcxx`),
    cxxabi: optVersion(row.cxxabi, `${where}:cxxabi`),
    gccRuntime: optVersion(row.gccRuntime, `${where}:gcc_runtime`),
    kernel: optVersion(row.kernel, `${where}:kernel`),
    arches: row.arches === undefined ? [] : strings(row.arches, `${where}:arches`),
    sonames: expandSonames(
      row.sonames === undefined ? [] : strings(row.sonames, `${where}:sonames`),
      db.sonameSets,
      `${where}:sonames`,
    ),
    source: str(row.source, `${where}:source`),
    origin,
  };
  if (libc === 'glibc' && t.glibc === null)
    throw new AbiTargetError(`${where}:glibc: a glibc target needs its glibc version`);
  if (!t.source.trim()) throw new AbiTargetError(`${where}:source: every target must name its source`);
  return t;
}

function expandSonames(list: string[], sets: Record<string, string[]>, where: string, depth = 0): string[] {
  if (depth > 8) throw new AbiTargetError(`${where}: soname sets nest too deeply`);
  const out: string[] = [];
  for (const s of list) {
    if (s.startsWith('@')) {
      const set = sets[s.slice(1)];
      if (!set) throw new AbiTargetError(`${where}: unknown soname set "${s}"`);
      out.push(...expandSonames(set, sets, where, depth + 1));
    } else out.push(s);
  }
  return [...new Set(out)];
}

const KEY_ALIASES: Record<string, string> = { gcc_runtime: 'gccRuntime', extra_sonames: 'extraSonames' };

function normalizeKeys(row: Raw): Raw {
  const out: Raw = {};
  for (const [k, v] of Object.entries(row)) out[KEY_ALIASES[k] ?? k] = v;
  return out;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new AbiTargetError(`${where}: must be a string`);
  return v;
}

function strings(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new AbiTargetError(`${where}: must be a list of strings`);
  return v as string[];
}

function version(v: unknown, where: string): string {
  if (typeof v === 'number') {
    throw new AbiTargetError(
      `${where}: write the version as a quoted string ("${v}"): a bare number loses trailing zeros`,
    );
  }
  if (typeof v !== 'string' || !isVersionString(v)) throw new AbiTargetError(`${where}: must be a version like "2.31"`);
  return v;
}

function optVersion(v: unknown, where: string): string | null {
  return v === null || v === undefined ? null : version(v, where);
}
