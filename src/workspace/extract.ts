// A commit's files written into a directory (git archive | tar), for sources taken from commits rather than from
// a work tree: `--source committed` and submodules checked out at the commit the project records.
import { spawn } from 'node:child_process';
import { listTree, type TreeEntry } from './copy.js';
import { WorkspaceError } from './errors.js';

/** Writes `treeish` of the repository at `repo` into `dest` (which exists) and lists what it wrote. */
export async function extractTree(repo: string, treeish: string, dest: string): Promise<TreeEntry[]> {
  await new Promise<void>((resolve, reject) => {
    const archive = spawn('git', ['archive', '--format=tar', treeish], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tar = spawn('tar', ['-x', '-C', dest], { stdio: ['pipe', 'ignore', 'pipe'] });
    archive.stdout.pipe(tar.stdin);
    let err = '';
    archive.stderr.on('data', (c) => (err += c));
    tar.stderr.on('data', (c) => (err += c));
    let pending = 2;
    let failed = false;
    const done = (code: number | null) => {
      if (code !== 0) failed = true;
      if (--pending === 0) failed ? reject(new WorkspaceError(`cannot extract ${treeish}: ${err.trim()}`)) : resolve();
    };
    archive.on('close', done);
    tar.on('close', done);
    archive.on('error', (e) => reject(new WorkspaceError(`cannot run git archive: ${e.message}`)));
    tar.on('error', (e) => reject(new WorkspaceError(`cannot run tar: ${e.message}`)));
  });
  return listTree(dest);
}
