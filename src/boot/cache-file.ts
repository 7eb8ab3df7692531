// The on-disk form of a V8 code cache: a 16-byte header (magic `KILNV8C1`, payload length, CRC-32 of the payload)
// followed by V8's cached data. A file is handed to V8 only when magic, length and CRC all match: release builds of
// V8 do not checksum code caches, so a truncated or damaged file must be caught here. Files are written to a temp
// name and renamed, so a reader never sees half a file; a file lost in a crash is simply made again.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as zlib from 'node:zlib';

const MAGIC = Buffer.from('KILNV8C1', 'latin1');
const HEADER = 16;
/** Cache files kept per directory; older ones (other builds, other runtimes) are removed when one is written. */
export const KEEP_FILES = 6;

type Crc32 = (data: Uint8Array) => number;

/** zlib.crc32 exists from Node.js 20.15; without it kiln uses no code cache at all. */
function crc32(): Crc32 | undefined {
  const f = (zlib as { crc32?: Crc32 }).crc32;
  return typeof f === 'function' ? f : undefined;
}

export function encodeCacheFile(data: Uint8Array): Buffer | undefined {
  const crc = crc32();
  if (!crc) return undefined;
  const header = Buffer.alloc(HEADER);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(data.length, 8);
  header.writeUInt32LE(crc(data), 12);
  return Buffer.concat([header, data]);
}

/** The cached data in `file`, or undefined when the file is missing, unreadable or fails the header checks. */
export function readCacheFile(file: string): Buffer | undefined {
  const crc = crc32();
  if (!crc) return undefined;
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  if (buf.length < HEADER || !buf.subarray(0, 8).equals(MAGIC)) return undefined;
  const data = buf.subarray(HEADER);
  if (buf.readUInt32LE(8) !== data.length || buf.readUInt32LE(12) !== crc(data)) return undefined;
  return data;
}

/** Writes `data` as `file` (temp → rename) and trims the directory to the newest KEEP_FILES caches. */
export function writeCacheFile(file: string, data: Uint8Array): boolean {
  const encoded = encodeCacheFile(data);
  if (!encoded) return false;
  const dir = dirname(file);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, encoded);
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
    return false;
  }
  pruneCacheDir(dir, file);
  return true;
}

function pruneCacheDir(dir: string, keep: string): void {
  try {
    const files = readdirSync(dir)
      .filter((n) => n.startsWith('kiln-') && n.endsWith('.v8cache'))
      .map((n) => join(dir, n))
      .filter((p) => p !== keep)
      .map((p) => ({ p, t: statSync(p).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { p } of files.slice(KEEP_FILES - 1)) rmSync(p, { force: true });
  } catch {
    /* another kiln pruned at the same time, or the directory is read-only: nothing to do */
  }
}
