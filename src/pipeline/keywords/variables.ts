// `variables:` (global, job, rules:variables): a name → string, number, or {value, description, options, expand}.
import { ConfigError } from '../../errors.js';
import type { Variables } from '../model.js';
import type { YNode } from '../yaml/node.js';
import { checkKeys, Problems, readBool, readStrings, scalarText } from './check.js';

const VAR_NAME = /^[A-Za-z0-9_]+$/;

export function readVariables(p: Problems, n: YNode, path: string[], allowHash = true): Variables {
  const out: Variables = {};
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
      checkKeys(p, v, vpath, ['value', 'description', 'options', 'expand']);
      const def = { value: '', expand: true } as Variables[string];
      const val = v.entries.get('value')?.value;
      if (val) {
        const s = scalarText(val);
        if (s === undefined && !(val.kind === 'scalar' && val.value === null)) p.add(val, [...vpath, 'value'], 'should be a string');
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
