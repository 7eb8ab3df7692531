// Content-addressed store for caches and artifacts. An entry (a cache key, a job's artifacts) is a JSON manifest
// listing paths → contents. Small files live in packs (their contents back to back, see pack-writer.ts), large
// ones in blobs named by their sha256. Packs and blobs are complete before they get their name (temp → rename),
// manifests are written temp → fsync → rename, so a reader sees an old entry or a new one, never a partial one;
// writers of one key each write a complete manifest and the last rename wins. Blobs are fsynced before their
// rename; packs are not, instead every file read from a pack is checked against its hash, so a pack torn by a
// power loss (or changed behind the store's back) is refused, never restored.
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { chmod, copyFile, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { StoreDamagedError, StoreError } from './errors.js';

export type EntryKind = 'cache' | 'artifacts';

export interface FileRecord {
  path: string;
  /** Regular file: content hash, size and mode. */
  sha256?: string;
  size?: number;
  mode?: number;
  /** Where the content is: in this pack at this offset, else in the blob named by sha256. */
  pack?: string;
  offset?: number;
  /** Symlink target (kept as is; restore refuses targets that escape the destination). */
  symlink?: string;
  /** Directory (kept so empty directories survive). */
  dir?: boolean;
}

export interface Manifest {
  /** 1: every file is a blob; 2: files may live in packs. Both are read. */
  version: 1 | 2;
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

  packPath(id: string): string {
    return join(this.root, 'packs', id.slice(0, 2), `${id}.pack`);
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

  /** Adds a large file's content as a blob (hashed in chunks, copied by the kernel); returns its hash and size. */
  async putFile(src: string): Promise<{ sha256: string; size: number }> {
    let sha256: string;
    let size: number;
    try {
      ({ sha256, size } = await hashFile(src));
    } catch (e) {
      throw new StoreError(`cannot read ${src}: ${(e as Error).message}`, { cause: e });
    }
    const dest = this.blobPath(sha256);
    if (await exists(dest)) return { sha256, size };
    const tmp = this.tempPath();
    try {
      await copyFile(src, tmp, fsc.COPYFILE_FICLONE);
      await chmod(tmp, BLOB_MODE);
      // Blobs are few and large: they are made durable before they get their name, and trusted when read.
      const fh = await open(tmp, 'r');
      await fh.sync().finally(() => fh.close());
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
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new StoreDamagedError(`store entry refers to a missing blob ${rec.sha256} (${rec.path})`);
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
      if ((m.version !== 1 && m.version !== 2) || !Array.isArray(m.files) || m.key !== key) throw new Error('not a kiln store entry');
      return m;
    } catch (e) {
      throw new StoreError(`unreadable ${kind} entry "${key}" (${path}): ${(e as Error).message}`, { cause: e });
    }
  }

  /** Removes a damaged entry, unless another writer has replaced it with a new one meanwhile. */
  async dropDamaged(manifest: Manifest): Promise<void> {
    let now: Manifest | null = null;
    try {
      now = await this.readEntry(manifest.kind, manifest.key);
    } catch {
      /* unreadable: drop it */
    }
    if (now && (now.createdAt !== manifest.createdAt || now.files.length !== manifest.files.length)) return;
    await this.removeEntry(manifest.kind, manifest.key);
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

const HASH_CHUNK = 256 * 1024;

async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(HASH_CHUNK);
    const h = createHash('sha256');
    let size = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { sha256: h.digest('hex'), size };
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
