// `resource_group` across every `kiln run` on this machine that shares a store: at most one job of a group runs
// at a time, as GitLab guarantees for a project (CI/CD YAML reference, resource_group; "Resource group process
// modes": unordered, oldest_first, newest_first).
//
// Crash safety: the mutual exclusion is a kernel lock (flock(2), taken by a `flock` child process that holds it
// for as long as kiln keeps the child's stdin open). When kiln dies, even by kill -9, the pipe closes, the child
// exits and the kernel drops the lock: there is never a stale holder to take over. Order among waiters comes from
// ticket files (`<time>-<seq>-<pid>-<nonce>`): with oldest_first / newest_first a job takes the lock only when its ticket
// is the oldest / newest of the live ones; tickets of dead processes are ignored and removed.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../../util/process-alive.js';

export type ProcessMode = 'unordered' | 'oldest_first' | 'newest_first';

export class ResourceLockError extends Error {}

export interface HeldResource {
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** Directory shared by the runs (inside the store). */
  dir: string;
  /** Scope (the project) and name of the group. */
  scope: string;
  group: string;
  mode: ProcessMode;
  /** What the holder is, for waiters' messages. */
  holder: string;
  signal?: AbortSignal;
  /** Called once if the lock is not free at first. */
  onWait?: (heldBy: string | undefined) => void;
  pollMs?: number;
}

const POLL_MS = 150;
let sequence = 0;

export async function acquireResource(o: AcquireOptions): Promise<HeldResource> {
  const key = createHash('sha256').update(`${o.scope}\0${o.group}`).digest('hex').slice(0, 32);
  const base = join(o.dir, key);
  const tickets = join(base, 'tickets');
  await mkdir(tickets, { recursive: true, mode: 0o700 });
  // Sorted by time, then by this process's own sequence (two tickets of one process in the same millisecond).
  const ticket = `${String(Date.now()).padStart(15, '0')}-${String(++sequence).padStart(8, '0')}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const ticketPath = join(tickets, ticket);
  await writeFile(ticketPath, `${o.holder}\n`, { flag: 'wx', mode: 0o600 });
  let waited = false;
  try {
    for (;;) {
      if (o.signal?.aborted) throw new ResourceLockError(`canceled while waiting for resource_group ${o.group}`);
      if (await myTurn(tickets, ticket, o.mode)) {
        const child = await tryLock(join(base, 'lock'));
        if (child) {
          await writeFile(join(base, 'holder'), `${o.holder}\n`).catch(() => undefined);
          let released = false;
          return {
            release: async () => {
              if (released) return;
              released = true;
              // The holder note goes while the lock is still ours, so it never removes the next holder's.
              await rm(join(base, 'holder'), { force: true });
              await rm(ticketPath, { force: true });
              await unlock(child);
            },
          };
        }
      }
      if (!waited) {
        waited = true;
        o.onWait?.(await readHolder(base, tickets, ticket));
      }
      await sleep(o.pollMs ?? POLL_MS, o.signal);
    }
  } catch (e) {
    await rm(ticketPath, { force: true });
    throw e;
  }
}

/** Whether `ticket` may try the lock now under `mode`; removes tickets of dead processes on the way. */
async function myTurn(dir: string, ticket: string, mode: ProcessMode): Promise<boolean> {
  if (mode === 'unordered') return true;
  const live: string[] = [];
  for (const t of (await readdir(dir)).sort()) {
    const pid = Number(t.split('-')[2]);
    if (t !== ticket && !(Number.isInteger(pid) && processAlive(pid))) {
      await rm(join(dir, t), { force: true });
      continue;
    }
    live.push(t);
  }
  return mode === 'oldest_first' ? live[0] === ticket : live[live.length - 1] === ticket;
}

/** A `flock -n` child holding the lock, or undefined when another process holds it. */
function tryLock(file: string): Promise<ChildProcess | undefined> {
  return new Promise((resolve, reject) => {
    // -n: fail at once when held (exit 1); -E 75 tells "held" apart from other failures. The child keeps the lock
    // until its stdin reaches end of file, which also happens when kiln dies.
    const child = spawn('flock', ['-n', '-E', '75', file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('locked')) resolve(child);
    });
    child.stderr!.on('data', (d) => (err += d));
    child.on('error', (e) =>
      reject(new ResourceLockError(`cannot run flock (util-linux) for resource_group: ${e.message}`)),
    );
    child.on('exit', (code) => {
      if (out.includes('locked')) return;
      if (code === 75) resolve(undefined);
      else reject(new ResourceLockError(`flock failed (exit ${code}): ${err.trim()}`));
    });
  });
}

function unlock(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.stdin!.end();
  });
}

/**
 * Who holds the group: its holder note, or, between a job taking its turn and writing that note (or while the
 * turn passes), the oldest other ticket: tickets carry the same text, and that job is the one the lock goes to.
 */
async function readHolder(base: string, tickets: string, own: string): Promise<string | undefined> {
  const read = async (file: string) => {
    try {
      return (await readFile(file, 'utf8')).trim() || undefined;
    } catch {
      return undefined;
    }
  };
  const note = await read(join(base, 'holder'));
  if (note) return note;
  for (const t of (await readdir(tickets).catch(() => [] as string[])).sort()) {
    if (t === own) continue;
    const text = await read(join(tickets, t));
    if (text) return text;
  }
  return undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
