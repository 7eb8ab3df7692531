// Copying a tree of files cheaply: reflink (copy-on-write) where the filesystem supports it, otherwise a
// kernel-side copy. Hardlinks are never used for workspace files: a job writing a file in place would change
// the snapshot (and other jobs' files) behind their backs.
import { constants as fsc } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readlink, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { mapLimit } from '../util/map-limit.js';
import { refuseNonUtf8Names } from '../util/utf8.js';
import { WorkspaceError } from './errors.js';

/** What the errno codes a copy meets in practice mean, in words (the cause the user has to act on). */
const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  ENAMETOOLONG: 'file name too long',
};

/** A file system error while copying `rel` from `src` to `dest`, as a WorkspaceError naming the file and the cause. */
function copyError(e: unknown, src: string, dest: string, rel: string): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return e;
  const cause = CAUSES[code] ?? (e as Error).message;
  return new WorkspaceError(`cannot copy ${rel} from ${src} to ${dest}: ${cause} (${code})`);
}

/** Runs one copy step; file system errors become WorkspaceErrors with their cause. */
async function step<T>(src: string, dest: string, rel: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw copyError(e, src, dest, rel);
  }
}

export interface TreeEntry {
  rel: string;
  kind: 'file' | 'dir' | 'symlink';
}

/** Lists a directory tree (parents before children). */
export async function listTree(root: string, skipTop: string[] = []): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const walk = async (rel: string) => {
    const names = await readdir(rel ? join(root, rel) : root, { withFileTypes: true });
    await refuseNonUtf8Names(
      rel ? join(root, rel) : root,
      rel,
      names.map((d) => d.name),
    );
    for (const d of names) {
      if (!rel && skipTop.includes(d.name)) continue;
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isSymbolicLink()) out.push({ rel: r, kind: 'symlink' });
      else if (d.isDirectory()) {
        out.push({ rel: r, kind: 'dir' });
        await walk(r);
      } else if (d.isFile()) out.push({ rel: r, kind: 'file' });
    }
  };
  await walk('');
  return out;
}

/** Creates dest and the given subdirectories: only the deepest ones, recursively and in parallel. */
async function mkdirLeaves(dest: string, dirs: string[]): Promise<void> {
  const parents = new Set(dirs.map((d) => d.slice(0, Math.max(0, d.lastIndexOf('/')))));
  const leaves = dirs.filter((d) => !parents.has(d));
  if (leaves.length === 0) {
    await step('.', dest, '.', () => mkdir(dest, { recursive: true }));
    return;
  }
  await mapLimit(leaves, 16, (d) => step('.', dest, d, () => mkdir(join(dest, d), { recursive: true })));
}

/** Copies the listed entries from src to dest (dest is created). */
export async function copyEntries(src: string, dest: string, entries: TreeEntry[]): Promise<void> {
  await mkdirLeaves(
    dest,
    entries.filter((e) => e.kind === 'dir').map((e) => e.rel),
  );
  await mapLimit(
    entries.filter((e) => e.kind !== 'dir'),
    32,
    (e) =>
      step(src, dest, e.rel, async () => {
        if (e.kind === 'symlink') await symlink(await readlink(join(src, e.rel)), join(dest, e.rel));
        else await copyFile(join(src, e.rel), join(dest, e.rel), fsc.COPYFILE_FICLONE);
      }),
  );
}

/** Copies listed files (paths relative to src, files or symlinks) creating parent directories. */
export async function copyFiles(src: string, dest: string, rels: string[]): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const dirs = new Set<string>();
  const kept: { rel: string; link: boolean }[] = [];
  for (const rel of rels) {
    let st;
    try {
      st = await lstat(join(src, rel));
    } catch {
      continue; // tracked but deleted in the working tree
    }
    if (!st.isFile() && !st.isSymbolicLink()) continue; // submodule directories, sockets...
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    kept.push({ rel, link: st.isSymbolicLink() });
  }
  for (const d of [...dirs].sort()) {
    entries.push({ rel: d, kind: 'dir' });
    await step(src, dest, d, () => mkdir(join(dest, d), { recursive: true }));
  }
  await mapLimit(kept, 32, (k) =>
    step(src, dest, k.rel, async () => {
      if (k.link) await symlink(await readlink(join(src, k.rel)), join(dest, k.rel));
      else await copyFile(join(src, k.rel), join(dest, k.rel), fsc.COPYFILE_FICLONE);
    }),
  );
  for (const k of kept) entries.push({ rel: k.rel, kind: k.link ? 'symlink' : 'file' });
  return entries;
}
