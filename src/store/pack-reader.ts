// Reads files back out of a pack, in pack order, checking each file's size and sha256 before writing it.
// A pack that is missing, short or whose bytes do not match is a StoreError naming the entry's file: the caller
// treats the entry as damaged (a cache miss), never restores wrong content.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { StoreDamagedError, StoreError } from './errors.js';
import type { Slicer } from './slicer.js';
import { giveBuffer, takeBuffer } from './buffers.js';

export interface PackSlice {
  path: string;
  sha256: string;
  size: number;
  offset: number;
}

/**
 * Calls `write` with each file's verified content (a view into a reused buffer, valid during the call only).
 * Files are visited in offset order.
 */
export async function readPack(
  packPath: string,
  files: PackSlice[],
  slicer: Slicer,
  write: (f: PackSlice, data: Buffer) => void,
): Promise<void> {
  let fd: number;
  try {
    fd = openSync(packPath, 'r');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new (missing ? StoreDamagedError : StoreError)(
      missing ? `store entry refers to a missing pack ${packPath}` : `cannot read ${packPath}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  // Pack files are at most one buffer long, so a window starting at a file always holds all of it.
  const buf = takeBuffer();
  let winStart = 0;
  let winLen = 0;
  try {
    for (const f of [...files].sort((a, b) => a.offset - b.offset)) {
      let data: Buffer;
      if (f.size > buf.length) {
        data = Buffer.allocUnsafe(f.size);
        data = data.subarray(0, readFully(fd, data, f.offset));
      } else {
        if (f.offset < winStart || f.offset + f.size > winStart + winLen) {
          winStart = f.offset;
          winLen = readFully(fd, buf, f.offset);
        }
        data = buf.subarray(f.offset - winStart, Math.min(f.offset - winStart + f.size, winLen));
      }
      if (data.length !== f.size) throw new StoreDamagedError(`damaged store pack ${packPath}: ${f.path} is cut short`);
      if (createHash('sha256').update(data).digest('hex') !== f.sha256)
        throw new StoreDamagedError(`damaged store pack ${packPath}: ${f.path} does not match its hash`);
      write(f, data);
      await slicer.tick();
    }
  } finally {
    closeSync(fd);
    giveBuffer(buf);
  }
}

/** Reads into buf from a position until it is full or the file ends; returns the bytes read. */
function readFully(fd: number, buf: Buffer, position: number): number {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
