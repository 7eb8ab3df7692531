// Runs one bash process in its own process group and ends the whole group on timeout, cancel or exit, and
// then every other process the step started (process-tree.ts), so no job process outlives its step.
//
// The step's stdout and stderr are one pipe (a FIFO, see fifo-pool.ts), as GitLab
// Runner's shell executor gives one writer for both: `/dev/stdout` and `/dev/stderr` can be opened (they
// cannot when they are sockets), and the two streams reach the masker in the order they were written.
import { spawn } from 'node:child_process';
import { closeSync, constants as fsc, openSync, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import type { OutputStream, StepResult } from '../types.js';
import { createProcessTree } from './process-tree.js';
import { takeFifo } from './fifo-pool.js';

export interface GroupRunOptions {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  onOutput: (chunk: Buffer, stream: OutputStream) => void;
  /** Time between SIGTERM and SIGKILL when ending the group. */
  killGraceMs?: number;
  /** false: find the step's processes by the environment sweep even where a cgroup could be used. */
  cgroup?: boolean;
}

/** A pipe: the read end for kiln, the write end for the step (closed here once the child has it). */
async function outputPipe(): Promise<{ read: number; write: number }> {
  const path = await takeFifo();
  try {
    const read = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
    const write = openSync(path, fsc.O_WRONLY);
    return { read, write };
  } finally {
    unlinkSync(path);
  }
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    /* group already gone */
  }
}

export async function runInProcessGroup(o: GroupRunOptions): Promise<StepResult> {
  const pipe = await outputPipe();
  return new Promise((resolve) => {
    const grace = o.killGraceMs ?? 2000;
    let timedOut = false;
    let cancelled = false;
    let finished = false;
    const timers: NodeJS.Timeout[] = [];
    const tree = createProcessTree({ cgroup: o.cgroup });
    const run = tree.wrap(o.command, o.args);
    const child = spawn(run.command, run.args, {
      cwd: o.cwd,
      env: { ...o.env, ...tree.env },
      detached: true,
      stdio: ['ignore', pipe.write, pipe.write],
    });
    closeSync(pipe.write);
    const output = new Socket({ fd: pipe.read, readable: true, writable: false });
    const pid = child.pid;

    const stop = (why: 'timeout' | 'cancel') => {
      if (finished || pid === undefined) return;
      if (why === 'timeout') timedOut = true;
      else cancelled = true;
      killGroup(pid, 'SIGTERM');
      const t = setTimeout(() => {
        killGroup(pid, 'SIGKILL');
        void tree.kill();
      }, grace);
      t.unref();
      timers.push(t);
    };
    const onAbort = () => stop('cancel');
    if (o.signal) {
      if (o.signal.aborted) queueMicrotask(onAbort);
      else o.signal.addEventListener('abort', onAbort, { once: true });
    }
    if (o.timeoutMs !== undefined && o.timeoutMs > 0) timers.push(setTimeout(() => stop('timeout'), o.timeoutMs));

    output.on('data', (c: Buffer) => o.onOutput(c, 'stdout'));
    output.on('error', () => undefined);
    let outputEnded = false;
    const outputDone = new Promise<void>((r) =>
      output.once('close', () => {
        outputEnded = true;
        r();
      }),
    );

    let exitCode = 0;
    let exitSignal: NodeJS.Signals | null = null;
    const finish = (spawnError?: Error) => {
      if (finished) return;
      finished = true;
      if (!outputEnded) output.destroy();
      for (const t of timers) clearTimeout(t);
      o.signal?.removeEventListener('abort', onAbort);
      if (spawnError) {
        resolve({ exitCode: 127, timedOut, cancelled, reason: `cannot start ${o.command}: ${spawnError.message}` });
        return;
      }
      const result: StepResult = { exitCode, timedOut, cancelled };
      if (exitSignal) result.reason = `terminated by ${exitSignal}`;
      resolve(result);
    };
    child.on('error', (err) => {
      void tree.kill().then(() => finish(err));
    });
    child.on('exit', (code, sig) => {
      exitSignal = sig;
      exitCode = code ?? 128 + ((sig && (osConstants.signals as Record<string, number>)[sig]) || 9);
      // The script shell is done: nothing it started may outlive the step (or keep our pipe open), not even
      // what left its process group.
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
      void tree.kill().then(async () => {
        // Output already in the pipe still arrives before it ends; do not wait forever for it.
        await Promise.race([outputDone, new Promise((r) => setTimeout(r, 1000).unref())]);
        finish();
      });
    });
  });
}
