// A cache of parsed YAML files, so `kiln lint`, `kiln jobs` and `kiln run` do not parse an unchanged 100 kB
// pipeline again on every call (the `yaml` library takes most of their time on big files; reading a parsed tree
// back with v8.deserialize is 5-10 times faster). Off unless the CLI configures a directory, and off when the code
// has no build id (run from the sources).
//
// Crash-safety and exactness rule: an entry is written to a temp name and renamed into place, so a reader sees a
// whole entry or none. An entry holds the build id, the display path and the complete text it was parsed from, and
// is used only when all three equal the file being parsed now; the file name (CRC-32 and length) only finds it.
// Anything unexpected (unreadable, damaged, another build, a CRC collision) is a miss, never an error: the file is
// then parsed as if there were no cache. Only files that parsed without error are stored.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import * as zlib from 'node:zlib';
import { releaseId } from '../../util/build-id.js';
import type { YNode } from './node.js';

/** Files smaller than this parse faster than an entry is read. */
export const MIN_CACHED_CHARS = 2 * 1024;
/** Entries kept; the oldest (by last use) go first when a new one is written. */
export const MAX_ENTRIES = 200;
/** And at most this many bytes (an entry is ~8 times its text: positions of every node). */
export const MAX_BYTES = 64 * 1024 * 1024;
const FORMAT = 1;

interface Entry {
  format: number;
  build: string;
  file: string;
  text: string;
  /** null for an empty document. */
  root: YNode | null;
}

type Crc32 = (data: string) => number;

let dir: string | undefined;
let trimmed = false;

/** Turns the cache on in `directory`, or off (undefined). Set by the CLI from the user's cache directory. */
export function configureParseCache(directory: string | undefined): void {
  dir = directory;
}

function crc32(): Crc32 | undefined {
  const f = (zlib as { crc32?: Crc32 }).crc32;
  return typeof f === 'function' ? f : undefined;
}

function entryPath(file: string, text: string): string | undefined {
  const crc = crc32();
  if (!dir || !crc || !releaseId() || text.length < MIN_CACHED_CHARS) return undefined;
  return join(dir, `${crc(`${file}\0${text}`).toString(16).padStart(8, '0')}-${text.length}.v8`);
}

/** The tree parsed from exactly this `text` of `file` by this build, or `'miss'`. */
export function cachedParse(file: string, text: string): YNode | undefined | 'miss' {
  const path = entryPath(file, text);
  if (!path) return 'miss';
  try {
    const e = deserialize(readFileSync(path)) as Entry;
    if (e.format !== FORMAT || e.build !== releaseId() || e.file !== file || e.text !== text) return 'miss';
    touch(path);
    return e.root ?? undefined;
  } catch {
    return 'miss';
  }
}

/** Stores the tree just parsed (before any caller can change it). Failures are ignored: the cache is optional. */
export function storeParse(file: string, text: string, root: YNode | undefined): void {
  const path = entryPath(file, text);
  if (!path) return;
  const entry: Entry = { format: FORMAT, build: releaseId()!, file, text, root: root ?? null };
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    mkdirSync(dir!, { recursive: true, mode: 0o700 });
    writeFileSync(tmp, serialize(entry), { mode: 0o600 });
    renameSync(tmp, path);
    // Once per process: a pipeline of many files would otherwise stat the directory once per file.
    if (!trimmed) trim(dir!);
    trimmed = true;
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** A used entry counts as new, so trimming drops the entries not used for longest. */
function touch(path: string): void {
  try {
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // a read-only cache still serves
  }
}

function trim(directory: string): void {
  const names = readdirSync(directory).filter((n) => n.endsWith('.v8'));
  const aged = names
    .map((n) => ({ n, st: statSync(join(directory, n), { throwIfNoEntry: false }) }))
    .sort((a, b) => (b.st?.mtimeMs ?? 0) - (a.st?.mtimeMs ?? 0));
  let bytes = 0;
  aged.forEach(({ n, st }, i) => {
    bytes += st?.size ?? 0;
    if (i >= MAX_ENTRIES || bytes > MAX_BYTES) rmSync(join(directory, n), { force: true });
  });
}
