// Content-addressed store for caches and artifacts. Files are blobs named by their sha256; an entry (a cache
// key, a job's artifacts) is a JSON manifest listing paths → blobs. Blobs are complete before they get their
// name (temp → rename), manifests are written temp → fsync → rename, so a reader sees an old entry or a new
// one, never a partial one; writers of one key each write a complete manifest and the last rename wins.
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { chmod, copyFile, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { StoreError } from './errors.js';

export type EntryKind = 'cache' | 'artifacts';

export interface FileRecord {
  path: string;
  /** Regular file: blob hash, size and mode. */
  sha256?: string;
  size?: number;
  mode?: number;
  /** Symlink target (kept as is; restore refuses targets that escape the destination). */
  symlink?: string;
  /** Directory (kept so empty directories survive). */
  dir?: boolean;
}

export interface Manifest {
  version: 1;
  kind: EntryKind;
  key: string;
  createdAt: string;
  files: FileRecord[];
  /** Free-form data stored with the entry (artifact name, expiry, reports...). */
  meta?: Record<string, unknown>;
}

const TEMP_MAX_AGE_MS = 60 * 60 * 1000;
/** Blobs are never handed out as hardlinks (always copied), so their own mode is the common file mode. */
export const BLOB_MODE = 0o644;

export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class Store {
  readonly root: string;
  private swept = false;

  constructor(root: string) {
    this.root = root;
  }

  blobPath(sha: string): string {
    return join(this.root, 'blobs', sha.slice(0, 2), sha);
  }

  entryPath(kind: EntryKind, key: string): string {
    return join(this.root, 'entries', kind, `${keyHash(key)}.json`);
  }

  tempPath(): string {
    return join(this.root, 'tmp', `${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  async init(): Promise<void> {
    await mkdir(join(this.root, 'tmp'), { recursive: true });
    if (!this.swept) {
      this.swept = true;
      await this.sweepTemps();
    }
  }

  /** Removes temp files left by killed writers (old ones, or ones whose writer process is gone). */
  async sweepTemps(): Promise<number> {
    const dir = join(this.root, 'tmp');
    let removed = 0;
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      return 0;
    }
    const now = Date.now();
    for (const name of names) {
      const pid = Number(name.split('-')[0]);
      let dead = false;
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
        try {
          process.kill(pid, 0);
        } catch (e) {
          dead = (e as NodeJS.ErrnoException).code === 'ESRCH';
        }
      }
      try {
        const st = await stat(join(dir, name));
        if (dead || now - st.mtimeMs > TEMP_MAX_AGE_MS) {
          await rm(join(dir, name), { recursive: true, force: true });
          removed++;
        }
      } catch {
        /* raced with another sweeper */
      }
    }
    return removed;
  }

  /**
   * Adds a file's content as a blob; returns its hash and size. Files that fit one pooled buffer are read once
   * and written from memory; larger ones are hashed in chunks and copied by the kernel.
   */
  async putFile(src: string): Promise<{ sha256: string; size: number }> {
    const buf = freeBuffers.pop() ?? Buffer.allocUnsafe(BUFFER_SIZE);
    try {
      let sha256: string;
      let size: number;
      let whole: Buffer | undefined;
      try {
        ({ sha256, size, whole } = await hashFile(src, buf));
      } catch (e) {
        throw new StoreError(`cannot read ${src}: ${(e as Error).message}`, { cause: e });
      }
      const dest = this.blobPath(sha256);
      if (await exists(dest)) return { sha256, size };
      const tmp = this.tempPath();
      try {
        if (whole) await writeFile(tmp, whole, { mode: BLOB_MODE, flag: 'wx' });
        else {
          await copyFile(src, tmp, fsc.COPYFILE_FICLONE);
          await chmod(tmp, BLOB_MODE);
        }
        // Same name means same content: replacing a blob that appeared meanwhile changes nothing.
        await rename(tmp, dest).catch(async (e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
          await mkdir(join(this.root, 'blobs', sha256.slice(0, 2)), { recursive: true });
          await rename(tmp, dest);
        });
      } catch (e) {
        await rm(tmp, { force: true });
        throw new StoreError(`cannot write to the store at ${this.root}: ${(e as Error).message}`, { cause: e });
      }
      return { sha256, size };
    } finally {
      if (freeBuffers.length < 64) freeBuffers.push(buf);
    }
  }

  /** Copies a blob out (reflink where the filesystem can share blocks, else a kernel-side copy). */
  async copyBlobTo(rec: FileRecord, dest: string): Promise<void> {
    const src = this.blobPath(rec.sha256!);
    try {
      try {
        await copyFile(src, dest, fsc.COPYFILE_FICLONE | fsc.COPYFILE_EXCL);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        // Replace what is there (never write through an existing file or symlink).
        await rm(dest, { recursive: true, force: true });
        await copyFile(src, dest, fsc.COPYFILE_FICLONE | fsc.COPYFILE_EXCL);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new StoreError(`store entry refers to a missing blob ${rec.sha256} (${rec.path})`);
      throw new StoreError(`cannot restore ${rec.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  async writeEntry(manifest: Manifest): Promise<void> {
    try {
      await writeFileAtomic(this.entryPath(manifest.kind, manifest.key), JSON.stringify(manifest));
    } catch (e) {
      throw new StoreError(`cannot save ${manifest.kind} "${manifest.key}": ${(e as Error).message}`, { cause: e });
    }
  }

  /** The entry for a key, or null when there is none. An unreadable entry is an error the caller reports. */
  async readEntry(kind: EntryKind, key: string): Promise<Manifest | null> {
    const path = this.entryPath(kind, key);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new StoreError(`cannot read ${kind} "${key}" (${path}): ${(e as Error).message}`, { cause: e });
    }
    try {
      const m = JSON.parse(text) as Manifest;
      if (m.version !== 1 || !Array.isArray(m.files) || m.key !== key) throw new Error('not a kiln store entry');
      return m;
    } catch (e) {
      throw new StoreError(`unreadable ${kind} entry "${key}" (${path}): ${(e as Error).message}`, { cause: e });
    }
  }

  async removeEntry(kind: EntryKind, key: string): Promise<void> {
    const path = this.entryPath(kind, key);
    const tmp = this.tempPath();
    try {
      await rename(path, tmp);
      await rm(tmp, { force: true });
    } catch {
      /* not there */
    }
  }
}

const BUFFER_SIZE = 256 * 1024;
const freeBuffers: Buffer[] = [];

/** Hashes a file; `whole` is its content when it fit in the buffer (a view of `buf`). */
async function hashFile(path: string, buf: Buffer): Promise<{ sha256: string; size: number; whole?: Buffer }> {
  const fh = await open(path, 'r');
  try {
    const h = createHash('sha256');
    let size = 0;
    let first = 0;
    for (let round = 0; ; round++) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      if (round === 0) first = bytesRead;
      h.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { sha256: h.digest('hex'), size, whole: size === first ? buf.subarray(0, size) : undefined };
  } finally {
    await fh.close();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
