// `cache:key:files` and `cache:key:files_commits`: the part of a cache key that comes from project files.
// GitLab (CI/CD YAML reference, `cache:key:files` / `cache:key:files_commits`; gitlab-org/gitlab work item 595745):
// - `files` hashes the content of the listed files; an entry may be a glob (`**/package-lock.json`), matched like
//   the cache and artifacts `paths` (so `**/foo` also matches a top-level `foo`);
// - `files_commits` hashes the SHAs of the most recent commits that changed each entry (a git pathspec);
// - when nothing matches (no file, or no commit), the key is `default`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';
import type { CacheKeyFiles } from '../../pipeline/model.js';
import { expandString } from '../../pipeline/variables/expand.js';
import { resolvePaths } from './paths.js';

/** The hex digest of the key's files (40 characters), or undefined when none matched. */
export async function keyFilesDigest(
  key: CacheKeyFiles,
  ws: string,
  lookup: (name: string) => string | undefined,
): Promise<string | undefined> {
  const h = createHash('sha256');
  let found = 0;
  for (const f of key.files) {
    const pattern = expandString(f, lookup);
    if (key.commits) {
      const sha = lastCommitFor(ws, pattern);
      h.update(`${pattern}\0${sha ?? 'none'}\0`);
      if (sha) found++;
      continue;
    }
    for (const rel of await filesFor(ws, pattern)) {
      try {
        const data = await readFile(join(ws, rel));
        h.update(`${rel}\0${data.length}\0`).update(data);
        found++;
      } catch {
        h.update(`${rel}\0missing\0`);
      }
    }
  }
  return found ? h.digest('hex').slice(0, 40) : undefined;
}

/** The files a `files` entry names: itself, or for a glob every file it matches (sorted). */
async function filesFor(ws: string, pattern: string): Promise<string[]> {
  if (!picomatch.scan(pattern).isGlob) return [pattern.replace(/^\.\//, '')];
  const { paths } = await resolvePaths(ws, [pattern], [], [], 'cache:key:files');
  const isMatch = picomatch(pattern.replace(/^\.\//, ''), { dot: true });
  // resolvePaths brings a matched directory's contents too; the key covers the matched files themselves.
  return paths.filter((p) => isMatch(p));
}

/** The SHA of the last commit that changed `pathspec`, or undefined (no repository, no such commit). */
function lastCommitFor(ws: string, pathspec: string): string | undefined {
  const r = spawnSync('git', ['log', '-1', '--format=%H', '--', pathspec], { cwd: ws, encoding: 'utf8' });
  const sha = r.status === 0 ? r.stdout.trim() : '';
  return /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
}
