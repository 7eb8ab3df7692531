// Small typed readers for YAML nodes that record a ConfigError (file:line:col + key path) instead of throwing, so
// one pass can report every problem in a file.
import { ConfigError } from '../../errors.js';
import { describe, type YMap, type YNode } from '../yaml/node.js';

export class Problems {
  readonly errors: ConfigError[] = [];
  /** A value inherited by many jobs (default:, extends) is reported once, where it is written. */
  private readonly seen = new Set<string>();

  add(node: { pos: YNode['pos'] } | undefined, path: string[], detail: string): void {
    this.push(new ConfigError(detail, node?.pos, path));
  }

  push(err: ConfigError): void {
    const pos = err.position;
    const id = pos ? `${pos.file}:${pos.line}:${pos.col}:${err.detail}` : undefined;
    if (id !== undefined) {
      if (this.seen.has(id)) return;
      this.seen.add(id);
    }
    this.errors.push(err);
  }
}

export function scalarText(n: YNode): string | undefined {
  if (n.kind !== 'scalar' || n.value === null) return undefined;
  return String(n.value);
}

/** A string (numbers and booleans are accepted and rendered as Ruby would). */
export function readString(p: Problems, n: YNode, path: string[]): string | undefined {
  const s = scalarText(n);
  if (s === undefined) p.add(n, path, `should be a string, got ${describe(n)}`);
  return s;
}

export function readBool(p: Problems, n: YNode, path: string[]): boolean | undefined {
  if (n.kind === 'scalar' && typeof n.value === 'boolean') return n.value;
  p.add(n, path, `should be a boolean value, got ${describe(n)}`);
  return undefined;
}

export function readInt(p: Problems, n: YNode, path: string[], min?: number, max?: number): number | undefined {
  if (n.kind === 'scalar' && typeof n.value === 'number' && Number.isInteger(n.value)) {
    if ((min !== undefined && n.value < min) || (max !== undefined && n.value > max)) {
      p.add(n, path, `should be between ${min ?? '-inf'} and ${max ?? 'inf'}, got ${n.value}`);
      return undefined;
    }
    return n.value;
  }
  p.add(n, path, `should be an integer, got ${describe(n)}`);
  return undefined;
}

/** A string or an array of strings (GitLab accepts both for many keys). */
export function readStrings(p: Problems, n: YNode, path: string[], allowSingle = true): string[] | undefined {
  if (n.kind === 'seq') {
    const out: string[] = [];
    let ok = true;
    n.items.forEach((it, i) => {
      const s = scalarText(it);
      if (s === undefined) {
        p.add(it, [...path], `item ${i} should be a string, got ${describe(it)}`);
        ok = false;
      } else out.push(s);
    });
    return ok ? out : undefined;
  }
  if (allowSingle) {
    const s = scalarText(n);
    if (s !== undefined) return [s];
  }
  p.add(n, path, `should be ${allowSingle ? 'a string or ' : ''}an array of strings, got ${describe(n)}`);
  return undefined;
}

/** Script lines: a string, or an array of strings and arrays of strings (flattened, as GitLab does). */
export function readScript(p: Problems, n: YNode, path: string[]): string[] | undefined {
  const s = scalarText(n);
  if (s !== undefined && n.kind === 'scalar' && typeof n.value === 'string') return [s];
  if (n.kind !== 'seq') {
    p.add(n, path, `should be a string or a nested array of strings up to 10 levels deep, got ${describe(n)}`);
    return undefined;
  }
  const out: string[] = [];
  // The first item that is neither a string nor a nested array is reported at its own position and index path.
  const walk = (
    seq: YNode & { kind: 'seq' },
    depth: number,
    at: string[],
  ): { node: YNode; path: string[] } | undefined => {
    for (const [i, it] of seq.items.entries()) {
      if (it.kind === 'seq' && depth < 10) {
        const bad = walk(it, depth + 1, [...at, String(i)]);
        if (bad) return bad;
      } else {
        const t = scalarText(it);
        if (t === undefined) return { node: it, path: [...at, String(i)] };
        out.push(t);
      }
    }
    return undefined;
  };
  const bad = walk(n, 1, path);
  if (bad) {
    p.add(
      bad.node,
      bad.path,
      `should be a string or a nested array of strings up to 10 levels deep, got ${describe(bad.node)}`,
    );
    return undefined;
  }
  return out;
}

export function expectMap(p: Problems, n: YNode, path: string[]): YMap | undefined {
  if (n.kind === 'map') return n;
  p.add(n, path, `should be a hash, got ${describe(n)}`);
  return undefined;
}

/** Reports every key of `map` not in `allowed`. */
export function checkKeys(p: Problems, map: YMap, path: string[], allowed: readonly string[]): void {
  for (const e of map.entries.values()) {
    if (!allowed.includes(e.key)) {
      p.push(new ConfigError(`unknown key "${e.key}" (allowed: ${allowed.join(', ')})`, e.keyPos, path));
    }
  }
}

export function readEnum<T extends string>(p: Problems, n: YNode, path: string[], values: readonly T[]): T | undefined {
  const s = scalarText(n);
  if (s !== undefined && (values as readonly string[]).includes(s)) return s as T;
  p.add(n, path, `should be one of: ${values.join(', ')}`);
  return undefined;
}

/** Flattens nested arrays (as produced by `!reference` inside a list), one level at a time. */
export function flattenSeq(n: YNode): YNode[] {
  if (n.kind !== 'seq') return [n];
  const out: YNode[] = [];
  for (const it of n.items) {
    if (it.kind === 'seq') out.push(...flattenSeq(it));
    else out.push(it);
  }
  return out;
}
