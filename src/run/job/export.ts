// A job's artifacts copied out of kiln's store to a directory of the user's choice (`kiln artifacts`). Nothing
// half-written is ever visible: the files are restored into a temporary directory beside the destination, which
// is renamed into place at the end; an existing, non-empty destination is refused rather than mixed into.
import { mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Store } from '../../store/store.js';
import { restoreTree } from '../../store/tree.js';

export class ExportError extends Error {}

export interface ExportResult {
  files: number;
  dir: string;
}

export async function exportArtifacts(store: Store, key: string, dest: string): Promise<ExportResult> {
  const entry = await store.readEntry('artifacts', key);
  if (!entry)
    throw new ExportError(`no artifacts stored for ${key} (the job kept none, they expired, or the store was pruned)`);
  const existing = await readdir(dest).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw new ExportError(`cannot use ${dest}: ${e.message}`);
  });
  if (existing && existing.length)
    throw new ExportError(`${dest} exists and is not empty; choose another directory with -o`);
  await mkdir(dirname(dest), { recursive: true });
  const tmp = join(dirname(dest), `.${basename(dest)}.kiln-tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const { count } = await restoreTree(store, entry.files, tmp);
    if (existing) await rmdir(dest);
    await rename(tmp, dest);
    return { files: count, dir: dest };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e instanceof ExportError ? e : new ExportError(`cannot export the artifacts: ${(e as Error).message}`);
  }
}
