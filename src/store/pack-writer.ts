// Writes small files into one pack: their contents back to back in a single store file, each hashed on the way.
// One sequential file instead of thousands of blob files is what makes saving a cache of many small files cheap.
// The pack is written to the store's tmp/ and renamed into place under a name derived from its contents, so a
// reader never sees a partial pack. It is not fsynced: readers verify every file's hash (see pack-reader.ts), so
// a pack torn by a power loss is detected and treated as a miss instead of being restored.
import { createHash } from 'node:crypto';
import { closeSync, constants as fsc, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError } from './errors.js';
import { STORE_DIR_MODE, STORE_FILE_MODE, type Store } from './store.js';
import { giveBuffer, IO_BUFFER_SIZE, takeBuffer } from './buffers.js';

/** Files up to this size go into packs; larger ones are stored as blobs of their own. */
export const PACK_FILE_MAX = IO_BUFFER_SIZE;

export interface PackedFile {
  sha256: string;
  size: number;
  offset: number;
}

export class PackWriter {
  private readonly tmp: string;
  private fd: number | null = null;
  private buf = takeBuffer();
  private fill = 0;
  /** Bytes already written to the pack file (the buffer starts at this offset). */
  private written = 0;
  private readonly index = createHash('sha256');
  private readonly seen = new Map<string, PackedFile>();
  private count = 0;

  constructor(private readonly store: Store) {
    this.tmp = store.tempPath();
  }

  /** Appends one file's content (read synchronously) and returns where it lies in the pack. */
  add(absPath: string): PackedFile {
    let fd: number;
    try {
      // Never through a symlink put in place of the file after the collector checked it (a job's leftover).
      fd = openSync(absPath, fsc.O_RDONLY | fsc.O_NOFOLLOW);
    } catch (e) {
      throw new StoreError(`cannot read ${absPath}: ${(e as Error).message}`, { cause: e });
    }
    const offset = this.written + this.fill;
    const h = createHash('sha256');
    let size = 0;
    let flushed = false;
    try {
      for (;;) {
        if (this.fill === this.buf.length) {
          this.flush();
          flushed = true;
        }
        const start = this.fill;
        const n = readSync(fd, this.buf, start, this.buf.length - start, null);
        if (n === 0) break;
        h.update(this.buf.subarray(start, start + n));
        this.fill += n;
        size += n;
      }
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError(`cannot read ${absPath}: ${(e as Error).message}`, { cause: e });
    } finally {
      closeSync(fd);
    }
    const sha256 = h.digest('hex');
    const same = this.seen.get(sha256);
    // The same content twice in one pack is stored once (when it is still only in the buffer).
    if (same && !flushed) {
      this.fill -= size;
      return same;
    }
    const rec = { sha256, size, offset };
    this.seen.set(sha256, rec);
    this.index.update(`${sha256} ${size}\n`);
    this.count++;
    return rec;
  }

  /** Finishes the pack and renames it into place; returns its id, or null when nothing was added. */
  finish(): string | null {
    if (this.count === 0) {
      this.abort();
      return null;
    }
    this.flush();
    // Only empty files were added: the pack is an empty file, but it must exist (readers open it).
    if (this.fd === null) this.openTemp();
    this.closeFd();
    this.release();
    const id = this.index.digest('hex');
    const dest = this.store.packPath(id);
    try {
      try {
        renameSync(this.tmp, dest);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        mkdirSync(dirname(dest), { recursive: true, mode: STORE_DIR_MODE });
        renameSync(this.tmp, dest);
      }
    } catch (e) {
      this.abort();
      throw new StoreError(`cannot write to the store at ${this.store.root}: ${(e as Error).message}`, { cause: e });
    }
    return id;
  }

  /** Drops the temp file (after an error, or when nothing was added). */
  abort(): void {
    this.closeFd();
    this.release();
    rmSync(this.tmp, { force: true });
  }

  private flush(): void {
    if (this.fill === 0) return;
    const fd = this.fd ?? this.openTemp();
    try {
      let off = 0;
      while (off < this.fill) off += writeSync(fd, this.buf, off, this.fill - off);
    } catch (e) {
      this.abort();
      throw new StoreError(`cannot write to the store at ${this.store.root}: ${(e as Error).message}`, { cause: e });
    }
    this.written += this.fill;
    this.fill = 0;
  }

  private openTemp(): number {
    try {
      this.fd = openSync(this.tmp, 'wx', STORE_FILE_MODE);
      return this.fd;
    } catch (e) {
      this.abort();
      throw new StoreError(`cannot write to the store at ${this.store.root}: ${(e as Error).message}`, { cause: e });
    }
  }

  private release(): void {
    if (this.buf.length) giveBuffer(this.buf);
    this.buf = Buffer.alloc(0);
  }

  private closeFd(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } finally {
      this.fd = null;
    }
  }
}
