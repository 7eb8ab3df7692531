// Turns the pipeline-related command-line flags shared by `kiln lint` and `kiln jobs` into LoadOptions.
import { UsageError } from '../errors.js';
import type { LoadOptions } from './load.js';
import type { Variables } from './model.js';
import { parseInputFlags, readInputsFile } from './inputs/inputs-file.js';
import { resolve } from 'node:path';
import { loadConfig } from '../config/load.js';

export interface PipelineFlags {
  file?: string;
  dir?: string;
  ref?: string;
  tag?: boolean;
  source?: string;
  defaultBranch?: string;
  variable?: string[];
  input?: string[];
  inputsFile?: string;
}

/** `K=V` strings → user variables (highest precedence). */
export function parseVariableFlags(list: string[] = []): Variables {
  const out: Variables = {};
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
  const config = loadConfig({ projectDir: f.dir ?? process.cwd() }).config;
  return { projectDir: f.dir ?? process.cwd(), file: f.file, ref: f.ref, tag: f.tag, source: f.source,
    defaultBranch: f.defaultBranch, variables: parseVariableFlags(f.variable),
    inputs: f.inputsFile ? readInputsFile(resolve(f.inputsFile), f.inputsFile) : undefined,
    cliInputs: parseInputFlags(f.input), vendorCommand: vendorCommandFor(f.dir, f.file),
    serverUrl: config.gitlab.url, masked: config.masked };
}

/** The `kiln vendor` command line for the same project and file, as errors quote it. */
export function vendorCommandFor(dir: string | undefined, file: string | undefined): string {
  const q = (s: string): string => (/^[\w./@:+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  let cmd = 'kiln vendor';
  if (dir && dir !== '.') cmd += ` -C ${q(dir)}`;
  if (file && file !== '.gitlab-ci.yml') cmd += ` -f ${q(file)}`;
  return cmd;
}

/** commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
