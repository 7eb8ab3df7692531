// Turns the pipeline-related command-line flags shared by `kiln lint` and `kiln jobs` into LoadOptions.
import { UsageError } from '../errors.js';
import type { LoadOptions } from './load.js';
import type { Variables } from './model.js';
import { dict } from '../util/dict.js';

export interface PipelineFlags {
  file?: string;
  dir?: string;
  ref?: string;
  tag?: boolean;
  source?: string;
  defaultBranch?: string;
  variable?: string[];
}

/** `K=V` strings → user variables (highest precedence). */
export function parseVariableFlags(list: string[] = []): Variables {
  const out: Variables = dict();
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--variable expects KEY=VALUE, got "${item}"`);
    const key = item.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UsageError(`invalid variable name "${key}"`);
    out[key] = { value: item.slice(eq + 1), expand: false };
  }
  return out;
}

export function loadOptionsFromFlags(f: PipelineFlags): LoadOptions {
  return { projectDir: f.dir ?? process.cwd(), file: f.file, ref: f.ref, tag: f.tag, source: f.source,
    defaultBranch: f.defaultBranch, variables: parseVariableFlags(f.variable) };
}

/** commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
