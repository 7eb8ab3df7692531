// Variable expansion as GitLab does it: $NAME, ${NAME}, "$$" → "$"; unknown variables expand to "".
// A "$" not followed by a name (or an unclosed "${") is kept literally.
import { KilnError } from '../../errors.js';
import type { Variables } from '../model.js';
import { dict } from '../../util/dict.js';

/**
 * Most characters one expansion may add. References multiply (A1: "$A0$A0...", A2: "$A1$A1...", ...), so ten
 * short lines can ask for gigabytes; no real value comes near this (Linux refuses any single environment string
 * over 128 KiB anyway), so past it kiln stops with an error instead of running out of memory.
 */
export const MAX_EXPANSION = 1 << 20;

/** A value that expands to more than MAX_EXPANSION characters. */
export class ExpansionTooLargeError extends KilnError {
  readonly variable?: string;
  constructor(variable?: string) {
    super(
      `${variable ? `variable ${variable}` : 'a value'} expands to more than ${MAX_EXPANSION / (1 << 20)} MiB ` +
        '(variables that refer to each other many times over?); kiln does not expand it',
      'E_VARIABLE_EXPANSION',
      1,
    );
    this.variable = variable;
  }
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** Every variable name referenced by `value` (in order, duplicates kept once). */
export function referencedNames(value: string): string[] {
  const names: string[] = [];
  scan(value, (name) => {
    if (!names.includes(name)) names.push(name);
    return '';
  });
  return names;
}

export function expandString(value: string, lookup: (name: string) => string | undefined): string {
  if (!value.includes('$')) return value;
  return scan(value, (name) => lookup(name) ?? '');
}

/**
 * Like expandString, but references to unknown variables stay as written (GitLab's `expand_existing`, used for
 * rules:exists and rules:changes paths).
 */
export function expandExisting(value: string, lookup: (name: string) => string | undefined): string {
  if (!value.includes('$')) return value;
  return scan(value, (name, raw) => lookup(name) ?? raw);
}

function scan(value: string, replace: (name: string, raw: string) => string): string {
  let out = '';
  let i = 0;
  const n = value.length;
  const limit = n + MAX_EXPANSION;
  while (i < n) {
    const c = value[i];
    if (c !== '$') {
      const next = value.indexOf('$', i);
      const end = next < 0 ? n : next;
      out += value.slice(i, end);
      i = end;
      continue;
    }
    const d = value[i + 1];
    if (d === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (d === '{') {
      const close = value.indexOf('}', i + 2);
      const name = close < 0 ? '' : value.slice(i + 2, close);
      if (close > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        out += replace(name, value.slice(i, close + 1));
        if (out.length > limit) throw new ExpansionTooLargeError();
        i = close + 1;
        continue;
      }
      out += c;
      i++;
      continue;
    }
    if (d !== undefined && NAME_START.test(d)) {
      let j = i + 2;
      while (j < n && NAME_CHAR.test(value[j])) j++;
      out += replace(value.slice(i + 1, j), value.slice(i, j));
      if (out.length > limit) throw new ExpansionTooLargeError();
      i = j;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/**
 * `base` plus `defs` (defs win), every def expanded: references to other defs are resolved recursively
 * (whatever their order), a def referring to its own name sees the base value (PATH: "$PATH:/x"),
 * `expand: false` values are taken literally, and reference cycles expand the cyclic part to the base value
 * (or "") instead of looping.
 */
export function resolveVariables(defs: Variables, base: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = dict(base);
  const done = new Map<string, string>();
  const active = new Set<string>();
  const has = (name: string): boolean => Object.prototype.hasOwnProperty.call(defs, name);
  const baseOf = (name: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(base, name) ? base[name] : undefined;

  const depsOf = new Map<string, string[]>();
  const valueOf =
    (self: string) =>
    (ref: string): string | undefined => {
      if (ref === self || !has(ref)) return baseOf(ref);
      return done.get(ref) ?? baseOf(ref);
    };
  // Iterative depth-first resolution (no recursion: long reference chains cannot overflow the stack).
  const resolve = (root: string): string => {
    const stack = [root];
    active.add(root);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const def = defs[top];
      if (def.expand) {
        let deps = depsOf.get(top);
        if (!deps) {
          deps = referencedNames(def.value).filter((r) => r !== top && has(r));
          depsOf.set(top, deps);
        }
        const pending = deps.find((r) => !done.has(r) && !active.has(r));
        if (pending !== undefined) {
          active.add(pending);
          stack.push(pending);
          continue;
        }
      }
      try {
        done.set(top, def.expand ? expandString(def.value, valueOf(top)) : def.value);
      } catch (err) {
        if (err instanceof ExpansionTooLargeError && err.variable === undefined) throw new ExpansionTooLargeError(top);
        throw err;
      }
      stack.pop();
      active.delete(top);
    }
    return done.get(root)!;
  };

  for (const name of Object.keys(defs)) result[name] = done.get(name) ?? resolve(name);
  return result;
}
