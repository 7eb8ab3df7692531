// Saving a set of workspace paths into the store and restoring them into another directory. Small files go
// into one pack per save, large ones into blobs. Files restored earlier and untouched since (same inode, size,
// mtime and ctime) keep their stored record without being read again.
import {
  closeSync,
  existsSync,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  realpathSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { chmod } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { DEFAULT_FILE_MODE, type FileRecord, type Store } from './store.js';
import { StoreError } from './errors.js';
import { PACK_FILE_MAX, PackWriter } from './pack-writer.js';
import { readPack, type PackSlice } from './pack-reader.js';
import { Slicer } from './slicer.js';

/** An entry referring to more packs than this is written afresh into one pack (compaction). */
const MAX_PACKS = 4;

/** Whether a relative path stays inside its base directory. */
export function isContained(rel: string): boolean {
  if (!rel || isAbsolute(rel)) return false;
  const n = normalize(rel);
  return n !== '..' && !n.startsWith(`..${sep}`);
}

/**
 * What identifies a file's content without reading it: any write, chmod or utime changes the ctime. Times as
 * float milliseconds keep a fraction of a microsecond, and plain stats cost far less than BigInt ones.
 */
export function identityOf(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

export interface KnownFile {
  record: FileRecord;
  identity: string;
}

/**
 * Stores the given paths (relative to baseDir; files, directories and symlinks, as listed). Records come back
 * in the order of `paths`. `known` files whose identity is unchanged are not read again.
 */
export async function saveTree(
  store: Store,
  baseDir: string,
  paths: string[],
  known?: Map<string, KnownFile>,
  identityOut?: Map<string, string>,
): Promise<FileRecord[]> {
  await store.init();
  const slicer = new Slicer();
  const records: FileRecord[] = new Array(paths.length);
  const small: number[] = [];
  const large: number[] = [];
  const reused: number[] = [];
  for (let i = 0; i < paths.length; i++) {
    const rel = paths[i];
    const abs = join(baseDir, rel);
    let st: Stats;
    try {
      st = lstatSync(abs);
    } catch (e) {
      throw new StoreError(`cannot read ${abs}: ${(e as Error).message}`, { cause: e });
    }
    // Set-user-id and set-group-id bits are never stored: a file a job's container made setuid root would
    // hand root to whoever runs it from a host workspace.
    const mode = st.mode & 0o1777;
    if (!st.isDirectory()) identityOut?.set(rel, identityOf(st));
    if (st.isSymbolicLink()) records[i] = { path: rel, symlink: readlinkSync(abs) };
    else if (st.isDirectory()) records[i] = { path: rel, dir: true, mode };
    else {
      const k = known?.get(rel);
      if (k?.record.sha256 && k.identity === identityOf(st)) {
        records[i] = { ...k.record, path: rel, mode };
        reused.push(i);
      } else {
        records[i] = { path: rel, mode };
        (st.size > PACK_FILE_MAX ? large : small).push(i);
      }
    }
    await slicer.tick();
  }
  // Too many packs behind the reused records: write everything afresh into one pack. Reused packs are touched,
  // so garbage collection (which spares young files) cannot take them before the new manifest names them; one
  // that is already gone means writing afresh too.
  const packs = new Set(reused.map((i) => records[i].pack).filter((p): p is string => Boolean(p)));
  const blobs = new Set(reused.filter((i) => !records[i].pack).map((i) => records[i].sha256!));
  const now = new Date();
  const gone = [...[...packs].map((p) => store.packPath(p)), ...[...blobs].map((b) => store.blobPath(b))].some((p) => {
    try {
      utimesSync(p, now, now);
      return false;
    } catch {
      return true;
    }
  });
  if (gone || packs.size + (small.length ? 1 : 0) > MAX_PACKS) {
    for (const i of reused) (records[i].size! > PACK_FILE_MAX ? large : small).push(i);
    reused.length = 0;
  }
  if (small.length) {
    const writer = new PackWriter(store);
    try {
      for (const i of small) {
        const r = records[i];
        const { sha256, size, offset } = writer.add(join(baseDir, r.path));
        records[i] = { path: r.path, sha256, size, mode: r.mode, offset };
        await slicer.tick();
      }
      const id = writer.finish()!;
      for (const i of small) records[i].pack = id;
    } catch (e) {
      writer.abort();
      throw e;
    }
  }
  for (const i of large) {
    const r = records[i];
    const { sha256, size } = await store.putFile(join(baseDir, r.path));
    records[i] = { path: r.path, sha256, size, mode: r.mode };
  }
  return records;
}

export interface RestoreResult {
  /** Files and symlinks restored. */
  count: number;
  /** identityOf() of each restored file and symlink, right after it was written. */
  identity: Map<string, string>;
}

/**
 * Restores records into destDir (existing files are replaced, never written through). When any content is
 * missing or damaged, the files restored so far are removed again and a StoreError is thrown.
 */
export async function restoreTree(store: Store, files: FileRecord[], destDir: string): Promise<RestoreResult> {
  for (const f of files) {
    if (!isContained(f.path)) throw new StoreError(`store entry has a path outside its directory: ${f.path}`);
  }
  refuseEscapingParents(destDir, files);
  const madeDirs = mkdirLeaves(destDir, files);
  const slicer = new Slicer();
  const identity = new Map<string, string>();
  const written: string[] = [];
  const byPack = new Map<string, PackSlice[]>();
  const byRecord = new Map<PackSlice, FileRecord>();
  try {
    for (const f of files) {
      const dest = join(destDir, f.path);
      if (f.dir) continue;
      if (f.symlink !== undefined) {
        rmSync(dest, { recursive: true, force: true });
        symlinkSync(f.symlink, dest);
        written.push(dest);
        identity.set(f.path, identityOf(lstatSync(dest)));
      } else if (f.pack) {
        const slice = { path: f.path, sha256: f.sha256!, size: f.size ?? 0, offset: f.offset ?? 0 };
        byRecord.set(slice, f);
        const list = byPack.get(f.pack) ?? [];
        list.push(slice);
        byPack.set(f.pack, list);
      } else {
        // Checked against its hash while it is copied: a damaged blob is never left in the workspace.
        await store.copyBlobTo(f, dest, fileMode(f));
        written.push(dest);
        identity.set(f.path, identityOf(lstatSync(dest)));
      }
    }
    for (const [id, slices] of byPack) {
      await readPack(store.packPath(id), slices, slicer, (slice, data) => {
        const dest = join(destDir, slice.path);
        const st = writeNewFile(dest, data, fileMode(byRecord.get(slice)!));
        written.push(dest);
        identity.set(slice.path, identityOf(st));
      });
    }
  } catch (e) {
    for (const p of written) rmSync(p, { force: true });
    // The directories made for this entry go too (deepest first; one the job filled meanwhile stays).
    for (const d of madeDirs.sort((a, b) => b.length - a.length)) {
      try {
        rmdirSync(d);
      } catch {
        /* not empty */
      }
    }
    if (e instanceof StoreError) throw e;
    throw new StoreError(`cannot restore into ${destDir}: ${(e as Error).message}`, { cause: e });
  }
  // Exact modes, 000 included (a job that made a directory unreadable gets it back unreadable). Directories
  // last, deepest first, so a read-only directory is filled before it is closed.
  const dirs = files.filter((f) => f.dir && f.mode !== undefined).reverse();
  for (const f of dirs) await chmod(join(destDir, f.path), f.mode!).catch(() => undefined);
  return { count: written.length, identity };
}

function fileMode(f: FileRecord): number {
  return f.mode ?? DEFAULT_FILE_MODE;
}

/** Creates dest with data (replacing whatever is there) and returns its stat after the last change. */
function writeNewFile(dest: string, data: Buffer, mode: number): Stats {
  let fd: number;
  try {
    fd = openSync(dest, 'wx', mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    rmSync(dest, { recursive: true, force: true });
    fd = openSync(dest, 'wx', mode);
  }
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    // The umask may have taken bits off the mode given to open(); only then is a chmod needed.
    const st = fstatSync(fd);
    if ((st.mode & 0o7777) === mode) return st;
    fchmodSync(fd, mode);
    return fstatSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Refuses to write through a directory that leads out of destDir by a symlink (e.g. a tracked `deps -> /etc`).
 * Checked before any directory is made: for each parent, its deepest existing ancestor must resolve inside.
 */
export function refuseEscapingParents(destDir: string, files: FileRecord[]): void {
  if (!existsSync(destDir)) return;
  const realDest = realpathSync(destDir);
  const checked = new Set<string>();
  for (const parent of new Set(files.map((f) => dirname(f.path)))) {
    let p = parent;
    while (p !== '.' && !checked.has(p) && !existsSync(join(destDir, p))) p = dirname(p);
    if (p === '.' || checked.has(p)) continue;
    checked.add(p);
    const real = realpathSync(join(destDir, p));
    if (real !== realDest && !real.startsWith(`${realDest}${sep}`)) {
      throw new StoreError(`refusing to restore into ${p}/: it leads out of ${destDir} (to ${real}) through a symlink`);
    }
  }
}

/**
 * Creates destDir and every directory the records need; only the deepest ones need a recursive mkdir. Returns
 * the directories it created (so a failed restore can take them away again).
 */
function mkdirLeaves(destDir: string, files: FileRecord[]): string[] {
  const dirs = new Set<string>();
  for (const f of files) dirs.add(f.dir ? join(destDir, f.path) : dirname(join(destDir, f.path)));
  const parents = new Set([...dirs].map((d) => dirname(d)));
  const leaves = [...dirs].filter((d) => !parents.has(d));
  const made: string[] = [];
  for (const d of leaves.length ? leaves : [destDir]) {
    let first: string | undefined;
    try {
      first = mkdirSync(d, { recursive: true });
    } catch (e) {
      throw new StoreError(`cannot create ${d}: ${(e as Error).message}`, { cause: e });
    }
    // mkdir -p returns the first directory it made: that one and every one below it down to d are new.
    if (first !== undefined) {
      for (let p = d; p.length >= first.length; p = dirname(p)) {
        made.push(p);
        if (p === first) break;
      }
    }
  }
  return made;
}
