// User variables from the command line: `--variable K=V` and `--variables-file F` (dotenv or JSON).
import { promises as fsp } from 'node:fs';
import type { Variables } from '../pipeline/model.js';
import { ConfigError, UsageError } from '../errors.js';
import { lineLocator, scanJson } from '../util/json-scan.js';
import { dict } from '../util/dict.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseVariableFlag(flag: string): [string, string] {
  const eq = flag.indexOf('=');
  const name = eq < 0 ? flag : flag.slice(0, eq);
  if (eq < 0 || !NAME.test(name)) throw new UsageError(`--variable expects NAME=VALUE, got "${flag}"`);
  return [name, flag.slice(eq + 1)];
}

function unquote(v: string, file: string, line: number, col: number): string {
  const t = v.trim();
  if (t.startsWith('"')) {
    if (!t.endsWith('"') || t.length < 2) throw new ConfigError('unterminated double quote', { file, line, col });
    return t.slice(1, -1).replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  if (t.startsWith("'")) {
    if (!t.endsWith("'") || t.length < 2) throw new ConfigError('unterminated single quote', { file, line, col });
    return t.slice(1, -1);
  }
  return t;
}

/** Reads a dotenv file (KEY=VALUE, optional `export`, quotes, comments) or a JSON object of strings. */
export async function readVariablesFile(file: string): Promise<Variables> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read variables file ${file}: ${(e as Error).message}`);
  }
  const out: Variables = dict();
  if (text.trimStart().startsWith('{')) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      // V8 gives no position for some errors (end of input, "Unexpected token"): one linear scan finds it.
      const message = (e as Error).message;
      const at = scanJson(text).errorAt ?? Number(/position (\d+)/.exec(message)?.[1] ?? 0);
      throw new ConfigError(`invalid JSON: ${message}`, { file, ...lineLocator(text)(at) });
    }
    if (!data || typeof data !== 'object' || Array.isArray(data))
      throw new ConfigError('a JSON variables file must be an object of NAME: "value"', { file, line: 1, col: 1 });
    const keys = scanJson(text).keys;
    const locate = lineLocator(text);
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
      const where = { file, ...locate(keys.get(k) ?? 0) };
      if (!NAME.test(k)) throw new ConfigError(`invalid variable name "${k}"`, where, [k]);
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        // {"value": "...", "file": true, "masked": true, "expand": false} like GitLab's variable settings.
        const o = v as Record<string, unknown>;
        for (const key of Object.keys(o)) {
          if (!['value', 'file', 'masked', 'expand'].includes(key))
            throw new ConfigError(`unknown key "${key}" (value, file, masked, expand)`, where, [k]);
        }
        if (typeof o.value !== 'string') throw new ConfigError('"value" must be a string', where, [k, 'value']);
        for (const flag of ['file', 'masked', 'expand'] as const) {
          if (o[flag] !== undefined && typeof o[flag] !== 'boolean')
            throw new ConfigError(`"${flag}" must be true or false`, where, [k, flag]);
        }
        out[k] = { value: o.value, expand: o.expand !== false, file: o.file === true, masked: o.masked === true };
        continue;
      }
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new ConfigError('value must be a string, number, boolean or {"value", "file", "masked"}', where, [k]);
      }
      out[k] = { value: String(v), expand: true };
    }
    return out;
  }
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s*export\s+/, '');
    if (!line.trim() || line.trim().startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq < 0 ? line.trim() : line.slice(0, eq).trim();
    const col = raw.length - raw.trimStart().length + 1;
    if (eq < 0)
      throw new ConfigError(`expected NAME=VALUE, got "${raw.trim().slice(0, 60)}"`, { file, line: i + 1, col });
    if (!NAME.test(name)) throw new ConfigError(`invalid variable name "${name}"`, { file, line: i + 1, col });
    out[name] = { value: unquote(line.slice(eq + 1), file, i + 1, eq + 2), expand: true };
  });
  return out;
}
