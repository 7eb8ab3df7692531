// Variable expansion as GitLab does it: $NAME, ${NAME}, "$$" → "$"; unknown variables expand to "".
// A "$" not followed by a name (or an unclosed "${") is kept literally.
import type { Variables } from '../model.js';

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
  const result: Record<string, string> = { ...base };
  const done = new Map<string, string>();
  const active = new Set<string>();
  const has = (name: string): boolean => Object.prototype.hasOwnProperty.call(defs, name);
  const baseOf = (name: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(base, name) ? base[name] : undefined;

  const depsOf = new Map<string, string[]>();
  const valueOf = (self: string) => (ref: string): string | undefined => {
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
      done.set(top, def.expand ? expandString(def.value, valueOf(top)) : def.value);
      stack.pop();
      active.delete(top);
    }
    return done.get(root)!;
  };

  for (const name of Object.keys(defs)) result[name] = done.get(name) ?? resolve(name);
  return result;
}
