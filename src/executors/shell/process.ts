// Runs one bash process in its own process group and ends the whole group on timeout, cancel or exit, so no
// job process outlives its step.
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { OutputStream, StepResult } from '../types.js';

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
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    /* group already gone */
  }
}

export function runInProcessGroup(o: GroupRunOptions): Promise<StepResult> {
  return new Promise((resolve) => {
    const grace = o.killGraceMs ?? 2000;
    let timedOut = false;
    let cancelled = false;
    let finished = false;
    const timers: NodeJS.Timeout[] = [];
    const child = spawn(o.command, o.args, {
      cwd: o.cwd,
      env: o.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;

    const stop = (why: 'timeout' | 'cancel') => {
      if (finished || pid === undefined) return;
      if (why === 'timeout') timedOut = true;
      else cancelled = true;
      killGroup(pid, 'SIGTERM');
      const t = setTimeout(() => killGroup(pid, 'SIGKILL'), grace);
      t.unref();
      timers.push(t);
    };
    const onAbort = () => stop('cancel');
    if (o.signal) {
      if (o.signal.aborted) queueMicrotask(onAbort);
      else o.signal.addEventListener('abort', onAbort, { once: true });
    }
    if (o.timeoutMs !== undefined && o.timeoutMs > 0) timers.push(setTimeout(() => stop('timeout'), o.timeoutMs));

    child.stdout!.on('data', (c: Buffer) => o.onOutput(c, 'stdout'));
    child.stderr!.on('data', (c: Buffer) => o.onOutput(c, 'stderr'));

    let exitCode = 0;
    let exitSignal: NodeJS.Signals | null = null;
    const finish = (spawnError?: Error) => {
      if (finished) return;
      finished = true;
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
    child.on('error', (err) => finish(err));
    child.on('exit', (code, sig) => {
      exitSignal = sig;
      exitCode = code ?? 128 + ((sig && (osConstants.signals as Record<string, number>)[sig]) || 9);
      // The script shell is done: nothing it started may outlive the step (or keep our pipes open).
      if (pid !== undefined) killGroup(pid, 'SIGKILL');
      // Output already buffered in the pipes still arrives before 'close'; do not wait forever for it.
      const t = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, 1000);
      t.unref();
      timers.push(t);
    });
    child.on('close', () => finish());
  });
}
