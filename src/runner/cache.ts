// Caches of runner jobs, kept on this machine like GitLab Runner's local cache (cache_dir/<project path>/<key>/
// cache.zip): scoped by runner and project so two projects or two runners never share an entry, and restored
// by key then fallback_keys (GitLab Runner's order). policy pull / push / pull-push and when on_success /
// on_failure / always as spec.Cache. Crash-safety: an archive is written to a temp file, fsynced and renamed
// (util/atomic.ts), so a reader sees the previous archive or the new one, never half of one.
// Distributed caches (S3, GCS, Azure: [runners.cache] Type) are not built: config.toml's settings for them are
// listed as ignored.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { resolvePaths } from '../run/job/paths.js';
import { expandString } from '../pipeline/variables/expand.js';
import type { PayloadCache } from './api-types.js';
import { unzipTo, zipPaths } from './archive.js';

export interface CacheScope {
  /** cache_dir (or the work dir's "cache"). */
  root: string;
  runner: string;
  projectPath: string;
}

function archivePath(scope: CacheScope, key: string): string {
  // Keys may hold "/" or "..": the file name is a hash, the readable key is kept beside it only in logs.
  const name = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return join(scope.root, scope.runner.replace(/[^A-Za-z0-9_.-]/g, '_'), scope.projectPath.replace(/[^A-Za-z0-9_./-]/g, '_').replace(/\.\.+/g, '_'), name, 'cache.zip');
}

function keyOf(c: PayloadCache, env: Record<string, string>): string {
  const k = expandString(c.key || 'default', (n) => env[n]);
  return k || 'default';
}

function pulls(c: PayloadCache): boolean {
  return c.policy !== 'push';
}

function pushes(c: PayloadCache, success: boolean): boolean {
  if (c.policy === 'pull') return false;
  const when = c.when || 'on_success';
  return when === 'always' || (when === 'on_success' ? success : !success);
}

export async function restoreCaches(caches: PayloadCache[], scope: CacheScope, ws: string, env: Record<string, string>, out: (l: string) => void): Promise<void> {
  for (const c of caches) {
    if (!pulls(c)) {
      out(`Not downloading cache ${keyOf(c, env)} due to policy`);
      continue;
    }
    const keys = [keyOf(c, env), ...(c.fallback_keys ?? []).map((k) => expandString(k, (n) => env[n]))];
    let restored = false;
    for (const key of keys) {
      let zip: Buffer;
      try {
        zip = await readFile(archivePath(scope, key));
      } catch {
        continue;
      }
      out(`Checking cache for ${key}...`);
      const n = await unzipTo(ws, zip);
      out(`Successfully extracted cache (${n} files)`);
      restored = true;
      break;
    }
    if (!restored) out(`No cache found for ${keys[0]}`);
  }
}

export async function saveCaches(caches: PayloadCache[], scope: CacheScope, ws: string, env: Record<string, string>, success: boolean,
  untracked: () => Promise<string[]>, out: (l: string) => void): Promise<void> {
  for (const c of caches) {
    const key = keyOf(c, env);
    if (!pushes(c, success)) {
      out(`Not uploading cache ${key} due to policy`);
      continue;
    }
    const patterns = (c.paths ?? []).map((p) => expandString(p, (n) => env[n]));
    const resolved = await resolvePaths(ws, patterns, [], c.untracked ? await untracked() : [], 'cache path');
    for (const u of resolved.unmatched) out(`WARNING: ${u}: no matching files. Ensure that the artifact path is relative to the working directory`);
    if (!resolved.paths.length) {
      out(`WARNING: No cache paths matched for ${key}; not saving`);
      continue;
    }
    await writeFileAtomic(archivePath(scope, key), await zipPaths(ws, resolved.paths));
    out(`Created cache ${key} (${resolved.paths.length} entries)`);
  }
}
