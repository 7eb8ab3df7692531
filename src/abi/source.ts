// Bounded random access to one file: positioned reads (pread) on an open descriptor, with every range checked
// against the file size. The first block is read once and serves the small header reads.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { ElfError } from './errors.js';

const HEAD_BYTES = 64 * 1024;
/** Largest single read the reader will ever make (a dynamic string table or symbol table). */
export const MAX_READ = 64 * 1024 * 1024;

export class ByteSource {
  readonly path: string;
  readonly size: number;
  private readonly fd: number;
  private head: Buffer;

  private constructor(path: string, fd: number, size: number, head: Buffer) {
    this.path = path;
    this.fd = fd;
    this.size = size;
    this.head = head;
  }

  /** Opens a file; returns null (and closes it) when its first 4 bytes are not the ELF magic. */
  static openElf(path: string): ByteSource | null {
    let fd: number;
    try {
      // Only regular files: opening a FIFO or a device could block or have side effects.
      if (!statSync(path).isFile()) return null;
      fd = openSync(path, 'r');
    } catch (err) {
      throw new ElfError(path, `cannot open: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) {
        closeSync(fd);
        return null;
      }
      const magic = Buffer.alloc(4);
      const n = readSync(fd, magic, 0, 4, 0);
      if (n < 4 || magic[0] !== 0x7f || magic[1] !== 0x45 || magic[2] !== 0x4c || magic[3] !== 0x46) {
        closeSync(fd);
        return null;
      }
      const headLen = Math.min(st.size, HEAD_BYTES);
      const head = Buffer.alloc(headLen);
      readFully(fd, head, 0, path);
      return new ByteSource(path, fd, st.size, head);
    } catch (err) {
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
      if (err instanceof ElfError) throw err;
      throw new ElfError(path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
  }

  /** Wraps bytes already in memory (tests, fuzzing). */
  static fromBuffer(path: string, data: Buffer): ByteSource {
    return new ByteSource(path, -1, data.length, data);
  }

  /** Returns exactly `length` bytes at `offset` or throws an ElfError naming `what`. */
  read(offset: number, length: number, what: string): Buffer {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new ElfError(this.path, `${what}: bad range (offset ${offset}, length ${length})`);
    }
    if (length > MAX_READ) throw new ElfError(this.path, `${what}: ${length} bytes is more than kiln will read`);
    if (offset + length > this.size) {
      throw new ElfError(
        this.path,
        `${what}: bytes ${offset}..${offset + length} lie past the end of the file (${this.size} bytes; truncated?)`,
      );
    }
    if (offset + length <= this.head.length) return this.head.subarray(offset, offset + length);
    const buf = Buffer.alloc(length);
    readFully(this.fd, buf, offset, this.path);
    return buf;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
  }
}

function readFully(fd: number, buf: Buffer, position: number, path: string): void {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n <= 0) throw new ElfError(path, `file shrank while reading (at byte ${position + done})`);
    done += n;
  }
}
