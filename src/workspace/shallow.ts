// GIT_DEPTH for a job's .git: the copy keeps borrowing every object (alternates), and a `shallow` file cuts its
// history where a `git clone --depth N` would, so `git log`, `git describe` and `git rev-list --count` in the job
// see what they see in a GitLab job. Nothing is copied or fetched.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { git } from './git.js';

/**
 * The commits a clone of depth `depth` from `head` marks shallow: those within depth-1 steps of `head` (shortest
 * path) with a parent further away. Reads parents with one `git rev-list`, asking for more history only when the
 * first batch did not reach the boundary.
 */
export async function shallowBoundary(repo: string, tip: string, depth: number): Promise<string[]> {
  const resolved = await git(repo, ['rev-parse', '--verify', '-q', `${tip}^{commit}`]);
  const head = resolved.stdout.toString().trim();
  if (resolved.code !== 0 || !head) throw new Error(`cannot resolve ${tip} for GIT_DEPTH`);
  for (let limit = depth * 4 + 16; ; limit *= 4) {
    const r = await git(repo, ['rev-list', '--parents', `--max-count=${limit}`, head]);
    if (r.code !== 0) throw new Error(`git rev-list failed: ${r.stderr.trim()}`);
    const parents = new Map<string, string[]>();
    for (const line of r.stdout.toString().split('\n')) {
      const [c, ...ps] = line.trim().split(' ');
      if (c) parents.set(c, ps);
    }
    const listedAll = parents.size < limit;
    const dist = new Map<string, number>([[head, 0]]);
    let frontier = [head];
    for (let d = 0; d < depth - 1 && frontier.length; d++) {
      const next: string[] = [];
      for (const c of frontier) {
        for (const p of parents.get(c) ?? []) {
          if (!dist.has(p)) {
            dist.set(p, d + 1);
            next.push(p);
          }
        }
      }
      frontier = next;
    }
    // Every kept commit's parents must be known, or the boundary may be wrong: read more history.
    if (!listedAll && [...dist.keys()].some((c) => !parents.has(c))) continue;
    const shallow: string[] = [];
    for (const [c, d] of dist) if (d === depth - 1 && (parents.get(c) ?? []).length > 0) shallow.push(c);
    return shallow.sort();
  }
}

export async function writeShallow(gitDir: string, commits: string[]): Promise<void> {
  if (commits.length) await writeFile(join(gitDir, 'shallow'), commits.map((c) => `${c}\n`).join(''));
}
