// Job caches: key expansion (key:files hashes file contents, prefix), restore with fallback keys before the
// scripts, save by policy and `when` after them. Entries live in the content-addressed store.
// The key is computed once, before the job's scripts, and the save uses that same key: GitLab fixes a job's cache
// key (cache:key:files included) before the job runs, so a job that rewrites its key file (npm install rewrites
// package-lock.json) still saves under the key the next run will look for.
import { join } from 'node:path';
import type { CacheSpec } from '../../pipeline/model.js';
import { expandString } from '../../pipeline/variables/expand.js';
import type { FileRecord, Manifest, Store } from '../../store/store.js';
import { restoreTree, saveTree, type KnownFile } from '../../store/tree.js';
import { StoreDamagedError } from '../../store/errors.js';
import { claim, dropParked, sameFilesystem, treeIdOf } from '../../store/pool.js';
import { trace } from '../../util/trace.js';
import { resolvePaths } from './paths.js';
import { keyFilesDigest } from './cache-key-files.js';
import type { JobOutput } from '../output/job-output.js';

export interface CacheContext {
  store: Store;
  ws: string;
  ci: Record<string, string>;
  out: JobOutput;
  untracked: () => Promise<string[]>;
  /** Take parked trees (see store/pool.ts) when restoring. */
  pool?: boolean;
}

/** 'push': policy push never restores, so it never misses (the summary's CACHE column says so). */
export type CacheOutcome = 'hit' | 'fallback' | 'miss' | 'push' | 'error';

export interface CacheRestore {
  key: string;
  outcome: CacheOutcome;
  /** The entry restored (the key's or a fallback key's): to skip re-saving an unchanged cache, and to park it. */
  restored?: Manifest;
  /** stat identity of restored files (see identityOf). */
  identity?: Map<string, string>;
}

export async function cacheKey(spec: CacheSpec, ws: string, ci: Record<string, string>): Promise<string> {
  const lookup = (n: string) => ci[n];
  if (typeof spec.key === 'string') {
    const k = expandString(spec.key, lookup).trim();
    return k === '' ? 'default' : k;
  }
  const digest = (await keyFilesDigest(spec.key, ws, lookup)) ?? 'default';
  const prefix = spec.key.prefix ? expandString(spec.key.prefix, lookup) : '';
  return prefix ? `${prefix}-${digest}` : digest;
}

export async function restoreCache(spec: CacheSpec, ctx: CacheContext): Promise<CacheRestore> {
  const key = await cacheKey(spec, ctx.ws, ctx.ci);
  if (spec.policy === 'push') {
    ctx.out.info(`Not downloading cache ${key} due to policy`);
    return { key, outcome: 'push' };
  }
  const fallbacks = [
    ...spec.fallbackKeys.map((k) => expandString(k, (n) => ctx.ci[n])),
    ...(ctx.ci.CACHE_FALLBACK_KEY ? [ctx.ci.CACHE_FALLBACK_KEY] : []),
  ];
  const candidates = [key, ...fallbacks.filter((k) => k && k !== key)];
  for (let i = 0; i < candidates.length; i++) {
    const k = candidates[i];
    ctx.out.info(`Checking cache for ${k}...`);
    let entry: Manifest | null;
    try {
      entry = await ctx.store.readEntry('cache', k);
    } catch (e) {
      ctx.out.info(`WARNING: ${(e as Error).message}; ignoring this cache`, 'yellow');
      continue;
    }
    if (!entry) continue;
    trace(`cache ${k}: entry read`);
    let identity: Map<string, string> | null = null;
    let parked = false;
    try {
      // A tree parked by an earlier job is taken with a rename; otherwise the files are written from the store.
      if (ctx.pool && sameFilesystem(ctx.store, ctx.ws)) identity = claim(ctx.store, ctx.ws, entry.files);
      parked = identity !== null;
      if (!identity) ({ identity } = await restoreTree(ctx.store, entry.files, ctx.ws));
      trace(`cache ${k}: files restored`);
    } catch (e) {
      if (e instanceof StoreDamagedError) {
        // Damaged content is never restored; the entry is dropped so the next save writes it afresh.
        ctx.out.info(`WARNING: cache ${k} is damaged (${e.message}); dropping it`, 'yellow');
        await ctx.store.dropDamaged(entry);
        continue;
      }
      ctx.out.info(`WARNING: cannot restore cache ${k}: ${(e as Error).message}`, 'yellow');
      return { key, outcome: 'error' };
    }
    const count = entry.files.filter((f) => f.sha256).length;
    ctx.out.info(
      `Successfully extracted cache ${k} (${count} files${parked ? ', a parked tree moved in' : ''})`,
      'green',
    );
    return { key, outcome: i === 0 ? 'hit' : 'fallback', restored: entry, identity };
  }
  ctx.out.info(`WARNING: cache ${key} not found; continuing without it`, 'yellow');
  return { key, outcome: 'miss' };
}

export function shouldSaveCache(spec: CacheSpec, jobSucceeded: boolean): boolean {
  if (spec.policy === 'pull') return false;
  if (spec.when === 'always') return true;
  return spec.when === 'on_success' ? jobSucceeded : !jobSucceeded;
}

/** A cache tree in a finished job's workspace and the identities its files should still have (see pool.ts). */
export interface CacheTree {
  files: FileRecord[];
  identity: Map<string, string>;
}

export interface CacheSave {
  status: 'saved' | 'unchanged' | 'empty' | 'error';
  /** What the workspace now holds of this cache, when it is exactly an entry's content. */
  tree?: CacheTree;
}

/** The restored tree, for jobs that do not save (policy pull, `when` not met). */
export function restoredTree(restore: CacheRestore): CacheTree | undefined {
  return restore.restored && restore.identity
    ? { files: restore.restored.files, identity: restore.identity }
    : undefined;
}

/** Saves under `restore.key`, the key computed before the scripts ran (never recomputed from the job's files). */
export async function saveCache(spec: CacheSpec, restore: CacheRestore, ctx: CacheContext): Promise<CacheSave> {
  const key = restore.key;
  ctx.out.info(`Creating cache ${key}...`);
  try {
    const extra = spec.untracked ? await ctx.untracked() : [];
    const { paths, unmatched } = await resolvePaths(ctx.ws, spec.paths, [], extra, 'cache:paths');
    for (const u of unmatched)
      ctx.out.info(
        `WARNING: ${u}: no matching files. Ensure that the cache path is relative to the project directory`,
        'yellow',
      );
    if (paths.length === 0) {
      ctx.out.info('WARNING: no files to cache; not saving', 'yellow');
      return { status: 'empty', tree: restoredTree(restore) };
    }
    // Files restored from this very key and untouched since keep their stored record: no re-read.
    const known = new Map<string, KnownFile>();
    const same = restore.restored?.key === key ? restore.restored : undefined;
    if (same && restore.identity) {
      for (const f of same.files) {
        const identity = restore.identity.get(f.path);
        if (identity && f.sha256) known.set(f.path, { record: f, identity });
      }
    }
    const identity = new Map<string, string>();
    const files = (await saveTree(ctx.store, ctx.ws, paths, known, identity)).sort((a, b) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
    );
    if (same && sameFiles(same.files, files)) {
      ctx.out.info(`Cache ${key} is unchanged; not saving`, 'green');
      return { status: 'unchanged', tree: { files: same.files, identity } };
    }
    const previous = await ctx.store.readEntry('cache', key).catch(() => null);
    await ctx.store.writeEntry({ version: 2, kind: 'cache', key, createdAt: new Date().toISOString(), files });
    // Trees parked for the replaced content would never be asked for again.
    if (previous && treeIdOf(previous.files) !== treeIdOf(files)) await dropParked(ctx.store, previous.files);
    ctx.out.info(`Created cache ${key} (${files.filter((f) => f.sha256).length} files)`, 'green');
    return { status: 'saved', tree: { files, identity } };
  } catch (e) {
    ctx.out.info(`ERROR: cannot save cache ${key}: ${(e as Error).message} (the previous entry is intact)`, 'red');
    return { status: 'error' };
  }
}

function sameFiles(a: FileRecord[], b: FileRecord[]): boolean {
  if (a.length !== b.length) return false;
  const m = new Map(a.map((f) => [f.path, f]));
  return b.every((f) => {
    const o = m.get(f.path);
    return (
      o !== undefined &&
      o.sha256 === f.sha256 &&
      o.symlink === f.symlink &&
      Boolean(o.dir) === Boolean(f.dir) &&
      o.mode === f.mode
    );
  });
}
