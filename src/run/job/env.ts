// The environment a job's scripts see, with GitLab's precedence (lowest first): predefined pipeline and job
// variables, the runner config's environment, YAML variables (global + job, already merged in the model),
// dotenv reports of the jobs it depends on, then user variables (CLI / variables file). File-type variables
// become files holding the value.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job, PipelineContext } from '../../pipeline/model.js';
import { expandString, resolveVariables } from '../../pipeline/variables/expand.js';
import { runVariables, type RunVariablesInput } from './run-variables.js';
import { jobPredefined } from '../../pipeline/context/predefined.js';
import { dict, hasEntry } from '../../util/dict.js';

export interface JobEnvInput {
  ctx: PipelineContext;
  job: Job;
  jobId: number;
  /** CI_PROJECT_DIR as the job's scripts see it. */
  projectDir: string;
  /** Where file-type variables are written. */
  fileVarDir: string;
  /** Variables from dotenv reports of the jobs this job depends on. */
  dotenv: Record<string, string>;
  /** Names the user asked to mask. */
  maskedNames: string[];
  /** Host environment to inherit (shell executor); not used for expansion. */
  hostEnv?: Record<string, string | undefined>;
  /** Runner config environment (kiln.toml), above predefined variables, below YAML ones. */
  runnerEnv?: Record<string, string>;
  /** Variables that exist once the job runs (run-variables.ts); predefined, so below every other kind. */
  run?: Omit<RunVariablesInput, 'job' | 'expand'>;
}

export interface JobEnv {
  /** Full process environment. */
  env: Record<string, string>;
  /** CI variables only (no host environment), for expanding cache keys etc. */
  ci: Record<string, string>;
  /** Values to replace by [MASKED]. */
  secrets: string[];
}

export async function buildJobEnv(input: JobEnvInput): Promise<JobEnv> {
  const { ctx, job } = input;
  const base: Record<string, string> = dict(ctx.predefined, jobPredefined(ctx, job, input.jobId), input.runnerEnv, {
    CI_PROJECT_DIR: input.projectDir,
    CI_BUILDS_DIR: join(input.projectDir, '..'),
    CI_JOB_STATUS: 'running',
  });
  let vars = resolveVariables(job.variables, base);
  if (Object.keys(input.dotenv).length) vars = dict(vars, input.dotenv);
  vars = resolveVariables(ctx.userVariables, vars);
  if (input.run) {
    const known = vars;
    const extra = runVariables({ ...input.run, job, expand: (t) => expandString(t, (n) => known[n]) });
    for (const [k, v] of Object.entries(extra)) if (!(k in vars)) vars[k] = v;
  }

  const fileDefs: string[] = [];
  const masked = new Set(input.maskedNames);
  for (const [name, def] of [...Object.entries(job.variables), ...Object.entries(ctx.userVariables)]) {
    if (def.file) fileDefs.push(name);
    if (def.masked) masked.add(name);
  }
  if (fileDefs.length) {
    await mkdir(input.fileVarDir, { recursive: true, mode: 0o700 });
    for (const name of new Set(fileDefs)) {
      const path = join(input.fileVarDir, name);
      await writeFile(path, vars[name] ?? '', { mode: 0o600 });
      vars[name] = path;
    }
  }
  const secrets: string[] = [];
  for (const name of masked) {
    const def = hasEntry(ctx.userVariables, name)
      ? ctx.userVariables[name]
      : hasEntry(job.variables, name)
        ? job.variables[name]
        : undefined;
    const value = def?.file ? def.value : vars[name];
    if (value) secrets.push(value);
  }
  const env: Record<string, string> = dict();
  for (const [k, v] of Object.entries(input.hostEnv ?? {})) if (v !== undefined) env[k] = v;
  Object.assign(env, vars);
  return { env, ci: vars, secrets };
}
