// GitLab's job payload (spec.Job) → what kiln's executors run: a pipeline-model Job (image, services, scripts)
// and the job's environment. Variables as GitLab Runner builds them (common/build.go GetAllVariables,
// spec/variables.go): the payload's variables (GitLab already put predefined, project, group, YAML and dotenv
// variables there, in precedence order: later wins), then the runner's own (CI_PROJECT_DIR, CI_BUILDS_DIR,
// CI_RUNNER_*, CI_SERVER=yes), then config.toml `environment` below the job's. `raw` variables are not
// expanded; others expand $NAME against the rest. File variables become files in a private temp dir and the
// variable holds the path (spec/variables.go tmpFile). Masked values are returned for the trace masker.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expandString } from '../pipeline/variables/expand.js';
import type { ImageSpec, Job, PullPolicy, ServiceSpec } from '../pipeline/model.js';
import type { JobPayload, PayloadImage, PayloadVariable } from './api-types.js';
import { KILN_VERSION } from './api.js';

export interface JobEnvironment {
  env: Record<string, string>;
  /** Values to mask in the trace (masked variables, the job token). */
  secrets: string[];
}

/** Value of a variable as the payload sets it (last definition wins, as GitLab Runner's Variables.Get). */
export function payloadVar(p: JobPayload, key: string): string | undefined {
  let v: string | undefined;
  for (const x of p.variables ?? []) if (x.key === key) v = x.value;
  return v;
}

export interface EnvInput {
  payload: JobPayload;
  projectDir: string;
  buildsDir: string;
  tmpDir: string;
  runnerName: string;
  runnerId?: number;
  runnerShortToken: string;
  /** The job's slot on this runner (CI_CONCURRENT_ID). */
  slot: number;
  executor: string;
  /** config.toml `environment` ("K=V"). */
  configEnvironment: string[];
  /** Environment inherited by shell jobs (PATH, HOME, ...). */
  hostEnv: Record<string, string | undefined>;
}

export async function buildEnvironment(i: EnvInput): Promise<JobEnvironment> {
  // common/build.go GetAllVariables: config.toml environment, then the default variables (GetDefaultVariables),
  // then the job's, then the runner's version variables and RUNNER_TEMP_PROJECT_DIR; a later definition wins.
  const vars: PayloadVariable[] = [];
  for (const e of i.configEnvironment) {
    const eq = e.indexOf('=');
    vars.push({ key: e.slice(0, eq), value: e.slice(eq + 1) });
  }
  const before: Record<string, string> = {
    CI_BUILDS_DIR: i.buildsDir,
    CI_PROJECT_DIR: i.projectDir,
    CI_CONCURRENT_ID: String(i.slot),
    CI_CONCURRENT_PROJECT_ID: String(i.slot),
    CI_SERVER: 'yes',
    CI_JOB_STATUS: 'running',
  };
  for (const [key, value] of Object.entries(before)) vars.push({ key, value, raw: true });
  vars.push(...(i.payload.variables ?? []));
  const after: Record<string, string> = {
    CI_RUNNER_VERSION: `kiln ${KILN_VERSION}`,
    CI_RUNNER_EXECUTABLE_ARCH: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
    CI_RUNNER_SHORT_TOKEN: i.runnerShortToken,
    RUNNER_TEMP_PROJECT_DIR: i.tmpDir,
  };
  if (i.runnerId !== undefined && !vars.some((v) => v.key === 'CI_RUNNER_ID')) after.CI_RUNNER_ID = String(i.runnerId);
  for (const [key, value] of Object.entries(after)) vars.push({ key, value, raw: true });

  const byKey = new Map<string, PayloadVariable>();
  for (const v of vars) byKey.set(v.key, v);
  const secrets: string[] = [];
  for (const v of byKey.values()) if (v.masked && v.value) secrets.push(v.value);
  if (i.payload.token) secrets.push(i.payload.token);

  const env: Record<string, string> = {};
  if (i.executor === 'shell') for (const [k, v] of Object.entries(i.hostEnv)) if (v !== undefined) env[k] = v;
  const raw = new Map<string, string>();
  for (const [k, v] of byKey) raw.set(k, v.value);
  await mkdir(i.tmpDir, { recursive: true, mode: 0o700 });
  for (const [k, v] of byKey) {
    const value = v.raw ? v.value : expandString(v.value, (n) => (n === k ? undefined : (raw.get(n) ?? env[n])));
    if (v.file) {
      const path = join(i.tmpDir, k);
      await writeFile(path, value, { mode: 0o600 });
      env[k] = path;
    } else {
      env[k] = value;
    }
  }
  return { env, secrets };
}

function pullPolicy(list: string[] | undefined): PullPolicy[] | undefined {
  const ok = (list ?? []).filter((p): p is PullPolicy => p === 'always' || p === 'never' || p === 'if-not-present');
  return ok.length ? ok : undefined;
}

function image(p: PayloadImage, expand: (s: string) => string): ImageSpec {
  const opts = p.executor_opts?.docker;
  return {
    name: expand(p.name),
    ...(p.entrypoint?.length ? { entrypoint: p.entrypoint } : {}),
    ...(pullPolicy(p.pull_policy) ? { pullPolicy: pullPolicy(p.pull_policy) } : {}),
    ...(opts?.platform ? { platform: opts.platform } : {}),
    ...(opts?.user !== undefined && opts.user !== '' ? { user: String(opts.user) } : {}),
  };
}

/** The payload as a kiln Job for the executors (scripts come from the payload's steps). */
export function toKilnJob(p: JobPayload, env: Record<string, string>, defaultImage?: string): Job {
  const expand = (s: string) => expandString(s, (n) => env[n]);
  const step = (name: string) => p.steps.find((s) => s.name === name);
  const services: ServiceSpec[] = (p.services ?? []).map((s) => ({
    ...image(s, expand),
    alias: (s.alias ?? '').split(/[\s,]+/).filter(Boolean),
    ...(s.command?.length ? { command: s.command } : {}),
    variables: Object.fromEntries((s.variables ?? []).map((v) => [v.key, v.value])),
  }));
  const img = p.image?.name ? image(p.image, expand) : defaultImage ? { name: defaultImage } : undefined;
  return {
    name: p.job_info.name,
    baseName: p.job_info.name,
    stage: p.job_info.stage,
    stageIndex: 0,
    position: { file: '(GitLab job payload)', line: 1, col: 1 },
    when: 'on_success',
    allowFailure: { allowed: step('script')?.allow_failure ?? false, exitCodes: [] },
    needs: null,
    dependencies: null,
    ...(img ? { image: img } : {}),
    services,
    beforeScript: [],
    script: step('script')?.script ?? [],
    afterScript: step('after_script')?.script ?? [],
    variables: {},
    cache: [],
    tags: [],
    retry: { max: 0, when: [], exitCodes: [] },
    timeoutSeconds: p.runner_info?.timeout,
    interruptible: false,
  };
}
