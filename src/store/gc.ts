// Store garbage collection: expired artifact entries go, then packs and blobs no entry refers to, parked trees
// of contents no cache entry has any more, and temp files of dead writers. Packs and blobs younger than a grace
// period are kept, because a writer renames its pack into place before it writes the manifest naming it.
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STORE_FILE_MODE, type Manifest, type Store } from './store.js';
import { treeIdOf } from './pool.js';

const GC_GRACE_MS = 10 * 60 * 1000;

export interface GcOptions {
  now?: number;
  graceMs?: number;
  dryRun?: boolean;
}

export interface GcResult {
  expiredEntries: string[];
  packs: number;
  blobs: number;
  parkedTrees: number;
  temps: number;
  /** Bytes of packs and blobs removed (or that would be). */
  bytes: number;
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function readManifests(
  store: Store,
  kind: 'cache' | 'artifacts',
): Promise<{ file: string; m: Manifest | null }[]> {
  const dir = join(store.root, 'entries', kind);
  const out: { file: string; m: Manifest | null }[] = [];
  for (const name of await list(dir)) {
    if (!name.endsWith('.json')) continue;
    const file = join(dir, name);
    try {
      out.push({ file, m: JSON.parse(await readFile(file, 'utf8')) as Manifest });
    } catch {
      out.push({ file, m: null });
    }
  }
  return out;
}

export async function collectGarbage(store: Store, o: GcOptions = {}): Promise<GcResult> {
  const now = o.now ?? Date.now();
  const grace = o.graceMs ?? GC_GRACE_MS;
  const result: GcResult = { expiredEntries: [], packs: 0, blobs: 0, parkedTrees: 0, temps: 0, bytes: 0 };
  const packs = new Set<string>();
  const blobs = new Set<string>();
  const trees = new Set<string>();
  let unreadable = false;
  for (const kind of ['cache', 'artifacts'] as const) {
    for (const { file, m } of await readManifests(store, kind)) {
      if (!m || !Array.isArray(m.files)) {
        // An entry that cannot be read keeps everything: better some garbage than a wrong deletion.
        unreadable = true;
        continue;
      }
      const expireAt = kind === 'artifacts' ? m.meta?.expireAt : undefined;
      if (typeof expireAt === 'string' && Date.parse(expireAt) < now) {
        result.expiredEntries.push(m.key);
        if (!o.dryRun) await rm(file, { force: true });
        continue;
      }
      for (const f of m.files) {
        if (f.pack) packs.add(f.pack);
        else if (f.sha256) blobs.add(f.sha256);
      }
      if (kind === 'cache') trees.add(treeIdOf(m.files));
    }
  }
  if (!unreadable) {
    const sweep = async (top: string, live: (name: string) => boolean, count: 'packs' | 'blobs') => {
      for (const sub of await list(top)) {
        for (const name of await list(join(top, sub))) {
          if (live(name)) continue;
          const p = join(top, sub, name);
          try {
            const st = await stat(p);
            if (now - st.mtimeMs < grace) continue;
            if (!o.dryRun) await rm(p, { force: true });
            result[count]++;
            result.bytes += st.size;
          } catch {
            /* removed meanwhile */
          }
        }
      }
    };
    await sweep(join(store.root, 'packs'), (n) => packs.has(n.replace(/\.pack$/, '')), 'packs');
    await sweep(join(store.root, 'blobs'), (n) => blobs.has(n), 'blobs');
    for (const t of await list(join(store.root, 'pool'))) {
      if (trees.has(t)) continue;
      if (!o.dryRun) await rm(join(store.root, 'pool', t), { recursive: true, force: true });
      result.parkedTrees++;
    }
  }
  if (!o.dryRun) result.temps = await store.sweepTemps();
  return result;
}

const STAMP = 'gc-stamp';

/** Runs collectGarbage when the last run is older than `everyMs` (at the end of `kiln run`). */
export async function collectGarbageIfDue(store: Store, everyMs: number): Promise<GcResult | null> {
  const stamp = join(store.root, STAMP);
  try {
    if (Date.now() - (await stat(stamp)).mtimeMs < everyMs) return null;
  } catch {
    /* never ran */
  }
  await writeFile(stamp, `${new Date().toISOString()}\n`, { mode: STORE_FILE_MODE });
  return collectGarbage(store);
}
