// Content-addressed store for caches and artifacts. An entry (a cache key, a job's artifacts) is a JSON manifest
// listing paths → contents. Small files live in packs (their contents back to back, see pack-writer.ts), large
// ones in blobs named by their sha256. Packs and blobs are complete before they get their name (temp → rename),
// manifests are written temp → fsync → rename, so a reader sees an old entry or a new one, never a partial one;
// writers of one key each write a complete manifest and the last rename wins. Blobs are fsynced before their
// rename; packs are not, instead every file read from a pack is checked against its hash, so a pack torn by a
// power loss (or changed behind the store's back) is refused, never restored. Blobs are checked too, while they
// are copied out (copyBlobTo), so a changed blob is refused the same way.
// Entries belong to a project: a store opened for project P names and reads only P's entries, so projects that
// share a store (--store, runner.cache_dir) never see each other's caches or artifacts. Packs and blobs are
// shared (same content, same name). The store is private to its user: directories 0700, files 0600.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { StoreDamagedError, StoreError } from './errors.js';
import { giveBuffer, takeBuffer } from './buffers.js';

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
  /** The project the entry belongs to (absent: written by a store opened without a project). */
  project?: string;
}

const TEMP_MAX_AGE_MS = 60 * 60 * 1000;
/** Mode of a restored file whose record has none (version 1 entries). */
export const DEFAULT_FILE_MODE = 0o644;
/** Every directory and file the store makes is its user's alone (caches and artifacts may hold secrets). */
export const STORE_DIR_MODE = 0o700;
export const STORE_FILE_MODE = 0o600;

export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class Store {
  readonly root: string;
  /** The project whose entries this store reads and writes ('' only for tools that see no entries, like GC). */
  readonly project: string;
  private initDone: Promise<void> | undefined;

  constructor(root: string, project = '') {
    this.root = root;
    this.project = project;
  }

  packPath(id: string): string {
    return join(this.root, 'packs', id.slice(0, 2), `${id}.pack`);
  }

  blobPath(sha: string): string {
    return join(this.root, 'blobs', sha.slice(0, 2), sha);
  }

  entryPath(kind: EntryKind, key: string): string {
    // The project is part of the name: another project's entry of the same key is another file.
    return join(this.root, 'entries', kind, `${keyHash(this.project ? `${this.project}\0${key}` : key)}.json`);
  }

  tempPath(): string {
    return join(this.root, 'tmp', `${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /** Makes the store's directories (private) and sweeps dead writers' temp files; once per Store object. */
  init(): Promise<void> {
    this.initDone ??= this.prepare().catch((e: unknown) => {
      this.initDone = undefined;
      throw e;
    });
    return this.initDone;
  }

  private async prepare(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: STORE_DIR_MODE });
    // A store made by an older kiln (or by hand) is made private: nothing under a 0700 root is reachable by others.
    // (Best effort: a store directory owned by someone else keeps its mode; what kiln makes inside is private.)
    const st = await stat(this.root);
    if (st.mode & 0o077) await chmod(this.root, (st.mode & 0o700) | STORE_DIR_MODE).catch(() => undefined);
    for (const d of ['tmp', 'packs', 'blobs', 'entries', 'entries/cache', 'entries/artifacts']) {
      await mkdir(join(this.root, d), { mode: STORE_DIR_MODE }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
    }
    await this.sweepTemps();
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
      const copied = await copyHashing(src, tmp, STORE_FILE_MODE, { sync: true });
      // The file changed between hashing and copying: its name would lie about its content.
      if (copied.sha256 !== sha256) throw new Error(`${src} changed while it was being stored`);
      // Same name means same content: replacing a blob that appeared meanwhile changes nothing.
      await rename(tmp, dest).catch(async (e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
        await mkdir(join(this.root, 'blobs', sha256.slice(0, 2)), { recursive: true, mode: STORE_DIR_MODE });
        await rename(tmp, dest);
      });
    } catch (e) {
      await rm(tmp, { force: true });
      throw new StoreError(`cannot write to the store at ${this.root}: ${(e as Error).message}`, { cause: e });
    }
    return { sha256, size };
  }

  /**
   * Copies a blob out to dest (created with `mode`; whatever is at dest is replaced, never written through),
   * hashing it on the way: a blob whose content no longer matches its name is a StoreDamagedError and dest is
   * removed again. One read of the blob, no second pass over the copy.
   */
  async copyBlobTo(rec: FileRecord, dest: string, mode: number): Promise<void> {
    const src = this.blobPath(rec.sha256!);
    let got: { sha256: string; size: number };
    try {
      got = await copyHashing(src, dest, mode, { replace: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(src))) {
        throw new StoreDamagedError(`store entry refers to a missing blob ${rec.sha256} (${rec.path})`);
      }
      throw new StoreError(`cannot restore ${rec.path}: ${(e as Error).message}`, { cause: e });
    }
    if (got.sha256 !== rec.sha256 || (rec.size !== undefined && got.size !== rec.size)) {
      await rm(dest, { force: true });
      throw new StoreDamagedError(`damaged store blob ${rec.sha256}: ${rec.path} does not match its hash`);
    }
  }

  async writeEntry(manifest: Manifest): Promise<void> {
    try {
      const scoped: Manifest = this.project ? { ...manifest, project: this.project } : manifest;
      await writeFileAtomic(this.entryPath(manifest.kind, manifest.key), JSON.stringify(scoped), STORE_FILE_MODE);
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
      if ((m.version !== 1 && m.version !== 2) || !Array.isArray(m.files) || m.key !== key)
        throw new Error('not a kiln store entry');
      if ((m.project ?? '') !== this.project)
        throw new Error(`the entry belongs to another project (${m.project ?? 'none'})`);
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

/**
 * Copies src to a new file dest (mode as given, exclusive create; with `replace`, whatever is at dest is removed
 * first) and returns the sha256 and size of what was copied, hashed from the same buffers that were written.
 * A copy that fails midway is removed (a cut-short file never stays behind).
 */
async function copyHashing(
  src: string,
  dest: string,
  mode: number,
  o: { replace?: boolean; sync?: boolean } = {},
): Promise<{ sha256: string; size: number }> {
  const input = await open(src, 'r');
  try {
    let output;
    try {
      output = await open(dest, 'wx', mode);
    } catch (e) {
      if (!o.replace || (e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      await rm(dest, { recursive: true, force: true });
      output = await open(dest, 'wx', mode);
    }
    const buf = takeBuffer();
    try {
      const h = createHash('sha256');
      let size = 0;
      for (;;) {
        const { bytesRead } = await input.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        h.update(buf.subarray(0, bytesRead));
        let off = 0;
        while (off < bytesRead) off += (await output.write(buf, off, bytesRead - off, null)).bytesWritten;
        size += bytesRead;
      }
      // The umask may have taken bits off the mode given to open().
      if (((await output.stat()).mode & 0o7777) !== mode) await output.chmod(mode);
      if (o.sync) await output.sync();
      await output.close();
      return { sha256: h.digest('hex'), size };
    } catch (e) {
      await output.close().catch(() => undefined);
      await rm(dest, { force: true });
      throw e;
    } finally {
      giveBuffer(buf);
    }
  } finally {
    await input.close();
  }
}

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
