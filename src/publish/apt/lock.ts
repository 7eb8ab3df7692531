// One publish at a time per repository: an exclusive lock file holding the owner's pid, host, start time and a
// random token. A second publish waits up to a timeout, then fails naming the holder. A lock left by a dead
// process on this host is taken over.
//
// Crash-safety and race rules enforced here:
// - The lock appears complete or not at all: the owner writes a private candidate file and hard-links it to the
//   lock name (link(2) fails with EEXIST when the lock exists, like O_EXCL), so no reader ever sees an empty lock
//   file, and an owner killed half-way leaves no lock it cannot be recognised by.
// - Taking over a stale lock is the only place where a process removes a lock it does not own, and that is
//   serialised: the taker first holds a takeover guard, an abstract unix socket named after the repository's
//   device and inode, which the kernel releases when its holder exits (no stale guard can exist). Under the guard
//   the taker reads the lock again and removes it only if it is still the same dead owner's lock (same token).
//   Without the guard, two takers that both saw the same stale lock could each remove it in turn, the second
//   removing the first one's fresh lock, and two publishers would run at once (packages lost, a suite pointing
//   at a generation the other pruned).
// - Release removes the lock only while it still carries our token.
import { link, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RepoLockedError } from '../errors.js';
import { processAlive } from '../../util/process-alive.js';

export const LOCK_NAME = '.kiln-publish.lock';

interface LockInfo {
  pid: number;
  host: string;
  started: string;
  token?: string;
}

async function readInfo(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

export interface RepoLock {
  release(): Promise<void>;
}

/** Tries to create the lock; true when it is ours. */
async function tryCreate(path: string, info: LockInfo): Promise<boolean> {
  const candidate = `${path}.${info.pid}.${info.token}`;
  await writeFile(candidate, JSON.stringify(info) + '\n', { mode: 0o644 });
  try {
    await link(candidate, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    await rm(candidate, { force: true });
  }
}

/** The takeover guard: an abstract unix socket only one process can bind; the kernel frees it at exit. */
async function takeoverGuard(repo: string): Promise<Server | undefined> {
  const st = await stat(repo);
  const id = createHash('sha256').update(`${st.dev}:${st.ino}`).digest('hex').slice(0, 32);
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(`\0kiln-publish-takeover-${id}`, () => resolve(server));
  });
}

function isStale(info: LockInfo | undefined): boolean {
  return !!info && info.host === hostname() && !processAlive(info.pid);
}

/** Removes the lock if, under the takeover guard, it is still the stale lock `seen`. */
async function takeOver(repo: string, path: string, seen: LockInfo): Promise<void> {
  const guard = await takeoverGuard(repo);
  if (!guard) {
    // another process is taking over right now; the caller retries
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
    return;
  }
  try {
    const now = await readInfo(path);
    if (now && isStale(now) && now.pid === seen.pid && now.token === seen.token && now.started === seen.started) {
      await rm(path, { force: true });
    }
  } finally {
    await new Promise((r) => guard.close(r));
  }
}

/** Candidate files of publishers killed between writing and linking them (`.kiln-publish.lock.<pid>.<token>`). */
async function sweepCandidates(repo: string): Promise<void> {
  for (const name of await readdir(repo).catch(() => [] as string[])) {
    const m = /^\.kiln-publish\.lock\.(\d+)\.[0-9a-f]+$/.exec(name);
    if (m && !processAlive(Number(m[1]))) await rm(join(repo, name), { force: true });
  }
}

export async function lockRepo(repo: string, timeoutMs: number, onWait?: (holder: string) => void): Promise<RepoLock> {
  const path = join(repo, LOCK_NAME);
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  let told = false;
  for (;;) {
    const mine: LockInfo = {
      pid: process.pid,
      host: hostname(),
      started: new Date().toISOString(),
      token: randomBytes(8).toString('hex'),
    };
    if (await tryCreate(path, mine)) {
      await sweepCandidates(repo);
      return {
        release: async () => {
          if ((await readInfo(path))?.token === mine.token) await rm(path, { force: true });
        },
      };
    }
    const info = await readInfo(path);
    if (isStale(info)) {
      await takeOver(repo, path, info!);
      continue;
    }
    const who = info ? `pid ${info.pid} on ${info.host} since ${info.started}` : 'an unknown process';
    if (!told && onWait && timeoutMs > 0) {
      told = true;
      onWait(who);
    }
    if (Date.now() >= deadline) {
      throw new RepoLockedError(
        `${repo} is locked by another publish (${who}); waited ${Math.round(timeoutMs / 1000)}s. ` +
          `Retry later, raise --lock-timeout, or remove ${path} if that process is gone.`,
      );
    }
    await new Promise((r) =>
      setTimeout(r, Math.min(delay * (0.5 + Math.random()), Math.max(deadline - Date.now(), 1))),
    );
    delay = Math.min(delay * 2, 250);
  }
}
