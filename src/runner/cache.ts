// Caches of runner jobs, kept in kiln's content-addressed store (src/store/: packs, blobs, manifests written
// temp → fsync → rename, so a reader sees the previous entry or the new one, never half of one; damaged content
// is refused, never restored). Entries are keyed "runner/<runner>/<project path>/<cache key>", so two runners or
// two projects never share one (GitLab Runner's local cache is per runner and project too). Restored by key then
// fallback_keys (GitLab Runner's order); policy pull / push / pull-push and when on_success / on_failure / always
// as spec.Cache. Distributed caches (S3, GCS, Azure: [runners.cache] Type) are not built: config.toml's settings
// for them are listed as ignored, and each machine has its own caches.
import { resolvePaths } from '../run/job/paths.js';
import { expandString } from '../pipeline/variables/expand.js';
import { Store, type Manifest } from '../store/store.js';
import { restoreTree, saveTree } from '../store/tree.js';
import { StoreDamagedError } from '../store/errors.js';
import type { PayloadCache } from './api-types.js';

export interface CacheScope {
  /** The store directory: cache_dir (or the work dir's "cache"). */
  root: string;
  runner: string;
  projectPath: string;
}

/** The store key of a cache key (the store names entries by a hash of it, so any characters are fine). */
function entryKey(scope: CacheScope, key: string): string {
  return `runner/${scope.runner}/${scope.projectPath}/${key}`;
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

export async function restoreCaches(
  caches: PayloadCache[],
  scope: CacheScope,
  ws: string,
  env: Record<string, string>,
  out: (l: string) => void,
): Promise<void> {
  const store = new Store(scope.root);
  for (const c of caches) {
    if (!pulls(c)) {
      out(`Not downloading cache ${keyOf(c, env)} due to policy`);
      continue;
    }
    const keys = [keyOf(c, env), ...(c.fallback_keys ?? []).map((k) => expandString(k, (n) => env[n]))];
    let restored = false;
    for (const key of keys) {
      let entry: Manifest | null;
      try {
        entry = await store.readEntry('cache', entryKey(scope, key));
      } catch (e) {
        out(`WARNING: ${(e as Error).message}; ignoring this cache`);
        continue;
      }
      if (!entry) continue;
      out(`Checking cache for ${key}...`);
      try {
        await restoreTree(store, entry.files, ws);
      } catch (e) {
        if (!(e instanceof StoreDamagedError)) throw e;
        out(`WARNING: cache ${key} is damaged (${e.message}); dropping it`);
        await store.dropDamaged(entry);
        continue;
      }
      out(`Successfully extracted cache (${entry.files.filter((f) => f.sha256).length} files)`);
      restored = true;
      break;
    }
    if (!restored) out(`No cache found for ${keys[0]}`);
  }
}

export async function saveCaches(
  caches: PayloadCache[],
  scope: CacheScope,
  ws: string,
  env: Record<string, string>,
  success: boolean,
  untracked: () => Promise<string[]>,
  out: (l: string) => void,
): Promise<void> {
  const store = new Store(scope.root);
  for (const c of caches) {
    const key = keyOf(c, env);
    if (!pushes(c, success)) {
      out(`Not uploading cache ${key} due to policy`);
      continue;
    }
    const patterns = (c.paths ?? []).map((p) => expandString(p, (n) => env[n]));
    const resolved = await resolvePaths(ws, patterns, [], c.untracked ? await untracked() : [], 'cache path');
    for (const u of resolved.unmatched)
      out(`WARNING: ${u}: no matching files. Ensure that the artifact path is relative to the working directory`);
    if (!resolved.paths.length) {
      out(`WARNING: No cache paths matched for ${key}; not saving`);
      continue;
    }
    const files = await saveTree(store, ws, resolved.paths);
    await store.writeEntry({
      version: 2,
      kind: 'cache',
      key: entryKey(scope, key),
      createdAt: new Date().toISOString(),
      files,
    });
    out(`Created cache ${key} (${resolved.paths.length} entries)`);
  }
}
