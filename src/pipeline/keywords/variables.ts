// `variables:` (global, job, rules:variables): a name → string, number, or {value, description, options, expand}.
import { ConfigError } from '../../errors.js';
import type { Variables } from '../model.js';
import type { YNode } from '../yaml/node.js';
import { Problems, readBool, readStrings, scalarText } from './check.js';
import { dict } from '../../util/dict.js';

const VAR_NAME = /^[A-Za-z0-9_]+$/;

/** Hash keys a global variable may have. */
export const GLOBAL_VARIABLE_DATA = ['value', 'description', 'options', 'expand'] as const;
/**
 * Hash keys a job's variable may have: GitLab reads job variables with `allowed_value_data: %i[value expand]`
 * (`Entry::Processable`), so `description` and `options`, which only make sense for a pipeline form, are refused
 * there ("variables config uses invalid data keys: description").
 */
export const JOB_VARIABLE_DATA = ['value', 'expand'] as const;

export function readVariables(
  p: Problems,
  n: YNode,
  path: string[],
  allowHash = true,
  dataKeys: readonly string[] = GLOBAL_VARIABLE_DATA,
): Variables {
  const out: Variables = dict();
  if (n.kind === 'scalar' && n.value === null) return out;
  if (n.kind !== 'map') {
    p.add(n, path, 'should be a hash of key value pairs');
    return out;
  }
  for (const e of n.entries.values()) {
    const vpath = [...path, e.key];
    if (!VAR_NAME.test(e.key)) {
      p.push(new ConfigError(`invalid variable name "${e.key}" (use letters, digits and _)`, e.keyPos, path));
      continue;
    }
    const v = e.value;
    if (v.kind === 'scalar') {
      out[e.key] = { value: v.value === null ? '' : String(v.value), expand: true };
      continue;
    }
    if (v.kind === 'map' && allowHash) {
      const invalid = [...v.entries.keys()].filter((k) => !dataKeys.includes(k));
      if (invalid.length) {
        p.add(
          v,
          vpath,
          `variables config uses invalid data keys: ${invalid.join(', ')} (allowed here: ${dataKeys.join(', ')})`,
        );
      }
      const def = { value: '', expand: true } as Variables[string];
      const val = v.entries.get('value')?.value;
      if (val) {
        const s = scalarText(val);
        if (s === undefined && !(val.kind === 'scalar' && val.value === null))
          p.add(val, [...vpath, 'value'], 'should be a string');
        def.value = s ?? '';
      }
      const desc = v.entries.get('description')?.value;
      if (desc) def.description = scalarText(desc) ?? '';
      const opts = v.entries.get('options')?.value;
      if (opts) {
        const o = readStrings(p, opts, [...vpath, 'options'], false);
        if (o) {
          def.options = o;
          if (val && !o.includes(def.value)) p.add(val, [...vpath, 'value'], 'should be one of the options');
        }
      }
      const exp = v.entries.get('expand')?.value;
      if (exp) {
        const b = readBool(p, exp, [...vpath, 'expand']);
        if (b !== undefined) def.expand = b;
      }
      out[e.key] = def;
      continue;
    }
    p.add(v, vpath, allowHash ? 'should be a string, a number or a hash with value' : 'should be a string or a number');
  }
  return out;
}
