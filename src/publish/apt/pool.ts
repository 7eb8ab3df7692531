// The pool: staging incoming files on the pool's filesystem, and moving them into place durably before any
// index that names them becomes visible.
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fsyncDir } from '../../util/atomic.js';
import { processAlive } from '../../util/process-alive.js';

/** A private staging directory under pool/; staging dirs left by dead processes (killed publishes) are removed. */
export async function createStaging(repo: string): Promise<string> {
  const pool = join(repo, 'pool');
  for (const name of await readdir(pool).catch(() => [] as string[])) {
    const m = /^\.kiln-staging-(\d+)-/.exec(name);
    if (m && !processAlive(Number(m[1]))) await rm(join(pool, name), { recursive: true, force: true });
  }
  const dir = join(pool, `.kiln-staging-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** sha256 of the pool file at `path`, "absent", or "different" when its size already differs. */
export async function existingPoolHash(path: string, size: number): Promise<string | 'absent' | 'different'> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return 'absent';
  if (st.size !== size) return 'different';
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Renames staged files (already flushed to disk when staged) to their pool paths; makes the renames durable. */
export async function commitToPool(items: { staged: string; path: string }[]): Promise<void> {
  for (const w of items) {
    await mkdir(dirname(w.path), { recursive: true });
    await rename(w.staged, w.path);
  }
  for (const dir of new Set(items.map((w) => dirname(w.path)))) await fsyncDir(dir);
}
