// Pipeline ids and directories: `.kiln/pipelines/<id>/` holds a run's logs, snapshot and job workspaces. The
// directories are private (0700): a job's workspace may hold secrets and, with the Docker executor, files made
// by other users, so it is not traversable by anyone but the user.
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { claimPipelineId } from '../store/pipeline-ids.js';

const PRIVATE_DIR = 0o700;

export function pipelinesRoot(kilnDir: string): string {
  return join(kilnDir, 'pipelines');
}

async function ids(root: string): Promise<number[]> {
  try {
    return (await readdir(root))
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/**
 * Claims the next pipeline id (mkdir is the lock: two kiln runs never share an id). With a store, the id also
 * comes from the store, so projects sharing a store never share an id (see store/pipeline-ids.ts).
 */
export async function allocatePipeline(kilnDir: string, storeDir?: string): Promise<{ id: number; dir: string }> {
  const root = pipelinesRoot(kilnDir);
  await mkdir(root, { recursive: true, mode: PRIVATE_DIR });
  // Made by an older kiln with the umask's mode: made private now.
  const st = await stat(root);
  if (st.mode & 0o077) await chmod(root, PRIVATE_DIR).catch(() => undefined);
  const first = ((await ids(root)).at(-1) ?? 0) + 1;
  const claimHere = async (id: number) => {
    try {
      // Private: job workspaces (files a container made as root) and logs live under it.
      await mkdir(join(root, String(id)), { mode: PRIVATE_DIR });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return false;
    }
  };
  let id: number;
  if (storeDir) id = await claimPipelineId(storeDir, first, claimHere);
  else for (id = first; !(await claimHere(id)); id++);
  return { id, dir: join(root, String(id)) };
}

/** The most recent pipeline that finished (has a summary). */
export async function latestPipeline(kilnDir: string): Promise<number> {
  const root = pipelinesRoot(kilnDir);
  const all = await ids(root);
  for (let i = all.length - 1; i >= 0; i--) {
    if (existsSync(join(root, String(all[i]), 'summary.json'))) return all[i];
  }
  throw new UsageError(`no pipelines have run in ${kilnDir} yet`);
}
