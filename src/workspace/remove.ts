// Removes a job's directory even when the job (or a restored cache) left directories without owner write or
// search permission (mode 000 comes back exactly): root ignores modes, anyone else must open them up first.
import { chmod, lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

async function openUp(dir: string): Promise<void> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) return;
  if ((st.mode & 0o700) !== 0o700) await chmod(dir, (st.mode & 0o7777) | 0o700).catch(() => undefined);
  for (const name of await readdir(dir).catch(() => [] as string[])) await openUp(join(dir, name));
}

export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw e;
    await openUp(dir);
    await rm(dir, { recursive: true, force: true });
  }
}
