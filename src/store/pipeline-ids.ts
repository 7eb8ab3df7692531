// Pipeline ids handed out by a store: unique among all the projects that share it, as GitLab's CI_PIPELINE_ID is
// unique on its instance. Each id is claimed by creating `pipeline-ids/<n>/` (mkdir either creates it or fails:
// two runs never get one id), then the caller claims it in its project too; an id the project already has is
// skipped. Crash safety: a run killed between the two claims only leaves a number unused. Old claims are pruned,
// the newest ones kept, so the next number is always found from the directory listing.
import { mkdir, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { STORE_DIR_MODE } from './store.js';
import { StoreError } from './errors.js';

/** Claims older than the newest by more than this are removed. */
const KEEP_CLAIMS = 64;

async function claimed(dir: string): Promise<number[]> {
  try {
    return (await readdir(dir)).filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return [];
  }
}

/**
 * Returns the next id above every id this store handed out and at least `atLeast` that `claimInProject` accepts
 * (it returns false when the project already has that id).
 */
export async function claimPipelineId(
  storeRoot: string,
  atLeast: number,
  claimInProject: (id: number) => Promise<boolean>,
): Promise<number> {
  const dir = join(storeRoot, 'pipeline-ids');
  try {
    await mkdir(dir, { recursive: true, mode: STORE_DIR_MODE });
  } catch (e) {
    throw new StoreError(`cannot write to the store at ${storeRoot}: ${(e as Error).message}`, { cause: e });
  }
  const all = await claimed(dir);
  let next = Math.max(atLeast, (all.length ? Math.max(...all) : 0) + 1);
  for (;;) {
    try {
      await mkdir(join(dir, String(next)), { mode: STORE_DIR_MODE });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new StoreError(`cannot write to the store at ${storeRoot}: ${(e as Error).message}`, { cause: e });
      next++;
      continue;
    }
    if (await claimInProject(next)) break;
    next++;
  }
  for (const n of all) if (n < next - KEEP_CLAIMS) await rmdir(join(dir, String(n))).catch(() => undefined);
  return next;
}
