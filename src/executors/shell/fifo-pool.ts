// Named pipes for step output, made in batches: Node cannot create an anonymous pipe (its `stdio: 'pipe'` is a
// socket pair), and one `mkfifo` process per step would cost a process start per step. One `mkfifo` call makes
// BATCH of them in a private directory of this kiln; each is opened (both ends) and unlinked by the step that
// takes it, so none is ever used twice.
//
// Crash safety: the directory is named after the kiln process (kiln-fifos-<pid>-<random>) and removed when it
// exits; one whose kiln is gone (kill -9) is removed by the next kiln that makes a pool.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const BATCH = 16;

let dir: string | undefined;
const ready: string[] = [];
let making: Promise<void> | undefined;
let serial = 0;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function poolDir(): string {
  if (dir) return dir;
  const base = tmpdir();
  for (const name of readdirSync(base)) {
    const m = /^kiln-fifos-(\d+)-/.exec(name);
    if (m && !alive(Number(m[1]))) rmSync(join(base, name), { recursive: true, force: true });
  }
  dir = mkdtempSync(join(base, `kiln-fifos-${process.pid}-`));
  const made = dir;
  process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  return dir;
}

/** The path of a fresh FIFO (mode 0600) that nobody else has. */
export async function takeFifo(): Promise<string> {
  while (!ready.length) {
    making ??= (async () => {
      const d = poolDir();
      const names = Array.from({ length: BATCH }, () => join(d, `${serial++}.fifo`));
      await promisify(execFile)('mkfifo', ['-m', '600', ...names]);
      ready.push(...names);
    })().finally(() => {
      making = undefined;
    });
    await making;
  }
  return ready.shift()!;
}
