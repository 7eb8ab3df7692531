// File-name-safe, unique slugs for job names (logs and workspace directories).
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { slugify } from '../../pipeline/context/slug.js';

export function jobSlugs(names: string[]): Map<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const n of names) {
    const base = slugify(n) || 'job';
    let s = base;
    for (let i = 2; used.has(s); i++) s = `${base}-${i}`;
    used.add(s);
    out.set(n, s);
  }
  return out;
}

/**
 * The run id of one job attempt (the executor's labels and names, `kiln prune --run`): pipeline ids restart at
 * 1 in every project, so the id carries the project (its directory name and a hash of its path).
 */
export function attemptRunId(projectDir: string, pipelineId: number, slug: string, attempt: number): string {
  const tag = createHash('sha256').update(projectDir).digest('hex').slice(0, 8);
  const name = slugify(basename(projectDir)).slice(0, 20) || 'project';
  return `${name}-${tag}-${pipelineId}-${slug}-${attempt}`;
}
