// Builds a `[images.<name>]` image through the Docker Engine's BuildKit builder (`POST /build?version=2`, via
// dockerode, which opens the BuildKit session the engine requires) and tags it by content:
//
//   <repository>:kiln-<12 hex>-<arch>
//
// where the hex is a sha256 over the Dockerfile, the context files (names, modes, contents; .dockerignore
// applied), build args, target, platform and the image ids of every FROM image. An existing tag whose
// io.kiln.image.build label holds the same full digest is the same build: nothing runs. Any change gives a new
// digest, so a new tag and a build; the declared reference (`image = "repo:tag"`) is then pointed at the build
// for the engine's own platform (or the first one listed), so `docker run repo:tag` gives what jobs get.
// One build per digest at a time on this host (lock file, as for `kiln image bootstrap`).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type Docker from 'dockerode';
import type { ImageBuildConfig } from '../../config/images.js';
import { splitReference } from '../../config/images.js';
import { KilnError } from '../../errors.js';
import { dockerMessage, LABEL, statusCode } from '../../executors/docker/client.js';
import { withSpecLock } from '../lock.js';
import { readBuildContext } from './context.js';
import { contextTar } from './context-tar.js';
import { dockerfileBases, platformArgs } from './dockerfile.js';
import { decodeStatus, TraceFormatter } from './trace.js';

export class ImageBuildError extends KilnError {
  constructor(message: string, code = 'E_IMAGE_BUILD') {
    super(message, code, 1);
  }
}

/** Label holding the full build digest on every image kiln builds from a Dockerfile. */
export const BUILD_LABEL = 'io.kiln.image.build';
/** Bumped when what goes into the digest changes meaning. */
const DIGEST_FORMAT = 'kiln-image-build-1';

export interface BuildPlan {
  config: ImageBuildConfig;
  platform: string;
  digest: string;
  /** The content tag. */
  tag: string;
  /** Dockerfile path inside the context, `/`-separated. */
  dockerfileInContext: string;
  files: string[];
  bases: { image: string; id: string; line: number }[];
  /** TARGETARCH & co. for this platform, passed as build args (the 20.10 engine's frontend leaves them unset). */
  platformArgs: Record<string, string>;
}

export interface BuildResult {
  name: string;
  image: string;
  platform: string;
  tag: string;
  imageId: string;
  digest: string;
  /** false: an image with this digest was already in the engine. */
  built: boolean;
  /** Set by the run's resolver for every job after the one that asked first (it did not wait for a build of its own). */
  reused?: boolean;
  seconds: number;
  /** Build steps BuildKit ran and took from its cache (0/0 when nothing was built). */
  steps: { executed: number; cached: number };
}

export interface BuildOptions {
  /** Build even when the content tag exists (BuildKit's own cache still applies). */
  force?: boolean;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

function archOf(platform: string): string {
  return platform.split('/').slice(1).join('-');
}

/** The engine's platform ("linux/amd64"), from /info. */
export async function enginePlatform(docker: Docker): Promise<string> {
  const info = (await docker.info()) as { OSType?: string; Architecture?: string };
  const arch =
    ({ x86_64: 'amd64', aarch64: 'arm64', armv7l: 'arm/v7' } as Record<string, string>)[info.Architecture ?? ''] ??
    info.Architecture;
  return `${info.OSType ?? 'linux'}/${arch}`;
}

/** The platforms an image is built for: as declared, else the engine's. */
export async function platformsOf(docker: Docker, config: ImageBuildConfig): Promise<string[]> {
  return config.platforms.length ? config.platforms : [await enginePlatform(docker)];
}

async function inspect(docker: Docker, ref: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (e) {
    if (statusCode(e) === 404) return undefined;
    throw new ImageBuildError(`cannot inspect image ${ref}: ${dockerMessage(e)}`, 'E_DOCKER');
  }
}

/** Everything that decides the image's content, and the tag derived from it. No build happens here. */
export async function planBuild(docker: Docker, config: ImageBuildConfig, platform: string): Promise<BuildPlan> {
  const where = `[images.${config.name}]`;
  const rel = relative(config.context, config.dockerfile);
  if (rel.startsWith('..') || rel === '') {
    throw new ImageBuildError(
      `${where}: the Dockerfile ${config.dockerfile} must be inside the context ${config.context}`,
      'E_IMAGE_CONFIG',
    );
  }
  let text: string;
  try {
    text = await readFile(config.dockerfile, 'utf8');
  } catch (e) {
    throw new ImageBuildError(
      `${where}: cannot read the Dockerfile ${config.dockerfile}: ${(e as Error).message}`,
      'E_IMAGE_CONFIG',
    );
  }
  const context = await readBuildContext(config.context, config.dockerfile).catch((e: Error) => {
    throw new ImageBuildError(
      `${where}: cannot read the build context ${config.context}: ${e.message}`,
      'E_IMAGE_CONFIG',
    );
  });
  const engine = await enginePlatform(docker);
  const predefined = platformArgs(platform, engine);
  const { bases: refs } = dockerfileBases(text, config.args, predefined);
  const bases: BuildPlan['bases'] = [];
  for (const ref of refs) {
    const image = await inspect(docker, ref.image);
    if (!image) {
      throw new ImageBuildError(
        `${where}: ${config.dockerfile}:${ref.line}: FROM ${ref.image} is not in the Docker engine ` +
          '(no registry is used): make it with `kiln image bootstrap` or `docker load`, or build it as another [images.*] entry',
        'E_IMAGE_BASE_MISSING',
      );
    }
    const wanted = archOf(ref.platform ?? platform);
    if (image.Architecture && wanted && image.Architecture !== wanted.split('-')[0]) {
      throw new ImageBuildError(
        `${where}: ${config.dockerfile}:${ref.line}: FROM ${ref.image} is linux/${image.Architecture}, ` +
          `but this build is for ${ref.platform ?? platform}; name an image of that architecture (e.g. through an ARG)`,
        'E_IMAGE_BASE_PLATFORM',
      );
    }
    bases.push({ image: ref.image, id: image.Id, line: ref.line });
  }
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({
      format: DIGEST_FORMAT,
      dockerfile: relative(config.context, config.dockerfile).split(sep).join('/'),
      context: context.digest,
      args: Object.entries(config.args).sort(([a], [b]) => (a < b ? -1 : 1)),
      target: config.target ?? null,
      platform,
      bases: bases.map((b) => [b.image, b.id]),
    }),
  );
  const digest = hash.digest('hex');
  const { repository } = splitReference(config.image);
  return {
    config,
    platform,
    digest,
    tag: `${repository}:kiln-${digest.slice(0, 12)}-${archOf(platform)}`,
    dockerfileInContext: rel.split(sep).join('/'),
    files: context.files.map((f) => f.path),
    bases,
    platformArgs: Object.fromEntries(predefined),
  };
}

/** The content tag's image when it is this exact build. */
export async function existingBuild(docker: Docker, plan: BuildPlan): Promise<Docker.ImageInspectInfo | undefined> {
  const image = await inspect(docker, plan.tag);
  return image && image.Config?.Labels?.[BUILD_LABEL] === plan.digest ? image : undefined;
}

interface BuildMessage {
  id?: string;
  aux?: unknown;
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

async function runBuild(
  docker: Docker,
  plan: BuildPlan,
  options: BuildOptions,
): Promise<{ id: string; steps: BuildResult['steps'] }> {
  const emit = options.onProgress ?? (() => undefined);
  const formatter = new TraceFormatter(emit);
  const query: Record<string, unknown> = {
    t: plan.tag,
    dockerfile: plan.dockerfileInContext,
    version: '2',
    platform: plan.platform,
    buildargs: { ...plan.platformArgs, ...plan.config.args },
    labels: { [BUILD_LABEL]: plan.digest, [LABEL.imageSpec]: `build:${plan.config.name}` },
    rm: true,
    forcerm: true,
    ...(plan.config.target ? { target: plan.config.target } : {}),
    ...(options.signal ? { abortSignal: options.signal } : {}),
  };
  let stream: NodeJS.ReadableStream;
  try {
    // kiln's own tar of the listed files: dockerode, given a directory, would apply .dockerignore again.
    stream = await docker.buildImage(contextTar(plan.config.context, plan.files), query as Docker.ImageBuildOptions);
  } catch (e) {
    throw new ImageBuildError(`[images.${plan.config.name}]: the engine refused the build: ${dockerMessage(e)}`);
  }
  let imageId = '';
  let failure: string | undefined;
  let rest = '';
  const handle = (line: string) => {
    if (!line.trim()) return;
    let msg: BuildMessage;
    try {
      msg = JSON.parse(line) as BuildMessage;
    } catch {
      emit(line);
      return;
    }
    if (msg.error || msg.errorDetail) failure = msg.errorDetail?.message ?? msg.error;
    else if (msg.id === 'moby.buildkit.trace' && typeof msg.aux === 'string') {
      try {
        formatter.add(decodeStatus(Buffer.from(msg.aux, 'base64')));
      } catch (e) {
        emit(`(unreadable BuildKit progress: ${(e as Error).message})`);
      }
    } else if (msg.id === 'moby.image.id' && typeof msg.aux === 'object' && msg.aux) {
      imageId = String((msg.aux as { ID?: string }).ID ?? '');
    } else if (msg.stream) emit(msg.stream.replace(/\n$/, ''));
  };
  await new Promise<void>((resolveDone, reject) => {
    stream.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      lines.forEach(handle);
    });
    stream.on('end', () => {
      handle(rest);
      resolveDone();
    });
    stream.on('error', reject);
  }).catch((e: Error) => {
    throw new ImageBuildError(`[images.${plan.config.name}]: the build stream broke: ${e.message}`);
  });
  formatter.flush();
  if (options.signal?.aborted)
    throw new ImageBuildError(`[images.${plan.config.name}]: build cancelled`, 'E_CANCELLED');
  if (failure)
    throw new ImageBuildError(`[images.${plan.config.name}] (${plan.platform}): the build failed: ${failure}`);
  const built = await existingBuild(docker, plan);
  if (!built)
    throw new ImageBuildError(`[images.${plan.config.name}]: the engine reported no error but ${plan.tag} is missing`);
  if (imageId && imageId !== built.Id) emit(`note: the engine reported image ${imageId}, the tag holds ${built.Id}`);
  return { id: built.Id, steps: { executed: formatter.executed, cached: formatter.cached } };
}

/** Points the declared reference at a build (the engine's platform, else the first listed). */
async function tagDeclared(docker: Docker, config: ImageBuildConfig, tag: string): Promise<void> {
  const { repository, tag: declaredTag } = splitReference(config.image);
  try {
    await docker.getImage(tag).tag({ repo: repository, tag: declaredTag });
  } catch (e) {
    throw new ImageBuildError(`cannot tag ${tag} as ${config.image}: ${dockerMessage(e)}`, 'E_DOCKER');
  }
}

/** Builds (or finds) the image for one platform. */
export async function ensureBuilt(
  docker: Docker,
  config: ImageBuildConfig,
  platform: string,
  options: BuildOptions = {},
): Promise<BuildResult> {
  const started = Date.now();
  const plan = await planBuild(docker, config, platform);
  const result = await withSpecLock(
    plan.digest,
    () => options.onProgress?.(`waiting for another kiln building ${plan.tag}`),
    async () => {
      const existing = options.force ? undefined : await existingBuild(docker, plan);
      if (existing) return { id: existing.Id, built: false, steps: { executed: 0, cached: 0 } };
      options.onProgress?.(
        `building ${config.image} for ${platform} with BuildKit (${plan.files.length} context files) as ${plan.tag}`,
      );
      const r = await runBuild(docker, plan, options);
      return { id: r.id, built: true, steps: r.steps };
    },
  );
  const platforms = await platformsOf(docker, config);
  const engine = await enginePlatform(docker);
  const home = platforms.includes(engine) ? engine : platforms[0];
  if (platform === home) await tagDeclared(docker, config, plan.tag);
  return {
    name: config.name,
    image: config.image,
    platform,
    tag: plan.tag,
    imageId: result.id,
    digest: plan.digest,
    built: result.built,
    seconds: (Date.now() - started) / 1000,
    steps: result.steps,
  };
}
