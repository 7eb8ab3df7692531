// Resolving artifacts/cache `paths` and `exclude` patterns in a job workspace with GitLab's glob semantics:
// patterns are relative to the project dir, `**` crosses directories, a matched directory brings everything
// under it. Paths that escape the project dir (`..`, absolute, symlinks pointing outside, a path that goes
// THROUGH a symlinked directory leading outside) are refused, and so are device files, fifos and sockets (a
// fifo would block the collector; a device node is never a build output).
//
// The checks run once the job's processes are gone (the executors end every process of a step, see
// executors/shell/process-tree.ts), so nothing can swap a checked directory for a symlink before it is read.
import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { KilnError } from '../../errors.js';
import { refuseNonUtf8Names } from '../../util/utf8.js';

export class PathEscapeError extends KilnError {
  constructor(message: string) {
    super(message, 'E_PATH_ESCAPE', 1);
  }
}

export interface ResolvedPaths {
  /** Relative paths (posix separators) of files, symlinks and directories to store, parents before children. */
  paths: string[];
  /** Patterns that matched nothing (GitLab warns about these). */
  unmatched: string[];
}

function cleanPattern(pattern: string, what: string): string {
  let p = pattern.trim().replace(/\\/g, '/');
  if (p.startsWith('/'))
    throw new PathEscapeError(`${what} "${pattern}" is an absolute path; paths must be inside the project directory`);
  while (p.startsWith('./')) p = p.slice(2);
  p = p.replace(/\/+$/, '');
  const n = posix.normalize(p || '.');
  if (n === '..' || n.startsWith('../'))
    throw new PathEscapeError(`${what} "${pattern}" points outside the project directory`);
  return n;
}

type Entry = { rel: string; kind: 'file' | 'dir' | 'symlink' | 'special' };

async function walk(root: string, rel: string, out: Entry[]): Promise<void> {
  let dirents;
  try {
    dirents = await readdir(rel ? join(root, rel) : root, { withFileTypes: true });
  } catch {
    return;
  }
  await refuseNonUtf8Names(
    rel ? join(root, rel) : root,
    rel,
    dirents.map((d) => d.name),
  );
  dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const subdirs: string[] = [];
  for (const d of dirents) {
    if (!rel && d.name === '.git') continue;
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isSymbolicLink()) out.push({ rel: r, kind: 'symlink' });
    else if (d.isDirectory()) {
      out.push({ rel: r, kind: 'dir' });
      subdirs.push(r);
    } else out.push({ rel: r, kind: d.isFile() ? 'file' : 'special' });
  }
  for (const sd of subdirs) await walk(root, sd, out);
}

async function entryAt(root: string, rel: string): Promise<Entry | null> {
  try {
    const st = await lstat(join(root, rel));
    return { rel, kind: st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'special' };
  } catch {
    return null;
  }
}

async function checkSymlink(root: string, rel: string): Promise<void> {
  const target = await readlink(join(root, rel));
  const r = relative(resolve(root), resolve(dirname(join(root, rel)), target));
  if (r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r)) {
    throw new PathEscapeError(
      `"${rel}" is a symlink to ${target}, outside the project directory; refusing to store it`,
    );
  }
}

function isInside(realRoot: string, real: string): boolean {
  return real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : `${realRoot}${sep}`);
}

/**
 * Every directory a selected path goes through must resolve inside the project dir: `out -> /etc` makes
 * `out/passwd` a host file, and `up -> ../../..` makes `up/secret.env` one of the user's files.
 */
async function checkParents(root: string, rels: string[], what: string): Promise<void> {
  const realRoot = await realpath(root);
  const seen = new Map<string, string | null>();
  for (const rel of rels) {
    const parent = posix.dirname(rel);
    if (parent === '.') continue;
    let real = seen.get(parent);
    if (real === undefined) {
      real = await realpath(join(root, parent)).catch(() => null);
      seen.set(parent, real);
    }
    if (real === null || !isInside(realRoot, real)) {
      throw new PathEscapeError(
        `${what}: "${rel}" goes through a symlink that leads outside the project directory${real ? ` (to ${real})` : ''}; refusing to store it`,
      );
    }
  }
}

/** Expands patterns in `root`, minus excludes; extra literal paths (e.g. untracked files) are added as given. */
export async function resolvePaths(
  root: string,
  patterns: string[],
  exclude: string[] = [],
  extra: string[] = [],
  what = 'path',
): Promise<ResolvedPaths> {
  const selected = new Map<string, Entry>();
  const unmatched: string[] = [];
  const addWithChildren = async (e: Entry) => {
    selected.set(e.rel, e);
    if (e.kind === 'dir') {
      const kids: Entry[] = [];
      await walk(root, e.rel, kids);
      for (const k of kids) selected.set(k.rel, k);
    }
  };
  for (const raw of patterns) {
    const p = cleanPattern(raw, what);
    const scan = picomatch.scan(p);
    if (!scan.isGlob) {
      const e = p === '.' ? { rel: '', kind: 'dir' as const } : await entryAt(root, p);
      if (!e) {
        unmatched.push(raw);
        continue;
      }
      if (e.rel === '') {
        const all: Entry[] = [];
        await walk(root, '', all);
        for (const k of all) selected.set(k.rel, k);
      } else await addWithChildren(e);
      continue;
    }
    const base = scan.base && scan.base !== '.' ? scan.base : '';
    const candidates: Entry[] = [];
    await walk(root, base, candidates);
    const isMatch = picomatch(p, { dot: true });
    let hit = false;
    for (const c of candidates) {
      if (!isMatch(c.rel)) continue;
      hit = true;
      await addWithChildren(c);
    }
    if (!hit) unmatched.push(raw);
  }
  for (const x of extra) {
    const e = await entryAt(root, x);
    if (e) selected.set(e.rel, e);
  }
  if (exclude.length) {
    const ex = exclude.map((x) => picomatch(cleanPattern(x, 'exclude'), { dot: true }));
    const excludedDirs: string[] = [];
    for (const rel of [...selected.keys()].sort()) {
      if (ex.some((m) => m(rel)) || excludedDirs.some((d) => rel.startsWith(`${d}/`))) {
        if (selected.get(rel)!.kind === 'dir') excludedDirs.push(rel);
        selected.delete(rel);
      }
    }
  }
  const paths = [...selected.keys()].filter((r) => r !== '').sort();
  await checkParents(root, paths, what);
  for (const e of selected.values()) {
    if (e.kind === 'symlink') await checkSymlink(root, e.rel);
    if (e.kind === 'special')
      throw new PathEscapeError(
        `${what}: "${e.rel}" is a device file, fifo or socket; only files, directories and symlinks can be stored`,
      );
  }
  return { paths, unmatched };
}
