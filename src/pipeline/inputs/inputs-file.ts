// Inputs for the main file from a JSON or YAML file (`--inputs-file`): a hash of input name → value, the values
// typed as written (as GitLab's pipeline API takes them). Names must look like input names.
import { readFileSync } from 'node:fs';
import { ConfigError, UsageError } from '../../errors.js';
import { parseYaml } from '../yaml/read.js';
import { toPlain } from '../yaml/node.js';

const MAX_BYTES = 1024 * 1024;

export function readInputsFile(path: string, display = path): Record<string, unknown> {
  let text: string;
  try {
    const data = readFileSync(path);
    if (data.length > MAX_BYTES) throw new UsageError(`${display}: inputs file larger than 1 MiB`);
    text = data.toString('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `${display}: cannot read the inputs file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  // JSON is YAML: one parser gives positions for both.
  const root = parseYaml(text, display);
  if (root === undefined) return {};
  if (root.kind !== 'map') throw new ConfigError('an inputs file should hold a hash of input name: value', root.pos);
  const out: Record<string, unknown> = {};
  for (const e of root.entries.values()) {
    if (!/^[A-Za-z0-9_-]+$/.test(e.key)) throw new ConfigError(`invalid input name "${e.key}"`, e.keyPos);
    out[e.key] = toPlain(e.value);
  }
  return out;
}

/** `name=value` flags → text values (read later as the type each input declares). */
export function parseInputFlags(list: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--input expects NAME=VALUE, got "${item}"`);
    const name = item.slice(0, eq);
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new UsageError(`invalid input name "${name}"`);
    out[name] = item.slice(eq + 1);
  }
  return out;
}
