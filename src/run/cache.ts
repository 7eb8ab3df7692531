// Job caches: key expansion (key:files hashes file contents, prefix), restore with fallback keys before the
// scripts, save by policy and `when` after them. Entries live in the content-addressed store.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CacheSpec } from '../pipeline/model.js';
import { expandString } from '../pipeline/variables/expand.js';
import type { FileRecord, Manifest, Store } from '../store/store.js';
import { restoreTree, saveTree } from '../store/tree.js';
import { mapLimit } from '../util/map-limit.js';
import { trace } from './trace.js';
import { resolvePaths } from './paths.js';
import type { JobOutput } from './output.js';

export interface CacheContext {
  store: Store;
  ws: string;
  ci: Record<string, string>;
  out: JobOutput;
  untracked: () => Promise<string[]>;
}

export type CacheOutcome = 'hit' | 'fallback' | 'miss' | 'error';

export interface CacheRestore {
  key: string;
  outcome: CacheOutcome;
  /** Manifest restored (to skip re-saving an unchanged cache). */
  restored?: Manifest;
  /** stat identity of restored files, path → "ino:size:mtime". */
  identity?: Map<string, string>;
}

export async function cacheKey(spec: CacheSpec, ws: string, ci: Record<string, string>): Promise<string> {
  const lookup = (n: string) => ci[n];
  if (typeof spec.key === 'string') {
    const k = expandString(spec.key, lookup).trim();
    return k === '' ? 'default' : k;
  }
  const h = createHash('sha256');
  let found = 0;
  for (const f of spec.key.files) {
    const rel = expandString(f, lookup);
    try {
      const data = await readFile(join(ws, rel));
      h.update(`${rel}\0${data.length}\0`).update(data);
      found++;
    } catch {
      h.update(`${rel}\0missing\0`);
    }
  }
  const digest = found ? h.digest('hex').slice(0, 40) : 'default';
  const prefix = spec.key.prefix ? expandString(spec.key.prefix, lookup) : '';
  return prefix ? `${prefix}-${digest}` : digest;
}

function identityOf(st: { ino: number; size: number; mtimeMs: number }): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

export async function restoreCache(spec: CacheSpec, ctx: CacheContext): Promise<CacheRestore> {
  const key = await cacheKey(spec, ctx.ws, ctx.ci);
  if (spec.policy === 'push') {
    ctx.out.info(`Not downloading cache ${key} due to policy`);
    return { key, outcome: 'miss' };
  }
  const fallbacks = [...spec.fallbackKeys.map((k) => expandString(k, (n) => ctx.ci[n])), ...(ctx.ci.CACHE_FALLBACK_KEY ? [ctx.ci.CACHE_FALLBACK_KEY] : [])];
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
    try {
      await restoreTree(ctx.store, entry.files, ctx.ws);
      trace(`cache ${k}: files restored`);
    } catch (e) {
      ctx.out.info(`WARNING: cannot restore cache ${k}: ${(e as Error).message}`, 'yellow');
      return { key, outcome: 'error' };
    }
    const identity = new Map<string, string>();
    await mapLimit(entry.files.filter((f) => f.sha256), 32, async (f) => {
      try {
        identity.set(f.path, identityOf(await stat(join(ctx.ws, f.path))));
      } catch {
        /* gone */
      }
    });
    ctx.out.info(`Successfully extracted cache ${k} (${entry.files.filter((f) => f.sha256).length} files)`, 'green');
    return { key, outcome: i === 0 ? 'hit' : 'fallback', restored: i === 0 ? entry : undefined, identity: i === 0 ? identity : undefined };
  }
  ctx.out.info(`WARNING: cache ${key} not found; continuing without it`, 'yellow');
  return { key, outcome: 'miss' };
}

export function shouldSaveCache(spec: CacheSpec, jobSucceeded: boolean): boolean {
  if (spec.policy === 'pull') return false;
  if (spec.when === 'always') return true;
  return spec.when === 'on_success' ? jobSucceeded : !jobSucceeded;
}

export async function saveCache(spec: CacheSpec, restore: CacheRestore, ctx: CacheContext): Promise<'saved' | 'unchanged' | 'empty' | 'error'> {
  const key = await cacheKey(spec, ctx.ws, ctx.ci);
  ctx.out.info(`Creating cache ${key}...`);
  try {
    const extra = spec.untracked ? await ctx.untracked() : [];
    const { paths, unmatched } = await resolvePaths(ctx.ws, spec.paths, [], extra, 'cache:paths');
    for (const u of unmatched) ctx.out.info(`WARNING: ${u}: no matching files. Ensure that the cache path is relative to the project directory`, 'yellow');
    if (paths.length === 0) {
      ctx.out.info('WARNING: no files to cache; not saving', 'yellow');
      return 'empty';
    }
    // Files restored from this very key and untouched since keep their known hash: no re-read.
    const known = new Map<string, FileRecord>();
    if (restore.restored && restore.key === key) for (const f of restore.restored.files) known.set(f.path, f);
    const fresh: string[] = [];
    const reused: FileRecord[] = [];
    await mapLimit(paths, 32, async (p) => {
      const k = known.get(p);
      const id = restore.identity?.get(p);
      if (k?.sha256 && id) {
        try {
          const st = await stat(join(ctx.ws, p));
          if (identityOf(st) === id && st.isFile()) {
            reused.push({ ...k, mode: st.mode & 0o7777 });
            return;
          }
        } catch {
          /* changed */
        }
      }
      fresh.push(p);
    });
    const files = [...reused, ...(await saveTree(ctx.store, ctx.ws, fresh))].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    if (restore.restored && restore.key === key && sameFiles(restore.restored.files, files)) {
      ctx.out.info(`Cache ${key} is unchanged; not saving`, 'green');
      return 'unchanged';
    }
    await ctx.store.writeEntry({ version: 1, kind: 'cache', key, createdAt: new Date().toISOString(), files });
    ctx.out.info(`Created cache ${key} (${files.filter((f) => f.sha256).length} files)`, 'green');
    return 'saved';
  } catch (e) {
    ctx.out.info(`ERROR: cannot save cache ${key}: ${(e as Error).message} (the previous entry is intact)`, 'red');
    return 'error';
  }
}

function sameFiles(a: FileRecord[], b: FileRecord[]): boolean {
  if (a.length !== b.length) return false;
  const m = new Map(a.map((f) => [f.path, f]));
  return b.every((f) => {
    const o = m.get(f.path);
    return o !== undefined && o.sha256 === f.sha256 && o.symlink === f.symlink && Boolean(o.dir) === Boolean(f.dir) && o.mode === f.mode;
  });
}
