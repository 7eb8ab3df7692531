// The shell executor: runs job scripts with bash on the host, in the job's private workspace copy.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AFTER_SCRIPT_DEFAULT_MS,
  type Executor,
  type JobSetup,
  type PreparedJob,
  type StepOptions,
  type StepResult,
} from '../types.js';
import { buildStepScript } from './script.js';
import { runInProcessGroup } from './process.js';

export interface ShellExecutorOptions {
  /** bash binary (default "bash" from PATH). */
  shell?: string;
  /** Grace between SIGTERM and SIGKILL when a step is stopped. */
  killGraceMs?: number;
}

interface ShellState {
  tmpDir: string;
}

export function scriptTempDir(workspaceDir: string): string {
  return `${workspaceDir}.tmp`;
}

export function createShellExecutor(options: ShellExecutorOptions = {}): Executor {
  const shell = options.shell ?? 'bash';
  return {
    name: 'shell',
    async prepare(setup: JobSetup): Promise<PreparedJob> {
      const tmpDir = scriptTempDir(setup.workspaceDir);
      await mkdir(tmpDir, { recursive: true });
      const state: ShellState = { tmpDir };
      return { setup, projectDir: setup.workspaceDir, state };
    },
    async runScript(prepared, kind, lines, step: StepOptions): Promise<StepResult> {
      const state = prepared.state as ShellState;
      const script = buildStepScript(lines, { cwd: prepared.projectDir });
      const file = join(state.tmpDir, `${kind}-script.sh`);
      await writeFile(file, script, { mode: 0o700 });
      const timeoutMs = kind === 'after' ? (step.timeoutMs ?? AFTER_SCRIPT_DEFAULT_MS) : step.timeoutMs;
      return runInProcessGroup({
        command: shell,
        args: ['--noprofile', '--norc', file],
        cwd: prepared.projectDir,
        env: prepared.setup.env,
        timeoutMs,
        signal: step.signal,
        onOutput: step.onOutput,
        killGraceMs: options.killGraceMs,
      });
    },
    async cleanup(prepared) {
      const state = prepared.state as ShellState | undefined;
      if (state) await rm(join(state.tmpDir, 'main-script.sh'), { force: true }).catch(() => undefined);
      if (state) await rm(join(state.tmpDir, 'after-script.sh'), { force: true }).catch(() => undefined);
    },
  };
}
