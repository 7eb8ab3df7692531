// Saving a set of workspace paths into the store and restoring them into another directory.
import { chmod, lstat, mkdir, readlink, rm, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { mapLimit } from '../util/map-limit.js';
import { BLOB_MODE, type FileRecord, type Store } from './store.js';
import { StoreError } from './errors.js';

const PARALLEL = 32;

/** Whether a relative path stays inside its base directory. */
export function isContained(rel: string): boolean {
  if (!rel || isAbsolute(rel)) return false;
  const n = normalize(rel);
  return n !== '..' && !n.startsWith(`..${sep}`);
}

/** Stores the given paths (relative to baseDir; files, directories and symlinks, as listed) as blobs. */
export async function saveTree(store: Store, baseDir: string, paths: string[]): Promise<FileRecord[]> {
  await store.init();
  return mapLimit(paths, PARALLEL, async (rel): Promise<FileRecord> => {
    const abs = join(baseDir, rel);
    const st = await lstat(abs);
    if (st.isSymbolicLink()) return { path: rel, symlink: await readlink(abs) };
    if (st.isDirectory()) return { path: rel, dir: true, mode: st.mode & 0o7777 };
    const { sha256, size } = await store.putFile(abs);
    return { path: rel, sha256, size, mode: st.mode & 0o7777 };
  });
}

/** Restores records into destDir (existing files are replaced). Returns the number of files restored. */
export async function restoreTree(store: Store, files: FileRecord[], destDir: string): Promise<number> {
  for (const f of files) {
    if (!isContained(f.path)) throw new StoreError(`store entry has a path outside its directory: ${f.path}`);
  }
  const dirs = new Set<string>();
  for (const f of files) {
    if (f.dir) dirs.add(join(destDir, f.path));
    else dirs.add(dirname(join(destDir, f.path)));
  }
  // Only the deepest directories need a (recursive) mkdir; they go in parallel.
  const parents = new Set([...dirs].map((d) => dirname(d)));
  const leaves = [...dirs].filter((d) => !parents.has(d));
  await mapLimit(leaves.length ? leaves : [destDir], PARALLEL, async (d) => {
    try {
      await mkdir(d, { recursive: true });
    } catch (e) {
      throw new StoreError(`cannot create ${d}: ${(e as Error).message}`, { cause: e });
    }
  });
  let count = 0;
  await mapLimit(files, PARALLEL, async (f) => {
    if (f.dir) return;
    const dest = join(destDir, f.path);
    if (f.symlink !== undefined) {
      await rm(dest, { recursive: true, force: true });
      await symlink(f.symlink, dest);
    } else {
      await store.copyBlobTo(f, dest);
      const mode = (f.mode ?? BLOB_MODE) | 0o200;
      if (mode !== BLOB_MODE) await chmod(dest, mode);
    }
    count++;
  });
  for (const f of files) if (f.dir && f.mode !== undefined) await chmod(join(destDir, f.path), f.mode | 0o700).catch(() => undefined);
  return count;
}
