// Temporary projects (optionally git repositories) and a kiln runner for integration tests.
import { mkdtemp, mkdir, writeFile, readFile } from 'node:fs/promises';
import { spawn, execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { JobSummary, PipelineSummary } from '../../../src/run/summary.js';

export const KILN_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../../bin/kiln.js');

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'kiln test',
  GIT_AUTHOR_EMAIL: 'test@kiln.invalid',
  GIT_COMMITTER_NAME: 'kiln test',
  GIT_COMMITTER_EMAIL: 'test@kiln.invalid',
};

export function gitIn(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' });
}

/** A temp project with the given files; a git repo with one commit unless git is false. */
export async function makeProject(files: Record<string, string>, o: { git?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-it-'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text, { mode: rel.endsWith('.sh') ? 0o755 : 0o644 });
  }
  if (o.git ?? true) {
    gitIn(dir, 'init', '-q', '-b', 'main');
    gitIn(dir, 'add', '-A');
    gitIn(dir, 'commit', '-q', '-m', 'initial');
  }
  return dir;
}

export interface KilnRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunKilnOptions {
  cwd?: string;
  env?: Record<string, string>;
  onSpawn?: (pid: number) => void;
  /** Everything printed so far (stdout + stderr), after each chunk. */
  onOutput?: (soFar: string) => void;
  timeoutMs?: number;
}

export function runKiln(args: string[], o: RunKilnOptions = {}): Promise<KilnRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KILN_BIN, ...args], {
      cwd: o.cwd,
      env: { ...process.env, KILN_FROM_SOURCE: '1', NO_COLOR: '1', ...GIT_ENV, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let all = '';
    const seen = (c: Buffer) => {
      all += c;
      o.onOutput?.(all);
    };
    child.stdout.on('data', (c) => {
      stdout += c;
      seen(c);
    });
    child.stderr.on('data', (c) => {
      stderr += c;
      seen(c);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    if (child.pid) o.onSpawn?.(child.pid);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The `--json` summary kiln run prints (the same type the runner writes). */
export type Summary = PipelineSummary;
export type SummaryJob = JobSummary;

export function parseSummary(stdout: string): Summary {
  return JSON.parse(stdout) as Summary;
}

export function job(s: Summary, name: string): SummaryJob {
  const j = s.jobs.find((x) => x.name === name);
  if (!j) throw new Error(`no job ${name} in summary: ${s.jobs.map((x) => x.name).join(', ')}`);
  return j;
}

export async function readLog(s: Summary, name: string): Promise<string> {
  return readFile(job(s, name).log!, 'utf8');
}

/** Follows a kiln run's output: `waitFor` resolves when a pattern shows up, and fails if the run ends first. */
export function outputWatch(): {
  onOutput: (soFar: string) => void;
  waitFor: (re: RegExp, run: Promise<KilnRun>) => Promise<void>;
} {
  let text = '';
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  return {
    onOutput(soFar) {
      text = soFar;
      for (const w of [...waiters]) {
        if (w.re.test(text)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    },
    waitFor(re, run) {
      if (re.test(text)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.push({ re, resolve });
        void run.then((r) =>
          reject(new Error(`the run ended (code ${r.code}) without printing ${re}:\n${r.stdout}${r.stderr}`)),
        );
      });
    },
  };
}

/** Waits for a file to exist (a job's marker); fails after `limitMs` so a broken run cannot hang the suite. */
export async function waitForFile(path: string, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  const { existsSync } = await import('node:fs');
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
