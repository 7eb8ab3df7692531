// Parked cache trees. Writing a restored cache's thousands of files, and deleting them again with the job's
// workspace, is what a cache costs on a filesystem that cannot share blocks. So after a job, a cache tree that
// is still exactly an entry's content is moved (renamed, not copied) into the store's pool instead of being
// deleted, and the next job restoring that entry takes it with a rename. A tree is only parked when every file
// still has the identity (inode, size, mtime, ctime) it had when restored or saved, and every directory holds
// exactly the entry's names; it is checked again, against the identities recorded when it was parked, before
// it is handed out. Anything that does not check out is deleted and the job restores from packs as usual.
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { STORE_DIR_MODE, STORE_FILE_MODE, type FileRecord, type Store } from './store.js';
import { identityOf, refuseEscapingParents } from './tree.js';

/** Parked trees kept per entry content by default (one per job that used it at the same time); kiln.toml
 * `runner.cache_pool` changes it. */
export const POOL_MAX = 4;

interface ParkedMeta {
  version: 1;
  /** Top-level items moved (relative paths): whole directories, or single files and symlinks. */
  moved: string[];
  /** identityOf() of every file and symlink, as it is inside the parked tree. */
  identity: Record<string, string>;
}

/** A name for the content of a whole tree: same records, same id. */
export function treeIdOf(files: FileRecord[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    h.update(`${f.path}\0${f.sha256 ?? ''}\0${f.mode ?? ''}\0${f.symlink ?? ''}\0${f.dir ? 'd' : ''}\n`);
  }
  return h.digest('hex');
}

function poolDir(store: Store, treeId: string): string {
  return join(store.root, 'pool', treeId);
}

/** Whether parking is possible at all: the pool and the workspace must be on one filesystem. */
export function sameFilesystem(store: Store, ws: string): boolean {
  try {
    return statSync(store.root).dev === statSync(ws).dev;
  } catch {
    return false;
  }
}

function childrenOf(files: FileRecord[]): Map<string, Set<string>> {
  const children = new Map<string, Set<string>>();
  for (const f of files) {
    const parent = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '';
    const set = children.get(parent) ?? new Set<string>();
    set.add(f.path.slice(parent ? parent.length + 1 : 0));
    children.set(parent, set);
  }
  return children;
}

/**
 * Whether every file and symlink under root still has its recorded identity, and every directory of the entry is
 * still a directory (not, say, a symlink the job put in its place); with `dirsMayLack`, or absent.
 */
function identitiesHold(
  root: string,
  files: FileRecord[],
  identity: (path: string) => string | undefined,
  dirsMayLack = false,
): boolean {
  for (const f of files) {
    try {
      if (f.dir) {
        const st = lstatSync(join(root, f.path), { throwIfNoEntry: !dirsMayLack });
        if (st && !st.isDirectory()) return false;
        continue;
      }
      const st = lstatSync(join(root, f.path));
      const want = identity(f.path);
      if (!want || identityOf(st) !== want) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Directories of the entry that hold exactly the entry's names under root. */
function wholeDirs(root: string, files: FileRecord[]): Set<string> {
  const children = childrenOf(files);
  const whole = new Set<string>();
  for (const f of files) {
    if (!f.dir) continue;
    try {
      const names = readdirSync(join(root, f.path));
      const want = children.get(f.path) ?? new Set<string>();
      if (names.length === want.size && names.every((n) => want.has(n))) whole.add(f.path);
    } catch {
      /* gone */
    }
  }
  // A directory is only whole when its subdirectories are too (deepest first, so it carries upwards).
  const dirs = new Set(files.filter((f) => f.dir).map((f) => f.path));
  for (const d of [...whole].sort((a, b) => b.length - a.length)) {
    for (const c of children.get(d) ?? []) {
      const p = `${d}/${c}`;
      if (dirs.has(p) && !whole.has(p)) whole.delete(d);
    }
  }
  return whole;
}

/** The items to move: top-most whole directories, and files/symlinks not inside one. */
function topItems(files: FileRecord[], whole: Set<string>): string[] {
  const under = (p: string) => {
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) if (whole.has(p.slice(0, i))) return true;
    return false;
  };
  return files.filter((f) => (f.dir ? whole.has(f.path) : true) && !under(f.path)).map((f) => f.path);
}

/**
 * Moves the entry's tree out of the workspace into the pool, if it is still exactly the entry's content.
 * Returns whether it was parked. Never throws: a tree that cannot be parked is simply left for deletion.
 */
export function park(
  store: Store,
  ws: string,
  files: FileRecord[],
  identity: Map<string, string>,
  max = POOL_MAX,
): boolean {
  const treeId = treeIdOf(files);
  const pool = poolDir(store, treeId);
  let staging: string | undefined;
  try {
    if (max <= 0 || (existsSync(pool) && readdirSync(pool).length >= max)) return false;
    if (!identitiesHold(ws, files, (p) => identity.get(p))) return false;
    // Nothing is moved through a directory that leads out of the workspace by a symlink (throws, so not parked).
    refuseEscapingParents(ws, files);
    const moved = topItems(files, wholeDirs(ws, files));
    staging = store.tempPath();
    const tree = join(staging, 'tree');
    mkdirSync(tree, { recursive: true, mode: STORE_DIR_MODE });
    for (const item of moved) {
      mkdirSync(dirname(join(tree, item)), { recursive: true });
      renameSync(join(ws, item), join(tree, item));
    }
    const meta: ParkedMeta = { version: 1, moved, identity: {} };
    for (const f of files) if (!f.dir) meta.identity[f.path] = identityOf(lstatSync(join(tree, f.path)));
    writeFileSync(join(staging, 'meta.json'), JSON.stringify(meta), { mode: STORE_FILE_MODE });
    mkdirSync(pool, { recursive: true, mode: STORE_DIR_MODE });
    renameSync(staging, join(pool, `${process.pid}-${randomBytes(6).toString('hex')}`));
    return true;
  } catch {
    if (staging) void rm(staging, { recursive: true, force: true }).catch(() => undefined);
    return false;
  }
}

/**
 * Takes a parked tree of this entry into the workspace. Returns the identities of the files as they now are
 * in the workspace, or null when no (sound) parked tree was there.
 */
export function claim(store: Store, ws: string, files: FileRecord[]): Map<string, string> | null {
  const pool = poolDir(store, treeIdOf(files));
  let names: string[];
  try {
    names = readdirSync(pool);
  } catch {
    return null;
  }
  for (const name of names) {
    const taken = store.tempPath();
    try {
      renameSync(join(pool, name), taken);
    } catch {
      continue; // another job took it
    }
    const identity = moveIn(taken, ws, files);
    void rm(taken, { recursive: true, force: true }).catch(() => undefined);
    if (identity) return identity;
  }
  return null;
}

function moveIn(taken: string, ws: string, files: FileRecord[]): Map<string, string> | null {
  let meta: ParkedMeta;
  try {
    meta = JSON.parse(readFileSync(join(taken, 'meta.json'), 'utf8')) as ParkedMeta;
  } catch {
    return null;
  }
  const tree = join(taken, 'tree');
  // A parked tree lacks the directories that were not moved whole; moveIn() makes them.
  if (meta.version !== 1 || !identitiesHold(tree, files, (p) => meta.identity[p], true)) return null;
  const children = childrenOf(files);
  const dirs = new Set(files.filter((f) => f.dir).map((f) => f.path));
  for (const d of meta.moved.filter((m) => dirs.has(m))) {
    const names = safeReaddir(join(tree, d));
    const want = children.get(d);
    if (names && want && (names.length !== want.size || !names.every((n) => want.has(n)))) return null;
  }
  try {
    refuseEscapingParents(ws, files);
    for (const item of meta.moved) moveInto(join(tree, item), join(ws, item));
    // Directories of the entry that were not moved whole (the job had added files to them) may be empty ones.
    for (const f of files) {
      if (!f.dir) continue;
      mkdirSync(join(ws, f.path), { recursive: true });
      if (f.mode !== undefined) chmodQuiet(join(ws, f.path), f.mode);
    }
    const identity = new Map<string, string>();
    for (const f of files) if (!f.dir) identity.set(f.path, identityOf(lstatSync(join(ws, f.path))));
    return identity;
  } catch {
    return null;
  }
}

/** Moves src to dst; directories already at dst are merged into, anything else there is replaced. */
function moveInto(src: string, dst: string): void {
  let existing;
  try {
    existing = lstatSync(dst);
  } catch {
    mkdirSync(dirname(dst), { recursive: true });
    renameSync(src, dst);
    return;
  }
  if (existing.isDirectory() && lstatSync(src).isDirectory()) {
    for (const n of readdirSync(src)) moveInto(join(src, n), join(dst, n));
    return;
  }
  rmSync(dst, { recursive: true, force: true });
  renameSync(src, dst);
}

function safeReaddir(p: string): string[] | null {
  try {
    return readdirSync(p);
  } catch {
    return null;
  }
}

function chmodQuiet(p: string, mode: number): void {
  try {
    chmodSync(p, mode);
  } catch {
    /* a directory that cannot be changed keeps its mode */
  }
}

/** Drops every parked tree of an entry's content (after the entry was replaced). */
export async function dropParked(store: Store, files: FileRecord[]): Promise<void> {
  await rm(poolDir(store, treeIdOf(files)), { recursive: true, force: true }).catch(() => undefined);
}
