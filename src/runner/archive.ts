// Zip archives for artifacts (fflate), as GitLab Runner's archiver makes them: paths relative to the
// project directory, directories as "dir/" entries, Unix modes and symlinks in the external attributes
// (os = Unix). Extraction refuses entries that would land outside the destination: absolute names, "..",
// and writes through a symlink (an archive's own or one already in the workspace) are errors, never followed.
// fflate's reader does not return external attributes, so they are read from the central directory here.
import { lstat, mkdir, readFile, readlink, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { gzipSync, unzipSync, zipSync, type Zippable } from 'fflate';
import { RunnerError } from './errors.js';

const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const S_IFMT = 0o170000;

/** A zip of `paths` (relative, parents before children, as run/paths.ts resolvePaths returns them). */
export async function zipPaths(root: string, paths: string[]): Promise<Buffer> {
  const files: Zippable = {};
  for (const rel of paths) {
    const abs = join(root, rel);
    const st = await lstat(abs);
    const mtime = st.mtime;
    if (st.isSymbolicLink()) {
      files[rel] = [
        Buffer.from(await readlink(abs)),
        { level: 0, os: 3, attrs: ((S_IFLNK | 0o777) << 16) >>> 0, mtime },
      ];
    } else if (st.isDirectory()) {
      files[`${rel}/`] = [
        new Uint8Array(0),
        { level: 0, os: 3, attrs: ((S_IFDIR | (st.mode & 0o7777)) << 16) >>> 0, mtime },
      ];
    } else if (st.isFile()) {
      files[rel] = [
        await readFile(abs),
        { level: 6, os: 3, attrs: ((0o100000 | (st.mode & 0o7777)) << 16) >>> 0, mtime },
      ];
    }
  }
  return Buffer.from(zipSync(files));
}

/** GitLab's gzip artifact format: one gzip member per file, concatenated (reports such as dotenv, junit). */
export async function gzipPaths(root: string, paths: string[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const rel of paths) {
    const st = await lstat(join(root, rel));
    if (st.isFile())
      parts.push(
        Buffer.from(gzipSync(await readFile(join(root, rel)), { filename: posix.basename(rel), mtime: st.mtime })),
      );
  }
  return Buffer.concat(parts);
}

/** Unix modes by entry name, from the zip's central directory (APPNOTE 4.3.12). */
export function zipModes(zip: Buffer): Map<string, number> {
  const modes = new Map<string, number>();
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new RunnerError('not a zip archive (no end of central directory)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let n = 0; n < count; n++) {
    if (p + 46 > zip.length || zip.readUInt32LE(p) !== 0x02014b50)
      throw new RunnerError('damaged zip archive (central directory)');
    const madeBy = zip.readUInt16LE(p + 4) >> 8;
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const external = zip.readUInt32LE(p + 38);
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    if (madeBy === 3) modes.set(name, external >>> 16);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return modes;
}

/** Refuses a write whose parent directories lead out of `root` through a symlink. */
async function checkParents(root: string, rel: string): Promise<void> {
  const parts = rel.split('/').slice(0, -1);
  let cur = '';
  for (const part of parts) {
    cur = cur ? `${cur}/${part}` : part;
    try {
      const st = await lstat(join(root, cur));
      if (st.isSymbolicLink())
        throw new RunnerError(`archive entry "${rel}" would be written through the symlink "${cur}"; refused`);
      if (!st.isDirectory()) throw new RunnerError(`archive entry "${rel}": "${cur}" is not a directory`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
  }
}

export function safeEntryName(name: string): string {
  const n = posix.normalize(name.replace(/\\/g, '/')).replace(/\/+$/, '');
  if (name.startsWith('/') || n === '..' || n.startsWith('../') || n === '.' || n === '' || name.includes('\0')) {
    throw new RunnerError(`archive entry "${name}" points outside the project directory; refused`);
  }
  return n;
}

/** Extracts a zip into root; returns the number of files written. */
export async function unzipTo(root: string, zip: Buffer): Promise<number> {
  const modes = zipModes(zip);
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (e) {
    throw new RunnerError(`cannot read zip archive: ${(e as Error).message}`);
  }
  let files = 0;
  for (const name of Object.keys(entries).sort()) {
    const rel = safeEntryName(name);
    const mode = modes.get(name) ?? (name.endsWith('/') ? S_IFDIR | 0o755 : 0o100644);
    await checkParents(root, rel);
    const abs = join(root, rel);
    if (name.endsWith('/') || (mode & S_IFMT) === S_IFDIR) {
      await mkdir(abs, { recursive: true });
      continue;
    }
    await mkdir(dirname(abs), { recursive: true });
    await rm(abs, { force: true, recursive: false }).catch(() => undefined);
    if ((mode & S_IFMT) === S_IFLNK) {
      await symlink(Buffer.from(entries[name]).toString('utf8'), abs);
    } else {
      await writeFile(abs, entries[name], { mode: mode & 0o7777 || 0o644 });
      await chmod(abs, mode & 0o7777 || 0o644);
    }
    files++;
  }
  return files;
}
