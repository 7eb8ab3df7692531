// `$[[ ... ]]` interpolation of a file's content TEXT, before it is parsed as YAML (GitLab's TextTemplate, the
// ci_text_interpolation loader): so an input can name a job, a stage, a tag or hold a whole list.
// - a block is `$[[ access | function | ... ]]`, on one line; access is `context.key` (`inputs.name`,
//   `component.version`); blocks of the `matrix` context are left for needs:parallel:matrix;
// - a string value is inserted as it is, any other value as JSON (`true`, `3`, `["a","b"]`, `null`), which YAML then
//   reads back as that type;
// - errors: "invalid interpolation access pattern" (no dot), "unknown interpolation key: `x`",
//   "too many functions in interpolation block", "no function matching `f`: ...", function errors, and
//   "too many interpolation blocks" beyond 10,000 distinct blocks.
import { findFunction, MAX_FUNCTIONS, type FunctionEnv } from './functions.js';

const BLOCK = /\$\[\[\s*(.*?)\s*\]\]/g;
const MAX_BLOCKS = 10_000;
const MAX_ACCESS_OBJECTS = 5;
const MAX_ACCESS_BYTES = 1024;
const SKIP_CONTEXTS = new Set(['matrix']);

export type Context = Record<string, Record<string, unknown>>;

export interface Interpolated {
  text: string;
  errors: string[];
}

export function interpolateText(text: string, ctx: Context, env: FunctionEnv): Interpolated {
  if (!text.includes('$[[')) return { text, errors: [] };
  const errors: string[] = [];
  const cache = new Map<string, { value?: string; errors: string[] }>();
  let stopped = false;
  const out = text.replace(BLOCK, (block: string, data: string) => {
    if (stopped) return block;
    let r = cache.get(block);
    if (!r) {
      r = evaluate(block, data, ctx, env);
      cache.set(block, r);
      if (cache.size > MAX_BLOCKS) {
        errors.push('too many interpolation blocks');
        stopped = true;
        return block;
      }
      errors.push(...r.errors);
    }
    return r.value ?? block;
  });
  return { text: out, errors: [...new Set(errors)] };
}

function evaluate(block: string, data: string, ctx: Context, env: FunctionEnv): { value?: string; errors: string[] } {
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
    if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.prototype.hasOwnProperty.call(value, key)) {
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
  return { value: typeof value === 'string' ? value : JSON.stringify(value ?? null), errors: [] };
}

/** Ruby's `split(sep, limit)`: at most `limit` parts, the last one keeping the rest. */
function splitLimit(s: string, sep: string, limit: number): string[] {
  const parts = s.split(sep);
  if (parts.length <= limit) return parts;
  return [...parts.slice(0, limit - 1), parts.slice(limit - 1).join(sep)];
}
