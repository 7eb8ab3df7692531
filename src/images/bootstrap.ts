// `kiln image bootstrap`: root filesystem from a distro mirror with mmdebstrap → image archive → docker load.
// Skips the build when an image with the same spec hash is already in the engine.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { EnvironmentError, KilnError } from '../errors.js';
import { connectDocker, dockerMessage, LABEL } from '../executors/docker/client.js';
import { imageArchive, loadArchive } from './archive.js';
import { withSpecLock } from './lock.js';
import { defaultTag, specArchitectures, specHash, type BootstrapSpec } from './spec.js';

export class BootstrapError extends KilnError {
  constructor(message: string, code = 'E_BOOTSTRAP') {
    super(message, code, 1);
  }
}

export interface BootstrapOptions {
  tag?: string;
  /** Rebuild even when an image with this spec exists. */
  force?: boolean;
  onProgress?: (line: string) => void;
  /** Keyrings (files or directories) mmdebstrap verifies the mirror's Release with (`--keyring`). */
  keyrings?: string[];
}

export interface BootstrapResult {
  tag: string;
  imageId: string;
  specHash: string;
  skipped: boolean;
  seconds: number;
}

function checkMmdebstrap(): void {
  const r = spawnSync('mmdebstrap', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new EnvironmentError(
      'mmdebstrap is not installed: install it with `apt-get install mmdebstrap` ' +
        '(foreign architectures also need `apt-get install arch-test qemu-user-static binfmt-support`)',
      'E_NO_MMDEBSTRAP',
    );
  }
}

/** Fails fast with a clear message when the mirror does not serve the suite. */
export async function checkMirror(spec: BootstrapSpec, timeoutMs = 15_000): Promise<void> {
  if (spec.mirror.startsWith('file://')) return;
  const url = `${spec.mirror}/dists/${spec.suite}/Release`;
  let status: number;
  try {
    const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    status = res.status;
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new BootstrapError(
      `mirror ${spec.mirror} is unreachable (${cause?.code ?? cause?.message ?? (e as Error).message}); ` +
        'check the network or give a reachable mirror with --mirror URL',
      'E_MIRROR_UNREACHABLE',
    );
  }
  if (status === 404)
    throw new BootstrapError(
      `suite "${spec.suite}" not found on mirror ${spec.mirror} (${url}: HTTP 404)`,
      'E_MIRROR_SUITE',
    );
  if (status >= 400)
    throw new BootstrapError(`mirror ${spec.mirror} answered HTTP ${status} for ${url}`, 'E_MIRROR_UNREACHABLE');
}

export async function findImageBySpec(docker: Docker, hash: string): Promise<Docker.ImageInfo | undefined> {
  const images = await docker.listImages({ filters: JSON.stringify({ label: [`${LABEL.imageSpec}=${hash}`] }) });
  return images[0];
}

export function mmdebstrapArgs(spec: BootstrapSpec, out: string, keyrings: string[] = []): string[] {
  const args = [
    '--variant=minbase',
    '--format=tar',
    `--architectures=${specArchitectures(spec).join(',')}`,
    ...keyrings.map((k) => `--keyring=${k}`),
  ];
  if (spec.include.length) args.push(`--include=${spec.include.join(',')}`);
  args.push(spec.suite, out, spec.mirror, ...spec.sources);
  return args;
}

/** What to do when mmdebstrap cannot verify the mirror's signature (apt's NO_PUBKEY). */
export function keyHint(spec: BootstrapSpec, output: string): string {
  if (!/NO_PUBKEY|not signed|signatures couldn't be verified|public key is not available/i.test(output)) return '';
  const pkg =
    spec.distro === 'ubuntu'
      ? 'ubuntu-keyring'
      : spec.distro === 'debian'
        ? 'debian-archive-keyring'
        : `the ${spec.distro} keyring package`;
  const file =
    spec.distro === 'ubuntu'
      ? '/usr/share/keyrings/ubuntu-archive-keyring.gpg'
      : spec.distro === 'debian'
        ? '/usr/share/keyrings/debian-archive-keyring.gpg'
        : '<keyring file>';
  return (
    `\nhint: the mirror's Release is signed by a key this host does not trust (NO_PUBKEY): install ${pkg} ` +
    `(or get ${spec.distro}'s archive key some other trusted way) and pass --keyring ${file}`
  );
}

/** Runs mmdebstrap, each output line to `onLine`. The error carries the last lines only when they were not shown. */
function runMmdebstrap(
  args: string[],
  onLine: ((line: string) => void) | undefined,
  spec: BootstrapSpec,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mmdebstrap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let partial = '';
    const onData = (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        onLine?.(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => reject(new BootstrapError(`cannot run mmdebstrap: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else {
        const shown = onLine ? 'its output is above' : `its last lines:\n${tail.join('\n')}`;
        reject(
          new BootstrapError(
            `mmdebstrap failed (exit ${code}); ${shown}${keyHint(spec, tail.join('\n'))}`,
            'E_MMDEBSTRAP',
          ),
        );
      }
    });
  });
}

export async function bootstrapImage(spec: BootstrapSpec, options: BootstrapOptions = {}): Promise<BootstrapResult> {
  const progress = options.onProgress ?? (() => {});
  for (const k of options.keyrings ?? []) {
    if (!existsSync(k)) throw new BootstrapError(`--keyring ${k}: no such file or directory`, 'E_KEYRING');
  }
  return withSpecLock(
    specHash(spec),
    () => progress('another kiln is building this image; waiting for it'),
    () => bootstrapLocked(spec, options, progress),
  );
}

async function bootstrapLocked(
  spec: BootstrapSpec,
  options: BootstrapOptions,
  progress: (line: string) => void,
): Promise<BootstrapResult> {
  const started = Date.now();
  const hash = specHash(spec);
  const tag = options.tag ?? defaultTag(spec);
  const docker = await connectDocker();
  const seconds = () => (Date.now() - started) / 1000;

  if (!options.force) {
    const existing = await findImageBySpec(docker, hash);
    if (existing) {
      if (!(existing.RepoTags ?? []).includes(tag)) {
        const [repo, t] = splitTag(tag);
        await docker.getImage(existing.Id).tag({ repo, tag: t });
      }
      progress(`image for this spec already exists: ${tag} (${existing.Id.slice(7, 19)}); nothing to do`);
      return { tag, imageId: existing.Id, specHash: hash, skipped: true, seconds: seconds() };
    }
  }
  checkMmdebstrap();
  progress(`checking mirror ${spec.mirror} for ${spec.suite}`);
  await checkMirror(spec);
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bootstrap-'));
  try {
    const rootfs = join(dir, 'rootfs.tar');
    const args = mmdebstrapArgs(spec, rootfs, options.keyrings);
    progress(`mmdebstrap ${args.join(' ')}`);
    await runMmdebstrap(args, options.onProgress ? (line) => progress(`  ${line}`) : undefined, spec);
    progress(`loading ${tag} into the engine (architecture ${spec.arch})`);
    const { stream, imageId } = await imageArchive(rootfs, {
      arch: spec.arch,
      tag,
      created: new Date().toISOString(),
      labels: {
        [LABEL.imageSpec]: hash,
        'io.kiln.image.distro': `${spec.distro}:${spec.suite}`,
        'io.kiln.image.include': spec.include.join(','),
      },
    });
    try {
      await loadArchive(docker, stream);
    } catch (e) {
      if (e instanceof KilnError) throw e;
      throw new BootstrapError(`docker load failed: ${dockerMessage(e)}`);
    }
    const info = await docker.getImage(tag).inspect();
    if (info.Architecture !== spec.arch) {
      throw new BootstrapError(`loaded image ${tag} reports architecture ${info.Architecture}, expected ${spec.arch}`);
    }
    progress(`done: ${tag} in ${seconds().toFixed(1)} s`);
    return { tag, imageId, specHash: hash, skipped: false, seconds: seconds() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function splitTag(ref: string): [string, string] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return [ref.slice(0, colon), ref.slice(colon + 1)];
  return [ref, 'latest'];
}
