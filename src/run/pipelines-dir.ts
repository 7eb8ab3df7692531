// Pipeline ids and directories: `.kiln/pipelines/<id>/` holds a run's logs, snapshot and job workspaces.
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export function pipelinesRoot(kilnDir: string): string {
  return join(kilnDir, 'pipelines');
}

async function ids(root: string): Promise<number[]> {
  try {
    return (await readdir(root)).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** Claims the next pipeline id (mkdir is the lock: two kiln runs never share an id). */
export async function allocatePipeline(kilnDir: string): Promise<{ id: number; dir: string }> {
  const root = pipelinesRoot(kilnDir);
  await mkdir(root, { recursive: true });
  let next = ((await ids(root)).at(-1) ?? 0) + 1;
  for (;;) {
    const dir = join(root, String(next));
    try {
      // Private: job workspaces (files a container made as root) and logs live under it.
      await mkdir(dir, { mode: 0o700 });
      return { id: next, dir };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      next++;
    }
  }
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
