// `cache:policy: $VAR`, settled when a job is created, with the job's variables. GitLab passes the expanded text to
// the runner, which treats an empty policy as the default `pull-push` and fails on any other value it does not know
// (GitLab Runner, `common.Cache.CheckPolicy`: "unknown cache policy"). kiln reports that second case when it
// creates the job, where the user sees it before anything runs.
import { ConfigError } from '../../errors.js';
import type { CacheSpec } from '../model.js';
import { CACHE_POLICIES } from '../keywords/fields.js';
import { expandString } from '../variables/expand.js';

/** The job's caches with every `policy: $VAR` expanded; throws ConfigError for a value that is not a policy. */
export function settleCachePolicies(
  caches: CacheSpec[],
  lookup: (name: string) => string | undefined,
  where: { position: ConfigError['position']; path: string[] },
): CacheSpec[] {
  if (!caches.some((c) => c.policyText !== undefined)) return caches;
  return caches.map((c, i) => {
    if (c.policyText === undefined) return c;
    const value = expandString(c.policyText, lookup).trim();
    const { policyText: _, ...rest } = c;
    if (value === '') return { ...rest, policy: 'pull-push' };
    if (!(CACHE_POLICIES as readonly string[]).includes(value)) {
      throw new ConfigError(
        `"${c.policyText}" expands to "${value}", which is not a cache policy (${CACHE_POLICIES.join(', ')})`,
        where.position,
        [...where.path, 'cache', String(i), 'policy'],
      );
    }
    return { ...rest, policy: value as CacheSpec['policy'] };
  });
}
