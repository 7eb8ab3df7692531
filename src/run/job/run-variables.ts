// Predefined variables that exist only once a job runs (GitLab docs, "Predefined CI/CD variables reference"):
// the runner's own (CI_RUNNER_*), the job's start and timeout, whether a person played it, its environment and
// the pipeline's name. kiln is the runner here; CI_RUNNER_* describe it.
import { createHash } from 'node:crypto';
import { arch } from 'node:os';
import type { Job } from '../../pipeline/model.js';

export interface RunVariablesInput {
  job: Job;
  startedAt: Date;
  timeoutSeconds: number;
  /** The job is a manual job that was played (kiln run --manual / naming it). */
  manual: boolean;
  pipelineName?: string;
  executor: string;
  version: string;
  /** Expands $VARS in environment:name/url with the job's other variables. */
  expand: (text: string) => string;
}

export function runVariables(o: RunVariablesInput): Record<string, string> {
  const v: Record<string, string> = {
    CI_JOB_STARTED_AT: o.startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    CI_JOB_TIMEOUT: String(o.timeoutSeconds),
    CI_RUNNER_ID: '0',
    CI_RUNNER_DESCRIPTION: `kiln (${o.executor} executor, local)`,
    CI_RUNNER_TAGS: JSON.stringify(o.job.tags),
    CI_RUNNER_VERSION: o.version,
    CI_RUNNER_REVISION: 'kiln',
    CI_RUNNER_SHORT_TOKEN: 'kiln0000',
    CI_RUNNER_EXECUTABLE_ARCH: `linux/${arch() === 'x64' ? 'amd64' : arch()}`,
  };
  if (o.manual) v.CI_JOB_MANUAL = 'true';
  if (o.pipelineName) v.CI_PIPELINE_NAME = o.pipelineName;
  const env = o.job.environment;
  if (env) {
    const name = o.expand(env.name);
    v.CI_ENVIRONMENT_NAME = name;
    v.CI_ENVIRONMENT_SLUG = environmentSlug(name);
    v.CI_ENVIRONMENT_ACTION = env.action ?? 'start';
    v.CI_ENVIRONMENT_TIER = env.tier ?? guessTier(name);
    if (env.url) v.CI_ENVIRONMENT_URL = o.expand(env.url);
  }
  return v;
}

/**
 * GitLab's environment slug: lowercase letters, digits and dashes, starting with a letter, no repeated dashes, at
 * most 24 characters; a name that had to be changed or cut gets a 6-character suffix from a hash of the name.
 */
export function environmentSlug(name: string): string {
  let slug = name.toLowerCase().replace(/[^a-z0-9]/g, '-');
  if (!/^[a-z]/.test(slug)) slug = `env-${slug}`;
  slug = slug.replace(/-{2,}/g, '-');
  if (slug.length > 24 || slug !== name) {
    slug = slug.slice(0, 17);
    if (!slug.endsWith('-')) slug += '-';
    const hex = createHash('sha256').update(name).digest('hex');
    slug += BigInt(`0x${hex}`).toString(36).slice(-6);
    return slug;
  }
  return slug.replace(/-$/, '');
}

/** GitLab's tier from the environment's name, when `deployment_tier` is not set. */
export function guessTier(name: string): string {
  if (/(dev|review|trunk)/i.test(name)) return 'development';
  if (/(test|tst|int|ac(ce|)pt|qa|qc|control|quality)/i.test(name)) return 'testing';
  if (/(st(a|)g|mod(e|)l|pre|demo|non)/i.test(name)) return 'staging';
  if (/(pr(o|)d|live)/i.test(name)) return 'production';
  return 'other';
}
