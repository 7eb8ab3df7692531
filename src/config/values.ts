// Parsers for single kiln.toml values: each returns the typed value or throws a ValueProblem with the reason.
import type { PullPolicy } from '../pipeline/model.js';
import type { ExecutorName, VolumeSpec } from './types.js';

export class ValueProblem extends Error {
  /** Extra key path inside the value (e.g. an array index). */
  readonly subPath: (string | number)[];
  constructor(message: string, subPath: (string | number)[] = []) {
    super(message);
    this.subPath = subPath;
  }
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return v instanceof Date ? 'date' : 'table';
  return typeof v;
}

export function asString(v: unknown): string {
  if (typeof v !== 'string') throw new ValueProblem(`expected a string, got ${typeName(v)}`);
  return v;
}

export function asBool(v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ValueProblem(`expected true or false, got ${typeName(v)}`);
  return v;
}

export function asPositiveInt(v: unknown): number {
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ValueProblem(`expected a positive integer, got ${typeName(v) === 'number' ? String(v) : typeName(v)}`);
  }
  return v;
}

export function asCount(v: unknown): number {
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new ValueProblem(
      `expected a whole number (0 or more), got ${typeName(v) === 'number' ? String(v) : typeName(v)}`,
    );
  }
  return v;
}

export function asStringList(v: unknown): string[] {
  if (!Array.isArray(v)) throw new ValueProblem(`expected an array of strings, got ${typeName(v)}`);
  return v.map((item, i) => {
    if (typeof item !== 'string') throw new ValueProblem(`expected a string, got ${typeName(item)}`, [i]);
    return item;
  });
}

export function asExecutor(v: unknown): ExecutorName {
  const s = asString(v);
  if (s !== 'shell' && s !== 'docker') throw new ValueProblem(`unknown executor "${s}" (expected "shell" or "docker")`);
  return s;
}

export function asEnvironment(v: unknown): string[] {
  const list = asStringList(v);
  list.forEach((entry, i) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(entry)) {
      throw new ValueProblem(`"${entry}" is not of the form NAME=value`, [i]);
    }
    // Values are literal, as in GitLab Runner's config.toml: `PATH=/opt/x/bin:$PATH` does not extend the PATH,
    // it replaces it with text containing "$PATH", and the job's shell cannot even be found. Said here, not as
    // "executable file not found" when the job starts.
    const name = entry.slice(0, entry.indexOf('='));
    if (new RegExp(`\\$(?:${name}\\b|\\{${name}\\})`).test(entry.slice(name.length + 1))) {
      const hint =
        name === 'PATH'
          ? 'write the whole PATH (e.g. PATH=/opt/x/bin:/usr/local/bin:/usr/bin:/bin) or extend it in pre_build_script (export PATH=/opt/x/bin:$PATH)'
          : `write the whole value, or extend it in pre_build_script (export ${name}=...:$${name})`;
      throw new ValueProblem(
        `"${entry}": environment values are literal (as in GitLab Runner), so $${name} is not the previous ` +
          `${name} but the text "$${name}"; ${hint}`,
        [i],
      );
    }
  });
  return list;
}

export function asVariableNames(v: unknown): string[] {
  const list = asStringList(v);
  list.forEach((name, i) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ValueProblem(`"${name}" is not a variable name`, [i]);
  });
  return list;
}

const POLICIES: PullPolicy[] = ['always', 'never', 'if-not-present'];

export function asPullPolicy(v: unknown): PullPolicy[] {
  const list = typeof v === 'string' ? [v] : asStringList(v);
  if (list.length === 0) throw new ValueProblem('expected at least one pull policy');
  list.forEach((p, i) => {
    if (!POLICIES.includes(p as PullPolicy)) {
      throw new ValueProblem(
        `unknown pull policy "${p}" (expected ${POLICIES.join(', ')})`,
        typeof v === 'string' ? [] : [i],
      );
    }
  });
  return list as PullPolicy[];
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Bytes from an integer or a size string such as "512m", "2g", "64MiB". */
export function asByteSize(v: unknown): number {
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v <= 0) throw new ValueProblem(`expected a positive size, got ${v}`);
    return v;
  }
  if (typeof v !== 'string') throw new ValueProblem(`expected a size such as "512m", got ${typeName(v)}`);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(v);
  if (!m) throw new ValueProblem(`"${v}" is not a size (use bytes or a number with k, m, g or t)`);
  const bytes = Math.round(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]);
  if (bytes <= 0) throw new ValueProblem(`expected a positive size, got "${v}"`);
  return bytes;
}

export function asCpus(v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
    throw new ValueProblem(`expected a positive number of CPUs such as 1.5, got ${JSON.stringify(v)}`);
  }
  return n;
}

const MODES = new Set(['ro', 'rw', 'z', 'Z']);
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * One `volumes` entry: "/host:/ctr[:ro]" (bind), "name:/ctr[:ro]" (named volume) or "/ctr" (anonymous volume).
 * Relative host paths ("./x", "../x", "~/x") are resolved by the caller against the config file's directory.
 */
export function parseVolume(raw: string): VolumeSpec {
  const parts = raw.split(':');
  if (raw.trim() === '' || parts.length > 3 || parts.some((p) => p === '')) {
    throw new ValueProblem(
      `invalid volume "${raw}" (expected HOST:CONTAINER[:ro|rw], NAME:CONTAINER[:ro|rw] or CONTAINER)`,
    );
  }
  if (parts.length === 1) {
    if (!parts[0].startsWith('/')) throw new ValueProblem(`invalid volume "${raw}": container path must be absolute`);
    return { kind: 'anonymous', target: parts[0], raw };
  }
  const [source, target, mode = 'rw'] = parts;
  if (!target.startsWith('/'))
    throw new ValueProblem(`invalid volume "${raw}": container path "${target}" must be absolute`);
  const modes = mode.split(',');
  const bad = modes.find((m) => !MODES.has(m));
  if (bad !== undefined) throw new ValueProblem(`invalid volume "${raw}": unknown mode "${bad}" (expected ro or rw)`);
  if (modes.includes('ro') && modes.includes('rw')) throw new ValueProblem(`invalid volume "${raw}": both ro and rw`);
  const readOnly = modes.includes('ro');
  if (source.startsWith('/') || source.startsWith('./') || source.startsWith('../') || source.startsWith('~/')) {
    return { kind: 'bind', source, target, readOnly, raw };
  }
  if (!VOLUME_NAME.test(source)) {
    throw new ValueProblem(`invalid volume "${raw}": "${source}" is neither an absolute path nor a volume name`);
  }
  return { kind: 'named', name: source, target, readOnly, raw };
}

export function asVolumes(v: unknown): VolumeSpec[] {
  return asStringList(v).map((raw, i) => {
    try {
      return parseVolume(raw);
    } catch (e) {
      if (e instanceof ValueProblem) throw new ValueProblem(e.message, [i]);
      throw e;
    }
  });
}

export function asTargetTable(v: unknown): Record<string, Record<string, unknown>> {
  if (typeName(v) !== 'table') throw new ValueProblem(`expected a table of targets, got ${typeName(v)}`);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, target] of Object.entries(v as Record<string, unknown>)) {
    if (typeName(target) !== 'table')
      throw new ValueProblem(`target "${name}" must be a table, got ${typeName(target)}`, [name]);
    out[name] = target as Record<string, unknown>;
  }
  return out;
}

/** `[secrets]` NAME = { env = "VAR" } or { file = "/path" }. */
export function asSecretSources(v: unknown): Record<string, { env: string } | { file: string }> {
  if (typeName(v) !== 'table') throw new ValueProblem(`expected a table of secrets, got ${typeName(v)}`);
  const out: Record<string, { env: string } | { file: string }> = Object.create(null);
  for (const [name, src] of Object.entries(v as Record<string, unknown>)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ValueProblem(`"${name}" is not a variable name`, [name]);
    const t = src as Record<string, unknown>;
    const keys = typeName(src) === 'table' ? Object.keys(t) : [];
    if (keys.length !== 1 || !['env', 'file'].includes(keys[0]) || typeof t[keys[0]] !== 'string' || !t[keys[0]]) {
      throw new ValueProblem('expected { env = "VARIABLE" } or { file = "/path/to/file" }', [name]);
    }
    out[name] = keys[0] === 'env' ? { env: t.env as string } : { file: t.file as string };
  }
  return out;
}

/** `[resource_groups]` NAME = "unordered" | "oldest_first" | "newest_first". */
export function asResourceGroupModes(v: unknown): Record<string, 'unordered' | 'oldest_first' | 'newest_first'> {
  if (typeName(v) !== 'table') throw new ValueProblem(`expected a table of resource groups, got ${typeName(v)}`);
  const out: Record<string, 'unordered' | 'oldest_first' | 'newest_first'> = Object.create(null);
  for (const [name, mode] of Object.entries(v as Record<string, unknown>)) {
    if (mode !== 'unordered' && mode !== 'oldest_first' && mode !== 'newest_first') {
      throw new ValueProblem('expected "unordered", "oldest_first" or "newest_first"', [name]);
    }
    out[name] = mode;
  }
  return out;
}

/** An http(s) URL without a trailing slash (a server or a base to append paths to). */
export function asHttpUrl(v: unknown): string {
  const s = asString(v);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new ValueProblem(`expected an http(s) URL, got "${s}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ValueProblem(`expected an http(s) URL, got "${s}"`);
  return s.replace(/\/+$/, '');
}
