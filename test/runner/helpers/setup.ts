// Scenario set-up for runner tests: a project repository (bare, served by the coordinator double), a kiln.toml
// with one [[runners]] entry, and `kiln runner ...` run as a child process through the built CLI: a copy of the
// checkout built once per test file (test/cli/helpers/built-copy.ts), or KILN_RUNNER_BIN when set.
// KILN_RUNNER_FROM_SOURCE=1 runs bin/kiln.js from the sources instead (quicker while developing).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Coordinator } from './coordinator.js';
import { build, makeCopy } from '../../cli/helpers/built-copy.js';

let builtBin: string | undefined;

/** The built CLI (made on first use). */
export function ensureBuilt(): void {
  if (builtBin || process.env.KILN_RUNNER_BIN || process.env.KILN_RUNNER_FROM_SOURCE === '1') return;
  const copy = makeCopy();
  build(copy);
  builtBin = join(copy, 'bin', 'kiln.js');
}

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const RUNNER_TOKEN = 'glrt-kilnTestToken_0123456789';

export interface Scenario {
  dir: string;
  coordinator: Coordinator;
  configFile: string;
  workDir: string;
}

function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@e',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@e',
    },
  }).trim();
}

/** A project with a few files, pushed to a bare repository the double serves as group/app. */
export async function scenario(
  files: Record<string, string> = {},
  config: Partial<{
    concurrent: number;
    limit: number;
    outputLimitKb: number;
    checkInterval: number;
    executor: string;
    extra: string;
  }> = {},
): Promise<Scenario> {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'kiln-runner-'));
  const work = join(dir, 'work');
  mkdirSync(work);
  const all = { 'README.md': 'app\n', '.gitignore': 'out/\n', ...files };
  for (const [name, text] of Object.entries(all)) {
    mkdirSync(join(work, name, '..'), { recursive: true });
    writeFileSync(join(work, name), text);
  }
  gitIn(work, 'init', '-q', '-b', 'main');
  gitIn(work, 'add', '-A');
  gitIn(work, 'commit', '-q', '-m', 'init');
  const sha = gitIn(work, 'rev-parse', 'HEAD');
  const repoRoot = join(dir, 'repos');
  mkdirSync(join(repoRoot, 'group'), { recursive: true });
  gitIn(dir, 'clone', '-q', '--bare', work, join(repoRoot, 'group', 'app.git'));
  const coordinator = new Coordinator(repoRoot, 'group/app', sha);
  coordinator.runnerTokens.add(RUNNER_TOKEN);
  const url = await coordinator.start();
  const configFile = join(dir, 'kiln.toml');
  writeFileSync(
    configFile,
    [
      `concurrent = ${config.concurrent ?? 1}`,
      `check_interval = ${config.checkInterval ?? 1}`,
      '',
      '[[runners]]',
      '  name = "test-runner"',
      `  url = "${url}"`,
      '  id = 12',
      `  token = "${RUNNER_TOKEN}"`,
      `  executor = "${config.executor ?? 'shell'}"`,
      ...(config.limit !== undefined ? [`  limit = ${config.limit}`] : []),
      ...(config.outputLimitKb !== undefined ? [`  output_limit = ${config.outputLimitKb}`] : []),
      ...(config.extra ? [config.extra] : []),
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return { dir, coordinator, configFile, workDir: join(dir, 'runner-work') };
}

export function kilnCommand(): string[] {
  const bin = process.env.KILN_RUNNER_BIN ?? builtBin;
  return bin ? [bin] : [join(ROOT, 'bin', 'kiln.js')];
}

export interface Running {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Parsed --json lines seen so far. */
  outcomes: {
    id: number;
    name: string;
    status: string;
    failureReason?: string;
    exitCode?: number;
    final: string;
    durationMs: number;
    sourcesMs: number;
    scriptMs: number;
  }[];
}

export function kiln(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [...kilnCommand(), ...args], {
    env: { ...process.env, KILN_FROM_SOURCE: (process.env.KILN_RUNNER_BIN ?? builtBin) ? '' : '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const outcomes: Running['outcomes'] = [];
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
    const lines = stdout.split('\n');
    outcomes.length = 0;
    for (const l of lines) {
      if (!l.startsWith('{"id"')) continue;
      try {
        outcomes.push(JSON.parse(l));
      } catch {
        /* a line still being written */
      }
    }
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );
  return { child, done, outcomes };
}

/** `kiln runner run` on the scenario until it has run `maxJobs` jobs. */
export function runRunner(s: Scenario, maxJobs: number, extra: string[] = []): Running {
  return kiln([
    'runner',
    'run',
    '-c',
    s.configFile,
    '--work-dir',
    s.workDir,
    '--json',
    '--max-jobs',
    String(maxJobs),
    ...extra,
  ]);
}
