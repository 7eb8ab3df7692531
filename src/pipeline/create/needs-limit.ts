// GitLab's limit on the size of a job's `needs:` (ci_needs_size_limit, 50 by default and on GitLab.com). GitLab
// counts the needs after expanding parallel jobs: a need on a job with `parallel: 5` or a matrix counts once per
// instance, and `needs:parallel:matrix` once per combination. Needs on other projects or pipelines are not counted,
// nor are `rules:needs`. Only jobs created in this pipeline are checked.
import { ConfigError } from '../../errors.js';
import type { Problems } from '../keywords/check.js';
import type { JobDef } from '../keywords/job.js';
import { MAX_NEEDS } from '../keywords/needs.js';
import { combinations, instancesOf } from '../keywords/parallel.js';
import type { Created } from './instances.js';

/** The number of job needs GitLab sees for a job's own `needs:` list. */
export function countNeeds(def: JobDef, instanceCount: (base: string) => number): number {
  let n = 0;
  for (const ref of def.needs ?? []) {
    if (ref.external) continue;
    n += ref.matrix ? ref.matrix.reduce((sum, entry) => sum + combinations(entry).length, 0) : instanceCount(ref.job);
  }
  return n;
}

export function checkNeedsLimit(created: Created[], defs: JobDef[], p: Problems, limit = MAX_NEEDS): void {
  const instances = new Map(defs.map((d) => [d.name, instancesOf(d.name, d.parallel).length]));
  const checked = new Set<string>();
  for (const c of created) {
    if (checked.has(c.def.name) || c.def.needs === null) continue;
    checked.add(c.def.name);
    const n = countNeeds(c.def, (base) => instances.get(base) ?? 1);
    if (n <= limit) continue;
    p.push(
      new ConfigError(
        `one job can only need ${limit} others, but you have listed ${n}; ` + 'see the needs keyword documentation',
        c.def.needsNode?.pos ?? c.def.position,
        ['jobs', c.def.name, 'needs'],
      ),
    );
  }
}
