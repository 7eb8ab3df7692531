// The project's git submodules, laid into the pipeline's snapshot once, the first time a job asks for them
// (GIT_SUBMODULE_STRATEGY normal or recursive); jobs then copy the ones they select like any other source file.
//
// Where each submodule's files come from:
// - with the working tree as the source ("worktree", kiln's default) and the submodule checked out on disk: its
//   files as they are there (tracked + untracked non-ignored), as kiln does for the project itself;
// - otherwise (source "committed", or a submodule never initialized here): the commit the project records for it,
//   from the submodule's repository on disk (checked out or absorbed in .git/modules), else cloned from the URL in
//   .gitmodules (relative URLs resolve against the project's origin, as git does).
// Each copy gets its own .git that borrows the objects of the repository it came from (clone --shared), so
// `git describe` and `git log` work inside the submodule as they do in a GitLab job.
//
// A submodule that cannot be had is not an error for the pipeline: only the jobs that select it fail, naming it.
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { copyFiles, listTree, type TreeEntry } from './copy.js';
import { git } from './git.js';
import { extractTree } from './extract.js';

export interface SubmoduleTree {
  /** Name in .gitmodules. */
  name: string;
  /** Path relative to the snapshot root, e.g. "vendor/lib" or "vendor/lib/deps/inner". */
  path: string;
  /** 1 for the project's own submodules, 2 for theirs, ... */
  level: number;
  /** Path of the level-1 submodule this one is under (its own path at level 1). */
  top: string;
  /** Path of the repository that holds it: "" for the project, else the parent submodule's path. */
  parent: string;
  /** Resolved URL (for the job's .git/config, as `git submodule init` records it). */
  url: string;
  /** The commit checked out in the copy. */
  commit?: string;
  /** Entries relative to the snapshot root, the submodule's .git included. */
  entries: TreeEntry[];
  /** Why this submodule could not be prepared; jobs that select it fail with this. */
  error?: string;
  /** One line for the job log when the copy differs from what GitLab would check out. */
  note?: string;
}

interface Gitlink {
  path: string;
  commit: string;
}

interface Source {
  /** Directory of the repository (work tree or git dir) that holds the submodule's objects. */
  repo: string;
  /** Its work tree on disk when the files are taken from there. */
  worktree?: string;
}

export interface SubmoduleOptions {
  /** Directory of the project (the snapshot's source) and the snapshot itself. */
  projectDir: string;
  snapshotDir: string;
  /** Where clones of never-initialized submodules go (inside the pipeline's directory). */
  cloneDir: string;
  worktree: boolean;
}

/** Every submodule, all levels, in the snapshot. Never throws for one submodule's problem (see `error`). */
export async function prepareSubmodules(o: SubmoduleOptions): Promise<SubmoduleTree[]> {
  const out: SubmoduleTree[] = [];
  const originUrl = await remoteUrl(o.projectDir);
  const links = await gitlinks(o.projectDir, o.worktree ? undefined : 'HEAD');
  const modules = await gitmodules(o.projectDir, o.worktree ? undefined : 'HEAD');
  const superGitDir = (await git(o.projectDir, ['rev-parse', '--absolute-git-dir'])).stdout.toString().trim();
  await walk(o, out, links, modules, {
    level: 1,
    prefix: '',
    base: originUrl ?? o.projectDir,
    repoDir: o.projectDir,
    modulesDir: join(superGitDir, 'modules'),
    top: undefined,
  });
  return out;
}

interface Level {
  level: number;
  /** Path of the parent inside the snapshot ("" for the project). */
  prefix: string;
  /** What relative URLs of this level resolve against. */
  base: string;
  /** The parent repository on disk (its work tree when it has one). */
  repoDir: string;
  /** The parent's modules dir (absorbed submodule git dirs). */
  modulesDir: string;
  top: string | undefined;
}

async function walk(
  o: SubmoduleOptions,
  out: SubmoduleTree[],
  links: Gitlink[],
  modules: Map<string, { name: string; url: string }>,
  at: Level,
): Promise<void> {
  for (const link of links) {
    const meta = modules.get(link.path);
    const path = at.prefix ? `${at.prefix}/${link.path}` : link.path;
    const top = at.top ?? path;
    const name = meta?.name ?? link.path;
    const url = meta ? resolveUrl(at.base, meta.url) : '';
    const tree: SubmoduleTree = { name, path, level: at.level, top, parent: at.prefix, url, entries: [] };
    out.push(tree);
    if (!meta) {
      tree.error = `submodule ${path}: no URL for it in .gitmodules`;
      continue;
    }
    try {
      const onDisk = join(at.repoDir, link.path);
      const checkedOut = await isRepoTop(onDisk);
      let source: Source;
      if (o.worktree && checkedOut) {
        source = { repo: onDisk, worktree: onDisk };
        const head = (await git(onDisk, ['rev-parse', 'HEAD'])).stdout.toString().trim();
        tree.commit = head;
        if (head && head !== link.commit)
          tree.note = `submodule ${path}: the checkout on disk is at ${head.slice(0, 8)}, the project records ${link.commit.slice(0, 8)}; kiln uses the checkout, as it does for the project's own files`;
      } else {
        source = await commitSource(o, {
          onDisk: checkedOut ? onDisk : undefined,
          absorbed: join(at.modulesDir, name),
          url,
          name,
          commit: link.commit,
        });
        tree.commit = link.commit;
      }
      tree.entries = await layOut(o.snapshotDir, path, source, tree.commit!);
      const nested = source.worktree ? await gitlinks(source.worktree) : await gitlinks(source.repo, tree.commit);
      if (nested.length) {
        const nestedModules = source.worktree
          ? await gitmodules(source.worktree)
          : await gitmodules(source.repo, tree.commit);
        const gitDir = (await git(source.repo, ['rev-parse', '--absolute-git-dir'])).stdout.toString().trim();
        await walk(o, out, nested, nestedModules, {
          level: at.level + 1,
          prefix: path,
          base: url,
          repoDir: source.worktree ?? source.repo,
          modulesDir: join(gitDir, 'modules'),
          top,
        });
      }
    } catch (e) {
      tree.error = `submodule ${path}: ${(e as Error).message}`;
      tree.entries = [];
    }
  }
}

/** A repository that has `commit`: the checkout, the absorbed git dir, or a clone from the URL. */
async function commitSource(
  o: SubmoduleOptions,
  s: { onDisk?: string; absorbed: string; url: string; name: string; commit: string },
): Promise<Source> {
  for (const repo of [s.onDisk, s.absorbed]) {
    if (repo && (await hasCommit(repo, s.commit))) return { repo };
  }
  const dest = join(o.cloneDir, s.name.replace(/[^A-Za-z0-9._-]/g, '_'));
  if (!(await hasCommit(dest, s.commit))) {
    await rm(dest, { recursive: true, force: true });
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    // File URLs are the usual case for a local run (and git refuses them in submodules since 2.38.1 unless allowed).
    const r = await git(o.projectDir, ['-c', 'protocol.file.allow=always', 'clone', '-q', '--bare', s.url, tmp], {
      GIT_TERMINAL_PROMPT: '0',
    });
    if (r.code !== 0)
      throw new Error(
        `not checked out here and cannot be cloned from ${s.url}: ${lastLine(r.stderr)} (run \`git submodule update --init\` in the project, or make the URL reachable)`,
      );
    await rename(tmp, dest);
    if (!(await hasCommit(dest, s.commit))) throw new Error(`commit ${s.commit} is not in ${s.url}`);
  }
  return { repo: dest };
}

/** Copies the submodule's files into the snapshot under `path` and gives it a .git at `commit`. */
async function layOut(snapshotDir: string, path: string, source: Source, commit: string): Promise<TreeEntry[]> {
  const dest = join(snapshotDir, path);
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest, { recursive: true });
  let entries: TreeEntry[];
  if (source.worktree) {
    const r = await git(source.worktree, ['ls-files', '-co', '--exclude-standard', '-z']);
    if (r.code !== 0) throw new Error(`git ls-files failed: ${lastLine(r.stderr)}`);
    entries = await copyFiles(
      source.worktree,
      dest,
      r.stdout
        .toString()
        .split('\0')
        .filter((p) => p && p !== '.git' && !p.startsWith('.git/')),
    );
    entries = [...entries, ...(await emptyGitlinkDirs(source.worktree, dest))];
  } else {
    entries = await extractTree(source.repo, commit, dest);
  }
  const gitEntries = await addSubmoduleGitDir(source.repo, dest, commit);
  const rel = (e: TreeEntry): TreeEntry => ({ rel: `${path}/${e.rel}`, kind: e.kind });
  return [{ rel: path, kind: 'dir' }, ...[...entries, ...gitEntries].map(rel)];
}

/** Nested submodules' directories, empty as git leaves them before `submodule update`. */
async function emptyGitlinkDirs(worktree: string, dest: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  for (const l of await gitlinks(worktree)) {
    await mkdir(join(dest, l.path), { recursive: true });
    const parts = l.path.split('/');
    for (let i = 1; i <= parts.length; i++) out.push({ rel: parts.slice(0, i).join('/'), kind: 'dir' });
  }
  return out;
}

/** A .git for the copy: shares `repo`'s objects, HEAD detached at `commit`, index filled from it. */
async function addSubmoduleGitDir(repo: string, dest: string, commit: string): Promise<TreeEntry[]> {
  const tmp = `${dest}.gitclone`;
  await rm(tmp, { recursive: true, force: true });
  const c = await git(dirname(dest), ['clone', '-q', '--shared', '--no-checkout', '--template=', repo, tmp]);
  if (c.code !== 0) throw new Error(`cannot prepare its .git: ${lastLine(c.stderr)}`);
  const gitDir = join(tmp, '.git');
  const setup = await git(tmp, ['--git-dir', gitDir, 'update-ref', '--no-deref', 'HEAD', commit]);
  const index =
    setup.code === 0 ? await git(tmp, ['--git-dir', gitDir, '--work-tree', dest, 'read-tree', commit]) : setup;
  if (index.code !== 0) throw new Error(`cannot check out ${commit}: ${lastLine(index.stderr)}`);
  await rename(gitDir, join(dest, '.git'));
  await rm(tmp, { recursive: true, force: true });
  return (await listTree(join(dest, '.git')))
    .map((e) => ({ rel: `.git/${e.rel}`, kind: e.kind }))
    .concat([{ rel: '.git', kind: 'dir' }])
    .sort((a, b) => a.rel.length - b.rel.length);
}

async function isRepoTop(dir: string): Promise<boolean> {
  try {
    await lstat(join(dir, '.git'));
  } catch {
    return false;
  }
  const r = await git(dir, ['rev-parse', '--show-toplevel']);
  return r.code === 0 && resolvePath(r.stdout.toString().trim()) === resolvePath(dir);
}

async function hasCommit(repo: string, commit: string): Promise<boolean> {
  try {
    await lstat(repo);
  } catch {
    return false;
  }
  return (await git(repo, ['cat-file', '-e', `${commit}^{commit}`])).code === 0;
}

/** Gitlinks (mode 160000) of the index (`treeish` undefined) or of a commit, paths relative to `dir`. */
async function gitlinks(dir: string, treeish?: string): Promise<Gitlink[]> {
  const r = treeish ? await git(dir, ['ls-tree', '-r', '-z', treeish, '.']) : await git(dir, ['ls-files', '-s', '-z']);
  if (r.code !== 0) return [];
  const out: Gitlink[] = [];
  for (const rec of r.stdout.toString().split('\0')) {
    // ls-files -s: "160000 <sha> <stage>\t<path>"; ls-tree: "160000 commit <sha>\t<path>"
    const m = /^160000 (?:commit )?([0-9a-f]{40,64})(?: \d)?\t(.+)$/.exec(rec);
    if (m) out.push({ commit: m[1], path: m[2] });
  }
  return out;
}

/** .gitmodules of the work tree (or of a commit): path -> name and URL. */
async function gitmodules(dir: string, treeish?: string): Promise<Map<string, { name: string; url: string }>> {
  const args = treeish
    ? ['config', '--blob', `${treeish}:.gitmodules`, '-z', '--get-regexp', '^submodule\\..*\\.(path|url)$']
    : ['config', '--file', '.gitmodules', '-z', '--get-regexp', '^submodule\\..*\\.(path|url)$'];
  const r = await git(dir, args);
  const byName = new Map<string, { path?: string; url?: string }>();
  if (r.code === 0) {
    for (const rec of r.stdout.toString().split('\0')) {
      const nl = rec.indexOf('\n');
      if (nl < 0) continue;
      const key = rec.slice(0, nl);
      const m = /^submodule\.(.+)\.(path|url)$/.exec(key);
      if (!m) continue;
      const e = byName.get(m[1]) ?? {};
      e[m[2] as 'path' | 'url'] = rec.slice(nl + 1);
      byName.set(m[1], e);
    }
  }
  const out = new Map<string, { name: string; url: string }>();
  for (const [name, e] of byName) if (e.path && e.url) out.set(e.path.replace(/\/+$/, ''), { name, url: e.url });
  return out;
}

async function remoteUrl(dir: string): Promise<string | undefined> {
  const r = await git(dir, ['config', '--get', 'remote.origin.url']);
  const u = r.stdout.toString().trim();
  return r.code === 0 && u ? u : undefined;
}

/** git's rule: a URL starting with ./ or ../ is relative to the superproject's URL (or its directory). */
export function resolveUrl(base: string, url: string): string {
  if (!url.startsWith('./') && !url.startsWith('../')) return url;
  let b = base.replace(/\/+$/, '');
  let rest = url;
  for (;;) {
    if (rest.startsWith('./')) rest = rest.slice(2);
    else if (rest.startsWith('../')) {
      rest = rest.slice(3);
      const cut = Math.max(b.lastIndexOf('/'), b.lastIndexOf(':'));
      b = cut >= 0 ? b.slice(0, cut) : '.';
    } else break;
  }
  const sep = /:$/.test(b) ? '' : '/';
  return rest ? `${b}${sep}${rest}` : b;
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n').filter(Boolean);
  return lines[lines.length - 1] ?? 'failed';
}
