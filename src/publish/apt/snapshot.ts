// Atomic publishing of a suite's metadata.
//
// Design: every publish writes the complete dists/<suite> tree (Release, InRelease, Release.gpg, indexes and
// by-hash copies) into a fresh directory dists/.kiln-snapshots/<suite>/<generation>/, fsyncs it, and then
// replaces the symlink dists/<suite> → that directory with one rename(2). A reader resolving any path under
// dists/<suite> therefore sees either the old generation or the new one, never a mix: Release, InRelease and
// Release.gpg always match each other (renaming the three files one by one could pair a new Release with an old
// Release.gpg). A client that fetched the old InRelease just before the swap then downloads indexes through
// by-hash/ paths; the new generation keeps hard links to the previous generation's by-hash files, so those
// downloads still succeed. Pool files are written (temp → rename) before the swap, so every index that becomes
// visible only names files that exist. Two generations are kept on disk; older ones are removed.
import { link, mkdir, open, readdir, readlink, rename, rm, symlink, lstat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, relative, resolve } from 'node:path';
import { fsyncDir } from '../../util/atomic.js';
import { KilnError } from '../../errors.js';
import type { IndexFile } from './release.js';

export const SNAPSHOTS = '.kiln-snapshots';

export function suiteLink(repo: string, suite: string): string {
  return join(repo, 'dists', suite);
}

/** The directory dists/<suite> currently points to, or undefined if the suite does not exist yet. */
export async function currentSnapshot(repo: string, suite: string): Promise<string | undefined> {
  const linkPath = suiteLink(repo, suite);
  const st = await lstat(linkPath).catch(() => undefined);
  if (!st) return undefined;
  if (!st.isSymbolicLink()) {
    throw new KilnError(
      `${linkPath} is a real directory, not a kiln-managed suite; move it away or publish into a new --repo`,
      'E_REPO_LAYOUT',
      1,
    );
  }
  return resolve(dirname(linkPath), await readlink(linkPath));
}

async function writeSynced(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(path, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function linkOrCopy(from: string, to: string, data?: Buffer): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  try {
    await link(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (data) await writeFile(to, data);
    else throw e;
  }
}

export interface SnapshotContent {
  indexes: IndexFile[];
  release: string;
  inRelease?: string;
  releaseGpg?: string;
  /** The previous generation and its path → sha256 list, for by-hash carry-over. */
  previous?: { dir: string; sha256: Map<string, string> };
}

export async function writeSnapshot(repo: string, suite: string, c: SnapshotContent): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const dir = join(repo, 'dists', SNAPSHOTS, suite, `${stamp}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  const dirs = new Set<string>([dir]);
  for (const f of c.indexes) {
    const p = join(dir, f.path);
    await writeSynced(p, f.data);
    const base = dirname(p);
    await linkOrCopy(p, join(base, 'by-hash', 'SHA256', f.sha256), f.data);
    await linkOrCopy(p, join(base, 'by-hash', 'MD5Sum', f.md5), f.data);
    dirs
      .add(base)
      .add(join(base, 'by-hash', 'SHA256'))
      .add(join(base, 'by-hash', 'MD5Sum'));
  }
  if (c.previous) {
    for (const [path, sha] of c.previous.sha256) {
      const rel = join(dirname(path), 'by-hash', 'SHA256', sha);
      const from = join(c.previous.dir, rel);
      if (
        await lstat(from).then(
          () => true,
          () => false,
        )
      )
        await linkOrCopy(from, join(dir, rel));
    }
  }
  await writeSynced(join(dir, 'Release'), c.release);
  if (c.inRelease) await writeSynced(join(dir, 'InRelease'), c.inRelease);
  if (c.releaseGpg) await writeSynced(join(dir, 'Release.gpg'), c.releaseGpg);
  for (const d of dirs) await fsyncDir(d);
  return dir;
}

/** Points dists/<suite> at `dir` with a single rename. */
export async function swapSuite(repo: string, suite: string, dir: string): Promise<void> {
  const linkPath = suiteLink(repo, suite);
  await mkdir(dirname(linkPath), { recursive: true });
  const tmp = join(dirname(linkPath), `.${suite}.swap-${randomBytes(4).toString('hex')}`);
  await symlink(relative(dirname(linkPath), dir), tmp);
  try {
    await rename(tmp, linkPath);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dirname(linkPath));
}

/** Removes generations other than the ones listed. */
export async function pruneSnapshots(repo: string, suite: string, keep: (string | undefined)[]): Promise<void> {
  const base = join(repo, 'dists', SNAPSHOTS, suite);
  const keepSet = new Set(keep.filter((k): k is string => !!k).map((k) => resolve(k)));
  for (const name of await readdir(base).catch(() => [] as string[])) {
    const p = resolve(base, name);
    if (!keepSet.has(p)) await rm(p, { recursive: true, force: true });
  }
}

/**
 * Lets clients name the suite by its codename too (`deb URL <codename> main`): dists/<codename> becomes a
 * symlink to dists/<suite>. Returns a warning if that name is already taken by something else.
 */
export async function ensureCodenameLink(repo: string, suite: string, codename: string): Promise<string | undefined> {
  if (codename === suite) return undefined;
  const linkPath = suiteLink(repo, codename);
  const st = await lstat(linkPath).catch(() => undefined);
  if (st) {
    if (st.isSymbolicLink() && (await readlink(linkPath)) === suite) return undefined;
    return `dists/${codename} already exists and is not a link to dists/${suite}; clients must use the suite name`;
  }
  const tmp = join(dirname(linkPath), `.${codename}.link-${randomBytes(4).toString('hex')}`);
  await symlink(suite, tmp);
  await rename(tmp, linkPath);
  await fsyncDir(dirname(linkPath));
  return undefined;
}
