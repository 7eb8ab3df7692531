// Untracked source files in a snapshot: the user's working tree may hold files git does not track yet (new
// sources not committed). kiln copies them into the snapshot, and records them in the snapshot's own index as
// "intent to add" (no content hashed, nothing written to the user's repository). Inside a job they are then part of
// the sources, as they would be in a GitLab clone of a commit holding them: `git status` does not show them as
// untracked and `git ls-files -o` (artifacts:untracked, cache:untracked) lists only what the job itself created,
// ignored files included.
import { spawn } from 'node:child_process';
import { WorkspaceError } from './errors.js';

/** Marks the given paths (relative to the snapshot's top) as intent-to-add in the snapshot's index. */
export function addIntentToAdd(snapshotDir: string, rels: string[]): Promise<void> {
  if (rels.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['add', '--intent-to-add', '--pathspec-from-file=-', '--pathspec-file-nul'], {
      cwd: snapshotDir,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', (e) => reject(new WorkspaceError(`cannot run git add: ${e.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new WorkspaceError(`cannot record untracked sources in the workspace index: ${err.trim()}`)),
    );
    child.stdin.on('error', () => undefined);
    child.stdin.end(rels.map((r) => `${r}\0`).join(''));
  });
}

/** Splits `git ls-files -c -o -t -z` output into tracked and untracked paths. */
export function splitTagged(out: string): { tracked: string[]; untracked: string[] } {
  const tracked: string[] = [];
  const untracked: string[] = [];
  for (const item of out.split('\0')) {
    if (item.length < 3) continue;
    (item[0] === '?' ? untracked : tracked).push(item.slice(2));
  }
  return { tracked, untracked };
}
