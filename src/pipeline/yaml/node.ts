// The loader's own YAML tree: plain values that remember where they came from (file:line:col), with aliases and
// `<<` merge keys already applied and `!reference [job, key, ...]` kept as a node until it is resolved.
import type { SourcePosition } from '../../errors.js';

export type Scalar = string | number | boolean | null;

export interface YScalar {
  kind: 'scalar';
  value: Scalar;
  pos: SourcePosition;
}

export interface YSeq {
  kind: 'seq';
  items: YNode[];
  pos: SourcePosition;
}

export interface YEntry {
  key: string;
  keyPos: SourcePosition;
  value: YNode;
}

export interface YMap {
  kind: 'map';
  /** Insertion-ordered; a repeated key replaces the value but keeps its first place (as Ruby's Hash does). */
  entries: Map<string, YEntry>;
  pos: SourcePosition;
}

/** `!reference [job, key, ...]`, resolved after includes and extends. */
export interface YRef {
  kind: 'ref';
  path: string[];
  pos: SourcePosition;
}

export type YNode = YScalar | YSeq | YMap | YRef;

export function isMap(n: YNode | undefined): n is YMap {
  return n?.kind === 'map';
}

export function isSeq(n: YNode | undefined): n is YSeq {
  return n?.kind === 'seq';
}

export function isScalar(n: YNode | undefined): n is YScalar {
  return n?.kind === 'scalar';
}

export function get(map: YMap, key: string): YNode | undefined {
  return map.entries.get(key)?.value;
}

export function has(map: YMap, key: string): boolean {
  return map.entries.has(key);
}

export function newMap(pos: SourcePosition, entries?: Iterable<YEntry>): YMap {
  const m: YMap = { kind: 'map', entries: new Map(), pos };
  if (entries) for (const e of entries) m.entries.set(e.key, e);
  return m;
}

/** Sets a key the way Ruby's Hash#[]= does: existing keys keep their place. */
export function setEntry(map: YMap, entry: YEntry): void {
  map.entries.set(entry.key, entry);
}

/**
 * GitLab's Hash#deep_merge: keys of `over` win, except that two maps under the same key are merged recursively.
 * Arrays and scalars are replaced. Neither input is modified.
 */
export function deepMerge(base: YMap, over: YMap): YMap {
  const out = newMap(over.pos, base.entries.values());
  for (const e of over.entries.values()) {
    const prev = out.entries.get(e.key);
    if (prev && isMap(prev.value) && isMap(e.value)) {
      out.entries.set(e.key, { key: e.key, keyPos: e.keyPos, value: deepMerge(prev.value, e.value) });
    } else {
      out.entries.set(e.key, e);
    }
  }
  return out;
}

/** A short human name for a node's type, used in "should be a ..." messages. */
export function describe(n: YNode): string {
  switch (n.kind) {
    case 'map':
      return 'a hash';
    case 'seq':
      return 'an array';
    case 'ref':
      return 'a !reference';
    default:
      if (n.value === null) return 'null';
      return typeof n.value === 'string' ? 'a string' : `a ${typeof n.value}`;
  }
}

/** Plain JavaScript value of a node (for raw fields such as `trigger`). */
export function toPlain(n: YNode): unknown {
  switch (n.kind) {
    case 'scalar':
      return n.value;
    case 'seq':
      return n.items.map(toPlain);
    case 'ref':
      return { '!reference': n.path };
    default: {
      const o: Record<string, unknown> = {};
      for (const e of n.entries.values()) o[e.key] = toPlain(e.value);
      return o;
    }
  }
}
