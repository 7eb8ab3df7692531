// One publish at a time per repository: an exclusive lock file (created with O_EXCL) holding the owner's pid,
// host and start time. A second publish waits up to a timeout, then fails naming the holder. A lock left by a
// dead process on this host is taken over.
import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RepoLockedError } from '../errors.js';
import { processAlive } from '../../util/process-alive.js';

export const LOCK_NAME = '.kiln-publish.lock';

interface LockInfo { pid: number; host: string; started: string }

async function readInfo(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

export interface RepoLock { release(): Promise<void> }

export async function lockRepo(repo: string, timeoutMs: number, onWait?: (holder: string) => void): Promise<RepoLock> {
  const path = join(repo, LOCK_NAME);
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  let told = false;
  for (;;) {
    try {
      const fh = await open(path, 'wx', 0o644);
      const info: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
      await fh.writeFile(JSON.stringify(info) + '\n');
      await fh.close();
      return { release: () => rm(path, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const info = await readInfo(path);
    if (info && info.host === hostname() && !processAlive(info.pid)) {
      await rm(path, { force: true });
      continue;
    }
    if (!told && onWait && timeoutMs > 0) {
      told = true;
      onWait(info ? `pid ${info.pid} on ${info.host} since ${info.started}` : 'an unknown process');
    }
    if (Date.now() >= deadline) {
      const who = info ? `pid ${info.pid} on ${info.host} since ${info.started}` : 'an unknown process';
      throw new RepoLockedError(`${repo} is locked by another publish (${who}); waited ${Math.round(timeoutMs / 1000)}s. ` +
        `Retry later, raise --lock-timeout, or remove ${path} if that process is gone.`);
    }
    await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(deadline - Date.now(), 1))));
    delay = Math.min(delay * 2, 500);
  }
}
