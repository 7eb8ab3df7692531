// Turns the pipeline-context flags that `kiln lint`, `kiln jobs` and `kiln run` share into LoadOptions: one set of
// flags and one `--variable` reading for every command.
import { UsageError } from '../errors.js';
import type { LoadOptions } from './load.js';
import type { Variables } from './model.js';
import { dict } from '../util/dict.js';
import { parseInputFlags, readInputsFile } from './inputs/inputs-file.js';
import { resolve } from 'node:path';
import { loadConfig } from '../config/load.js';

export interface PipelineFlags {
  file?: string;
  dir?: string;
  ref?: string;
  tag?: boolean;
  /** CI_PIPELINE_SOURCE. */
  source?: string;
  defaultBranch?: string;
  /** Merge request pipelines: the target branch (default: the default branch). */
  targetBranch?: string;
  /** Push pipelines: the commit the branch pointed to before the push (default: its upstream's). */
  beforeSha?: string;
  variable?: string[];
  input?: string[];
  inputsFile?: string;
  variablesFile?: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `NAME=VALUE` strings → user variables (highest precedence). Like variables given to a pipeline run in GitLab
 * (the "Run pipeline" form, the API), their values are expanded: `--variable A='$B'` refers to B.
 */
export function parseVariableFlags(list: string[] = []): Variables {
  const out: Variables = dict();
  for (const item of list) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (eq <= 0 || !NAME.test(key))
      throw new UsageError(`--variable expects NAME=VALUE with a variable name, got "${item}"`);
    out[key] = { value: item.slice(eq + 1), expand: true };
  }
  return out;
}

/** `fromFiles`: variables already read from --variables-file (flags given with --variable win over them). */
export function loadOptionsFromFlags(f: PipelineFlags, fromFiles: Variables = {}): LoadOptions {
  const config = loadConfig({ projectDir: f.dir ?? process.cwd() }).config;
  return {
    projectDir: f.dir ?? process.cwd(),
    file: f.file,
    ref: f.ref,
    tag: f.tag,
    source: f.source,
    defaultBranch: f.defaultBranch,
    targetBranch: f.targetBranch,
    beforeSha: f.beforeSha,
    variables: { ...fromFiles, ...parseVariableFlags(f.variable) },
    inputs: f.inputsFile ? readInputsFile(resolve(f.inputsFile), f.inputsFile) : undefined,
    cliInputs: parseInputFlags(f.input),
    vendorCommand: vendorCommandFor(f.dir, f.file),
    serverUrl: config.gitlab.url,
    masked: config.masked,
  };
}

/** The `kiln vendor` command line for the same project and file, as errors quote it. */
export function vendorCommandFor(dir: string | undefined, file: string | undefined): string {
  const q = (s: string): string => (/^[\w./@:+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  let cmd = 'kiln vendor';
  if (dir && dir !== '.') cmd += ` -C ${q(dir)}`;
  if (file && file !== '.gitlab-ci.yml') cmd += ` -f ${q(file)}`;
  return cmd;
}
