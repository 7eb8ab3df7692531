// Git-untracked files of a job workspace (artifacts:untracked, cache:untracked): what the job (or its restored
// caches and downloaded artifacts) put there. GitLab includes ignored files here. The user's untracked source files
// are in the workspace index as intent-to-add (workspace/intent.ts), so git does not list them; they are also left
// out by name, and without a .git every file that was not part of the sources counts as untracked.
import { git } from '../../workspace/git.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { listTree } from '../../workspace/copy.js';

export async function untrackedFiles(ws: string, sourceFiles: Set<string>): Promise<string[]> {
  if (existsSync(join(ws, '.git'))) {
    const r = await git(ws, ['ls-files', '-o', '-z']);
    if (r.code === 0)
      return r.stdout
        .toString()
        .split('\0')
        .filter((p) => p && !sourceFiles.has(p));
  }
  const all = await listTree(ws, ['.git']);
  return all.filter((e) => e.kind !== 'dir' && !sourceFiles.has(e.rel)).map((e) => e.rel);
}
