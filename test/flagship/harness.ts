// Helpers for the flagship test: Docker availability, running kiln, a private copy of examples/portable-c,
// a throwaway signing key, and reading one job's lines out of `kiln run`'s console output.
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const exampleDir = join(repoRoot, 'examples', 'portable-c');
export const kilnBin = join(repoRoot, 'bin', 'kiln.js');

/** null when the Docker Engine answers, else why not. */
export async function dockerProblem(): Promise<string | null> {
  try {
    const { default: Docker } = await import('dockerode');
    const docker = new Docker();
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 10 s')), 10_000).unref()),
    ]);
    return null;
  } catch (e) {
    const where = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
    return `Docker Engine not reachable at ${where} (${(e as Error).message}); run .ci/docker-setup.sh`;
  }
}

/** null when binfmt_misc runs aarch64 binaries (needed by the arm64 jobs), else why not. */
export function binfmtProblem(): string | null {
  if (process.arch === 'arm64') return null;
  try {
    const state = readFileSync('/proc/sys/fs/binfmt_misc/qemu-aarch64', 'utf8');
    return state.startsWith('enabled') ? null : 'binfmt qemu-aarch64 is registered but disabled';
  } catch {
    return 'binfmt_misc has no qemu-aarch64 entry (install qemu-user-static binfmt-support; .ci/docker-setup.sh does)';
  }
}

export interface KilnResult {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs `node bin/kiln.js ARGS` from the sources; output is kept and also echoed when KILN_TEST_VERBOSE is set. */
export function runKiln(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<KilnResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [kilnBin, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, KILN_FROM_SOURCE: '1', NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const verbose = Boolean(process.env.KILN_TEST_VERBOSE);
    child.stdout.on('data', (b: Buffer) => {
      out.push(b);
      if (verbose) process.stderr.write(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      err.push(b);
      if (verbose) process.stderr.write(b);
    });
    const timer = setTimeout(() => child.kill('SIGINT'), opts.timeoutMs ?? 20 * 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        seconds: (Date.now() - started) / 1000,
      });
    });
  });
}

const GENERATED = new Set(['out', 'build', 'pkgroot', 'debs', 'public', '.ccache', '.kiln']);

/**
 * Copies the example to `dest` without build products or kiln state, and points its kiln.toml's relative
 * mount of the kiln checkout ("../..") at this checkout, since the copy no longer lives inside it.
 */
export function copyExample(dest: string): void {
  cpSync(exampleDir, dest, {
    recursive: true,
    filter: (src) => {
      const rel = relative(exampleDir, src);
      return rel === '' || !GENERATED.has(rel.split(sep)[0]);
    },
  });
  const tomlPath = join(dest, 'kiln.toml');
  const toml = readFileSync(tomlPath, 'utf8');
  const fixed = toml.replace('"../..:/opt/kiln:ro"', JSON.stringify(`${repoRoot}:/opt/kiln:ro`));
  if (fixed === toml) throw new Error(`${tomlPath}: expected the "../..:/opt/kiln:ro" volume`);
  writeFileSync(tomlPath, fixed);
}

/** A fresh unprotected signing key pair (armored), made with openpgp.js. */
export async function makeSigningKey(): Promise<{ privateKey: string; publicKey: string }> {
  const openpgp = await import('openpgp');
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name: 'kiln flagship test', email: 'flagship@kiln.invalid' }],
    format: 'armored',
  });
  return { privateKey, publicKey };
}

/**
 * The console lines of one job. kiln prints each job's output as "<job name padded> <text>"; this returns the
 * text of the lines that start with the job's name.
 */
export function jobLines(stdout: string, job: string): string[] {
  const lines: string[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(job)) continue;
    const rest = line.slice(job.length);
    if (rest !== '' && !/^[\s|│:]/.test(rest)) continue; // "smoke:arm64" must not match "smoke:arm64-extra"
    lines.push(rest.replace(/^\s*[|│]?\s?/, ''));
  }
  return lines;
}
