// `$[[ ... ]]` interpolation of a file's content, after YAML parsing and before its keywords are read. Two forms,
// both GitLab's:
// - interpolateTree (the default loader of released GitLab, Interpolation::Template / Config#replace!): every
//   string of the tree, hash keys included, is interpolated; a string that is exactly one block takes the value's
//   type (a list, a number, a boolean), and a string item of a list that becomes a list is spliced into it; blocks
//   inside a longer string are replaced by the value's text (Ruby's to_s). So an input can name a job, a stage, a
//   tag or give a whole list.
// (GitLab also has a text form behind its ci_text_interpolation feature flag, off by default on self-managed
// instances, which replaces blocks in the text before YAML parsing; published templates rely on the tree form, e.g.
// `- "$[[ inputs.extra-rules ]]"` spliced into `rules:`, so kiln follows the tree form.)
// - a block is `$[[ access | function | ... ]]`, on one line; access is `context.key` (`inputs.name`,
//   `component.version`); blocks of the `matrix` context are left for needs:parallel:matrix;
// - errors: "invalid interpolation access pattern" (no dot), "unknown interpolation key: `x`",
//   "too many functions in interpolation block", "no function matching `f`: ...", function errors, and
//   "too many interpolation blocks" beyond 10,000 distinct blocks.
import type { SourcePosition } from '../../errors.js';
import type { YMap, YNode } from '../yaml/node.js';
import { findFunction, MAX_FUNCTIONS, type FunctionEnv } from './functions.js';
import { InputReference } from './reference-values.js';

/** At least two non-blank characters inside. */
const TREE_BLOCK = /\$\[\[\s*(\S.*?\S)\s*\]\]/g;
const MAX_BLOCKS = 10_000;
const MAX_ACCESS_OBJECTS = 5;
const MAX_ACCESS_BYTES = 1024;
const SKIP_CONTEXTS = new Set(['matrix']);

export type Context = Record<string, Record<string, unknown>>;

export interface TreeInterpolated {
  root: YNode;
  errors: string[];
}

export function interpolateTree(root: YNode, ctx: Context, env: FunctionEnv): TreeInterpolated {
  const errors: string[] = [];
  const cache = new Map<string, { value?: unknown; errors: string[] }>();
  const blockValue = (block: string, data: string): { value?: unknown; errors: string[] } => {
    let r = cache.get(block);
    if (!r) {
      r = evaluateRaw(block, data, ctx, env);
      cache.set(block, r);
      if (cache.size > MAX_BLOCKS) r = { errors: ['too many interpolation blocks'] };
    }
    return r;
  };
  /** The string's new value: itself, a typed value (one whole block), or a string; undefined on errors. */
  const str = (s: string): { value: unknown } | undefined => {
    if (!s.includes('$[[')) return { value: s };
    const matches = [...s.matchAll(TREE_BLOCK)];
    if (matches.length === 0) return { value: s };
    const values: unknown[] = [];
    for (const m of matches) {
      const r = blockValue(m[0], m[1]);
      if (r.errors.length) {
        errors.push(...r.errors);
        return undefined;
      }
      values.push(r.value);
    }
    if (matches.length === 1 && matches[0][0].length === s.length) return { value: values[0] };
    let out = s;
    matches.forEach((m, i) => {
      out = out.split(m[0]).join(rubyToS(values[i]));
    });
    return { value: out };
  };
  const walk = (n: YNode): YNode => {
    if (errors.length) return n;
    switch (n.kind) {
      case 'scalar': {
        if (typeof n.value !== 'string') return n;
        const r = str(n.value);
        return r === undefined || r.value === n.value ? n : fromPlain(r.value, n.pos);
      }
      case 'seq': {
        const items: YNode[] = [];
        for (const item of n.items) {
          const out = walk(item);
          // A string item that becomes a list is spliced into the list (GitLab: Config#recursive_replace_array).
          if (item.kind === 'scalar' && typeof item.value === 'string' && out.kind === 'seq') items.push(...out.items);
          else items.push(out);
        }
        return { kind: 'seq', items, pos: n.pos };
      }
      case 'map': {
        const m: YMap = { kind: 'map', entries: new Map(), pos: n.pos };
        for (const e of n.entries.values()) {
          const k = str(e.key);
          const key = k === undefined ? e.key : typeof k.value === 'string' ? k.value : rubyToS(k.value);
          m.entries.set(key, { key, keyPos: e.keyPos, value: walk(e.value) });
        }
        return m;
      }
      default:
        return n; // !reference: not interpolated
    }
  };
  const out = walk(root);
  return { root: out, errors: [...new Set(errors)] };
}

/** A value from inputs as a tree node placed where the block was. */
function fromPlain(v: unknown, pos: SourcePosition): YNode {
  if (v instanceof InputReference) return v.node;
  if (Array.isArray(v)) return { kind: 'seq', items: v.map((x) => fromPlain(x, pos)), pos };
  if (v !== null && typeof v === 'object') {
    const m: YMap = { kind: 'map', entries: new Map(), pos };
    for (const [k, x] of Object.entries(v)) m.entries.set(k, { key: k, keyPos: pos, value: fromPlain(x, pos) });
    return m;
  }
  if (v === undefined) return { kind: 'scalar', value: null, pos };
  return { kind: 'scalar', value: v as string | number | boolean | null, pos };
}

/** Ruby's to_s of a value, as GitLab inserts it inside a longer string. */
export function rubyToS(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v instanceof InputReference) return String(v);
  return inspect(v);
}

function inspect(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof InputReference) return String(v);
  if (Array.isArray(v)) return `[${v.map(inspect).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${JSON.stringify(k)}=>${inspect(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

function evaluateRaw(
  block: string,
  data: string,
  ctx: Context,
  env: FunctionEnv,
): { value?: unknown; errors: string[] } {
  const [access, ...functions] = data.split('|').map((s) => s.trim());
  const contextName = access.split('.')[0];
  if (SKIP_CONTEXTS.has(contextName)) return { value: block, errors: [] };
  const errors: string[] = [];
  const objects = splitLimit(access, '.', MAX_ACCESS_OBJECTS);
  if (objects.length <= 1) errors.push('invalid interpolation access pattern');
  if (Buffer.byteLength(access) > MAX_ACCESS_BYTES) errors.push('maximum interpolation expression size exceeded');
  if (errors.length) return { errors };
  let value: unknown = ctx;
  for (const key of objects) {
    if (
      value === null ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      !Object.prototype.hasOwnProperty.call(value, key)
    ) {
      return { errors: [`unknown interpolation key: \`${key}\``] };
    }
    value = (value as Record<string, unknown>)[key];
  }
  if (functions.length > MAX_FUNCTIONS) return { errors: ['too many functions in interpolation block'] };
  const fns = [];
  for (const f of functions) {
    const fn = findFunction(f);
    if (!fn) {
      errors.push(`no function matching \`${f}\`: check that the function name, arguments, and types are correct`);
    }
    fns.push(fn);
  }
  if (errors.length) return { errors };
  for (const fn of fns) {
    const r = fn!(value, env);
    if (r.error) return { errors: [r.error] };
    value = r.value;
  }
  return { value, errors: [] };
}

/** Ruby's `split(sep, limit)`: at most `limit` parts, the last one keeping the rest. */
function splitLimit(s: string, sep: string, limit: number): string[] {
  const parts = s.split(sep);
  if (parts.length <= limit) return parts;
  return [...parts.slice(0, limit - 1), parts.slice(limit - 1).join(sep)];
}
