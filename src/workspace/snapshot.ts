// One snapshot of the project's sources per pipeline, and cheap per-job clones of it. The snapshot holds the
// working tree's tracked + untracked non-ignored files (or HEAD only with source "committed") and a `.git`
// that shares the user's objects (git clone --shared), so `git describe`/`git log` work in jobs; its index lists
// the untracked source files as intent-to-add, so jobs see them as sources, not as untracked output.
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { copyEntries, copyFiles, listTree, type TreeEntry } from './copy.js';
import { WorkspaceError } from './errors.js';
import { ensureExcluded, git, probeRepo, type RepoInfo } from './git.js';
import { gitBatch } from '../util/git-batch.js';
import { addIntentToAdd, splitTagged } from './intent.js';
import { trace } from '../util/trace.js';
import { extractTree } from './extract.js';
import { prepareSubmodules, type SubmoduleTree } from './submodules.js';
import { refuseNonUtf8Path } from '../util/utf8.js';

export { WorkspaceError };

export type SourceMode = 'worktree' | 'committed';

export interface Snapshot {
  dir: string;
  /** The project's own files and its .git (submodules' files are not in here: see `submodules`). */
  entries: TreeEntry[];
  repo: RepoInfo | null;
  /** Every submodule, all levels, laid into `dir` the first time a job asks (see submodules.ts). */
  submodules: () => Promise<SubmoduleTree[]>;
}

/** Directory names never copied from the project dir. */
const STATE_DIRS = ['.kiln', '.git'];

export async function createSnapshot(projectDir: string, dest: string, source: SourceMode): Promise<Snapshot> {
  await rm(dest, { recursive: true, force: true });
  await mkdir(dest, { recursive: true });
  const { repo, listing } = await probeRepo(projectDir, source === 'worktree');
  trace('snapshot: repository found');
  if (repo) await ensureExcluded(repo, '.kiln/').catch(() => undefined);
  if (!repo) {
    if (source === 'committed')
      throw new WorkspaceError(`--source committed needs a git repository, and ${projectDir} is not in one`);
    const entries = await listTree(projectDir, STATE_DIRS);
    await copyEntries(projectDir, dest, entries);
    return { dir: dest, entries, repo, submodules: async () => [] };
  }
  // The sources and the .git are prepared side by side (separate git processes).
  const gitDir = repo.hasHead ? addGitDir(repo, dest) : Promise.resolve();
  let untracked: string[] = [];
  if (source === 'committed') {
    if (!repo.hasHead) throw new WorkspaceError(`--source committed: the repository at ${repo.top} has no commits yet`);
    await extractTree(repo.top, repo.prefix ? `HEAD:${repo.prefix.replace(/\/$/, '')}` : 'HEAD', dest);
  } else {
    let out = listing;
    if (out === undefined) {
      // Run again on its own for git's own words about the failure.
      const r = await git(projectDir, ['ls-files', '-co', '-t', '--exclude-standard', '-z']);
      if (r.code !== 0) throw new WorkspaceError(`git ls-files failed in ${projectDir}: ${r.stderr.trim()}`);
      out = r.stdout.toString();
    }
    const listed = splitTagged(out);
    // git lists names as bytes: one that is not UTF-8 reads back with U+FFFD and would silently not be copied.
    for (const rel of [...listed.tracked, ...listed.untracked]) {
      if (rel.includes('\ufffd')) await refuseNonUtf8Path(projectDir, rel);
    }
    const keep = (p: string) => !STATE_DIRS.some((s) => p === s || p.startsWith(`${s}/`));
    untracked = listed.untracked.filter(keep);
    const copied = await copyFiles(projectDir, dest, [...new Set([...listed.tracked, ...untracked].filter(keep))]);
    const present = new Set(copied.map((e) => e.rel));
    untracked = untracked.filter((p) => present.has(p));
    await addGitlinkDirs(
      projectDir,
      dest,
      listed.tracked.filter((p) => keep(p) && !present.has(p)),
    );
    trace('snapshot: files copied');
  }
  await gitDir;
  trace('snapshot: .git ready');
  // Untracked sources are sources inside the job, not job output (see intent.ts).
  if (repo.hasHead) await addIntentToAdd(dest, untracked);
  const entries = await listTree(dest);
  let submodules: Promise<SubmoduleTree[]> | undefined;
  return {
    dir: dest,
    entries,
    repo,
    submodules: () =>
      (submodules ??= prepareSubmodules({
        projectDir,
        snapshotDir: dest,
        cloneDir: `${dest}.modules`,
        worktree: source === 'worktree',
      })),
  };
}

/**
 * Tracked paths that were not copied and are directories on disk are submodules (gitlinks): a checkout leaves
 * them as empty directories until `git submodule update`, and so does the snapshot.
 */
async function addGitlinkDirs(projectDir: string, dest: string, notCopied: string[]): Promise<void> {
  for (const p of notCopied) {
    const st = await lstat(join(projectDir, p)).catch(() => undefined);
    if (st?.isDirectory()) await mkdir(join(dest, p), { recursive: true });
  }
}

/** Parts of a fresh clone's .git that jobs never need (fewer files to copy per job). */
const GIT_EXTRAS = ['hooks', 'logs', 'description', 'info', 'branches', 'FETCH_HEAD'];

/** A .git for the snapshot that borrows the user's objects through alternates (no object copy). */
async function addGitDir(repo: RepoInfo, dest: string): Promise<void> {
  const tmp = `${dest}.gitclone`;
  await rm(tmp, { recursive: true, force: true });
  const clone = ['clone', '-q', '--shared', '--no-checkout', '--template=', repo.top, tmp];
  // The index is filled from HEAD so `git status` in a job shows only the job's changes. Both in one process.
  const [cloned, indexed] = await gitBatch(repo.top, [clone, ['-C', tmp, 'read-tree', 'HEAD']], process.env);
  if (cloned === undefined) {
    await rm(tmp, { recursive: true, force: true });
    const c = await git(repo.top, clone);
    throw new WorkspaceError(`cannot prepare .git for the workspace: ${c.stderr.trim() || `git exited ${c.code}`}`);
  }
  if (indexed === undefined) {
    const rt = await git(tmp, ['read-tree', 'HEAD']);
    if (rt.code !== 0) throw new WorkspaceError(`cannot prepare the workspace index: ${rt.stderr.trim()}`);
  }
  await Promise.all(GIT_EXTRAS.map((x) => rm(join(tmp, '.git', x), { recursive: true, force: true })));
  await rename(join(tmp, '.git'), join(dest, '.git'));
  await rm(tmp, { recursive: true, force: true });
}

/** A job's private copy of the snapshot. */
export async function cloneSnapshot(snapshot: Snapshot, dest: string): Promise<void> {
  await rm(dest, { recursive: true, force: true });
  await copyEntries(snapshot.dir, dest, snapshot.entries);
}
