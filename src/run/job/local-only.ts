// What kiln does with the job keywords that need GitLab's server or features outside a runner (model
// `LocalKeywords`, plus image/services under the shell executor). Pure decisions; the attempt applies them.
// The rule is the project's: never silently wrong. Each keyword is either done locally, or done in part with a
// warning in the job log (and `--json`), or the job is not run and ends as "not run: <reason>", never as success.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactsSpec, Job } from '../../pipeline/model.js';

export interface LocalPlan {
  /** The job cannot be run locally at all (it ends as "not run"). */
  notRun?: string;
  /** Lines for the job log and the summary, each one sentence. */
  warnings: string[];
  /** Paths added to the job's artifacts (a Pages job's site folder). */
  extraArtifactPaths: string[];
}

export function planLocalKeywords(job: Job, executor: string): LocalPlan {
  const local = job.local ?? {};
  const plan: LocalPlan = { warnings: [], extraArtifactPaths: [] };
  const hasScript = job.script.some((l) => l.trim() !== '');
  // `run:` replaces `script:` with CI steps (GitLab's step runner); kiln has no step runner.
  if (local.steps && !hasScript) {
    plan.notRun = 'run: CI steps are not supported by kiln';
    return plan;
  }
  if (local.release) {
    if (!hasScript) {
      plan.notRun = 'release: only GitLab creates releases, and the job has no script to run';
      return plan;
    }
    plan.warnings.push('release: kiln runs the script but does not create the release (only GitLab does)');
  }
  if (local.pages) {
    plan.extraArtifactPaths.push(local.pages.publish);
    plan.warnings.push(
      `pages: the site in ${local.pages.publish}/ is kept as the job's artifacts (export it with \`kiln artifacts ${job.name}\`); kiln does not deploy it`,
    );
  }
  if (executor === 'shell') {
    if (job.image)
      plan.warnings.push(
        `image: ${job.image.name} is not used: the shell executor runs the job on this machine (set executor = "docker" or "auto" in kiln.toml, or pass --executor docker)`,
      );
    if (job.services.length)
      plan.warnings.push(
        `services: ${job.services.map((s) => s.alias ?? s.name).join(', ')} not started: the shell executor has no services (use the docker executor)`,
      );
  }
  for (const need of local.externalNeeds ?? []) {
    plan.warnings.push(
      `${need}: kiln cannot fetch artifacts from another project or pipeline on GitLab; the job runs without them`,
    );
  }
  plan.warnings.push(...(local.unsupported ?? []));
  if (job.environment) {
    plan.warnings.push(
      `environment: ${job.environment.name}: kiln sets CI_ENVIRONMENT_* but records no deployment${job.environment.action === 'stop' ? ' and stops nothing' : ''}`,
    );
  }
  // Last, so the summary's NOTE column shows a more telling difference first.
  if (job.tags.length)
    plan.warnings.push(`tags: ${job.tags.join(', ')} pick a runner on GitLab; kiln runs the job on this machine`);
  return plan;
}

/** Where each `secrets:` / `id_tokens:` value of a job comes from locally, or what is missing. */
export interface SecretValues {
  values: { name: string; value: string; file: boolean }[];
  missing: string[];
}

/**
 * Secrets and ID tokens have no server to come from: each must be given by the user, as a variable
 * (`--variable NAME=...`, a variables file) or in kiln.toml (`[secrets]`). A missing one is an error before the job
 * starts, never an empty variable.
 */
export function resolveSecrets(job: Job, given: (name: string) => string | undefined): SecretValues {
  const local = job.local ?? {};
  const out: SecretValues = { values: [], missing: [] };
  for (const [name, spec] of Object.entries(local.secrets ?? {})) {
    const value = given(name);
    if (value === undefined) out.missing.push(`secrets: ${name} (from ${spec.provider} on GitLab)`);
    else out.values.push({ name, value, file: spec.file });
  }
  for (const name of local.idTokens ?? []) {
    const value = given(name);
    if (value === undefined) out.missing.push(`id_tokens: ${name} (an OIDC token only GitLab can sign)`);
    else out.values.push({ name, value, file: false });
  }
  return out;
}

/** artifacts with extra paths (a Pages job's folder); a job without `artifacts:` gets a default spec for them. */
export function withExtraPaths(spec: ArtifactsSpec | undefined, extra: string[]): ArtifactsSpec | undefined {
  if (extra.length === 0) return spec;
  const base: ArtifactsSpec = spec ?? { paths: [], exclude: [], untracked: false, when: 'on_success', reports: {} };
  return { ...base, paths: [...base.paths, ...extra.filter((p) => !base.paths.includes(p))] };
}

/** Secret values into the job's variables: file secrets are written as files (0600) and the variable holds the path. */
export async function applySecrets(
  values: { name: string; value: string; file: boolean }[],
  env: { env: Record<string, string>; ci: Record<string, string> },
  fileDir: string,
): Promise<void> {
  for (const v of values) {
    let value = v.value;
    if (v.file) {
      await mkdir(fileDir, { recursive: true, mode: 0o700 });
      value = join(fileDir, v.name);
      await writeFile(value, v.value, { mode: 0o600 });
    }
    env.env[v.name] = value;
    env.ci[v.name] = value;
  }
}
