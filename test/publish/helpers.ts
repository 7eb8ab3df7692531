// Shared helpers for the publish tests: run the kiln CLI, make throwaway keys and packages, drive apt-get
// against a throwaway root (no root privileges or system state touched).
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDeb } from '../../src/publish/deb/build.js';
import { writeFileAtomic } from '../../src/util/atomic.js';

export const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kiln(args: string[], env: Record<string, string | undefined> = {}, cwd = ROOT): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'kiln.js'), ...args], {
      cwd,
      env: { ...process.env, KILN_FROM_SOURCE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const tempDirs: string[] = [];
// Each test file runs in its own process: its temp dirs go when it exits.
process.on('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

export async function tmp(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `kiln-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export interface TestKey {
  priv: string;
  pub: string;
  fingerprint: string;
  passphrase?: string;
}

/** A throwaway ed25519 key. `created` backdates it; `expiresIn` (seconds) sets a key expiry. */
export async function makeKey(
  dir: string,
  name: string,
  o: { created?: Date; expiresIn?: number; passphrase?: string } = {},
): Promise<TestKey> {
  const pgp = await import('openpgp');
  const { privateKey, publicKey } = await pgp.generateKey({
    type: 'ecc',
    userIDs: [{ name: `kiln test ${name}`, email: `${name}@kiln.invalid` }],
    format: 'armored',
    date: o.created,
    keyExpirationTime: o.expiresIn ?? 0,
    passphrase: o.passphrase,
  });
  const key = await pgp.readKey({ armoredKey: publicKey });
  const priv = join(dir, `${name}.key.asc`);
  const pub = join(dir, `${name}.pub.asc`);
  await writeFile(priv, privateKey);
  await writeFile(pub, publicKey);
  return { priv, pub, fingerprint: key.getFingerprint().toUpperCase(), passphrase: o.passphrase };
}

export interface SampleDeb {
  name: string;
  version: string;
  arch?: string;
  content?: string;
  size?: number;
}

/** Builds name_version_arch.deb in `dir` with /usr/share/<name>/data (content or `size` random bytes). */
export async function sampleDeb(dir: string, s: SampleDeb): Promise<string> {
  const arch = s.arch ?? 'amd64';
  const root = join(dir, `root-${s.name}-${s.version}-${arch}-${Math.random().toString(36).slice(2)}`);
  await mkdir(join(root, 'usr', 'share', s.name), { recursive: true });
  const { randomBytes } = await import('node:crypto');
  await writeFile(
    join(root, 'usr', 'share', s.name, 'data'),
    s.size ? randomBytes(s.size) : (s.content ?? `${s.name} ${s.version}\n`),
  );
  const built = await buildDeb({
    root,
    controlFile: '<test>',
    compression: 'gz',
    mtime: 1700000000,
    control: {
      line: 1,
      fields: [
        { name: 'Package', value: s.name, line: 1 },
        { name: 'Version', value: s.version, line: 2 },
        { name: 'Architecture', value: arch, line: 3 },
        { name: 'Maintainer', value: 'Kiln Test <test@kiln.invalid>', line: 4 },
        { name: 'Description', value: `test package ${s.name}`, line: 5 },
      ],
    },
  });
  const out = join(dir, `${s.name}_${s.version}_${arch}.deb`);
  await writeFileAtomic(out, built.data);
  await rm(root, { recursive: true, force: true });
  return out;
}

/** apt-get confined to `root`: its own sources, lists, cache and status; Valid-Until and Date checks on. */
export async function aptRoot(root: string, sourcesLine: string): Promise<(args: string[], cwd?: string) => RunResult> {
  for (const d of [
    'etc/apt/apt.conf.d',
    'etc/apt/preferences.d',
    'etc/apt/sources.list.d',
    'etc/apt/trusted.gpg.d',
    'state/lists/partial',
    'cache/archives/partial',
    'log',
  ])
    await mkdir(join(root, d), { recursive: true });
  await writeFile(join(root, 'state', 'status'), '');
  await writeFile(join(root, 'etc/apt/sources.list'), sourcesLine + '\n');
  const opts = [
    `Dir=${root}`,
    `Dir::Etc=${root}/etc/apt`,
    `Dir::Etc::SourceList=${root}/etc/apt/sources.list`,
    `Dir::Etc::SourceParts=${root}/etc/apt/sources.list.d`,
    `Dir::Etc::TrustedParts=${root}/etc/apt/trusted.gpg.d`,
    `Dir::Etc::Trusted=${root}/etc/apt/trusted.gpg`,
    `Dir::State=${root}/state`,
    `Dir::State::status=${root}/state/status`,
    `Dir::Cache=${root}/cache`,
    `Dir::Log=${root}/log`,
    'Debug::NoLocking=1',
    'APT::Architecture=amd64',
    'Acquire::Check-Valid-Until=true',
    'Acquire::Check-Date=true',
    'APT::Sandbox::User=root',
    'Acquire::Languages=none',
  ].flatMap((o) => ['-o', o]);
  return (args, cwd) => run('apt-get', [...opts, ...args], { cwd, env: { LC_ALL: 'C' } });
}
