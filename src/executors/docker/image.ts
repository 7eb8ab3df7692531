// Makes sure a job or service image is in the engine according to its pull policy, checks allowed_images and
// the platform, and says clearly what to do when the image is missing or cannot run on this machine.
import { existsSync } from 'node:fs';
import { arch as hostArch } from 'node:os';
import type Docker from 'dockerode';
import picomatch from 'picomatch';
import type { PullPolicy } from '../../pipeline/model.js';
import { EnvironmentError } from '../../errors.js';
import { DockerError, dockerMessage, statusCode } from './client.js';

export interface ImageRequest {
  name: string;
  policies: PullPolicy[];
  /** "linux/arm64" etc. */
  platform?: string;
  /** What asks for it, for messages ("job build", "service db"). */
  who: string;
}

const DOCKER_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
};
const QEMU_NAME: Record<string, string> = {
  arm64: 'aarch64',
  arm: 'arm',
  amd64: 'x86_64',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  '386': 'i386',
};

export function platformArch(platform: string): string {
  const parts = platform.split('/');
  return parts.length > 1 ? parts[1] : parts[0];
}

export function checkAllowed(image: string, allowed: string[]): void {
  if (allowed.length === 0) return;
  if (allowed.some((glob) => picomatch.isMatch(image, glob) || picomatch.isMatch(image.split(':')[0], glob))) return;
  throw new DockerError(
    `image "${image}" is not allowed by allowed_images (${allowed.join(', ')}) in kiln.toml`,
    'E_IMAGE_NOT_ALLOWED',
  );
}

async function inspectOrUndefined(docker: Docker, name: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(name).inspect();
  } catch (e) {
    if (statusCode(e) === 404) return undefined;
    throw new DockerError(`cannot inspect image ${name}: ${dockerMessage(e)}`);
  }
}

async function pull(docker: Docker, name: string, platform?: string): Promise<void> {
  const stream = await docker.pull(name, platform ? { platform } : {});
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
      const failed = output?.find((o) => o.error);
      if (err) reject(err);
      else if (failed) reject(new Error(failed.error));
      else resolve();
    });
  });
}

/** Returns the image's inspect data, pulling per policy (GitLab semantics: try each policy in order). */
export async function ensureImage(docker: Docker, req: ImageRequest): Promise<Docker.ImageInspectInfo> {
  const pullErrors: string[] = [];
  for (const policy of req.policies) {
    if (policy !== 'always') {
      const local = await inspectOrUndefined(docker, req.name);
      if (local && (!req.platform || local.Architecture === platformArch(req.platform))) return local;
      if (policy === 'never') continue;
    }
    try {
      await pull(docker, req.name, req.platform);
      const pulled = await inspectOrUndefined(docker, req.name);
      if (pulled) return pulled;
    } catch (e) {
      pullErrors.push(dockerMessage(e));
    }
  }
  const local = await inspectOrUndefined(docker, req.name);
  if (local && req.platform && local.Architecture !== platformArch(req.platform)) {
    throw new DockerError(
      `image ${req.name} for ${req.who} is ${local.Os}/${local.Architecture}, but the job asks for platform ` +
        `${req.platform}; build one with \`kiln image bootstrap <distro>:<suite> --arch ${platformArch(req.platform)}\``,
      'E_IMAGE_PLATFORM',
    );
  }
  const tried = req.policies.join(', ');
  const why = pullErrors.length
    ? `; pull failed: ${pullErrors[pullErrors.length - 1]}`
    : ' and pull_policy never forbids pulling';
  throw new DockerError(
    `image ${req.name} for ${req.who} not found locally (pull_policy ${tried})${why}. ` +
      'Build a base image with `kiln image bootstrap debian:bookworm`, or `docker load` one.',
    'E_IMAGE_NOT_FOUND',
  );
}

/** Fails when the image's architecture cannot run here (no binfmt emulation registered). Local engines only. */
export function checkRunnable(image: Docker.ImageInspectInfo, name: string): void {
  const host = DOCKER_ARCH[hostArch()] ?? hostArch();
  const arch = image.Architecture;
  if (
    !arch ||
    arch === host ||
    process.env.DOCKER_HOST?.startsWith('tcp://') ||
    process.env.DOCKER_HOST?.startsWith('ssh://')
  )
    return;
  const qemu = QEMU_NAME[arch] ?? arch;
  if (existsSync(`/proc/sys/fs/binfmt_misc/qemu-${qemu}`)) return;
  throw new EnvironmentError(
    `image ${name} is linux/${arch} but this ${host} machine has no binfmt emulation for ${qemu}: ` +
      `install it with \`apt-get install qemu-user-static binfmt-support\` and run \`update-binfmts --enable qemu-${qemu}\``,
    'E_NO_BINFMT',
  );
}
