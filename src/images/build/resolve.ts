// Which `[images.<name>]` entry a job's image names, and the built image it runs in. `kiln run` asks this before
// each job container is made: the first job needing an image builds it (later jobs of the run, also concurrent
// ones, wait for that one build), and an unchanged image is found by its content tag without building.
import type Docker from 'dockerode';
import type { ImageBuildConfig } from '../../config/images.js';
import { splitReference } from '../../config/images.js';
import { ensureBuilt, enginePlatform, ImageBuildError, platformsOf, type BuildResult } from './build.js';

export interface ImageResolver {
  /**
   * The content tag to run for a job image reference, building it first when needed; undefined when the
   * reference is not a declared image. `platform` is the job's `image:docker:platform`.
   */
  resolve(
    docker: Docker,
    reference: string,
    platform: string | undefined,
    onProgress: (line: string) => void,
  ): Promise<BuildResult | undefined>;
}

function normalise(ref: string): string {
  const { repository, tag } = splitReference(ref.replace(/^docker\.io\/(library\/)?/, ''));
  return `${repository}:${tag}`;
}

export function createImageResolver(images: Record<string, ImageBuildConfig>): ImageResolver {
  const byRef = new Map(Object.values(images).map((c) => [c.image, c]));
  const builds = new Map<string, Promise<BuildResult>>();
  return {
    async resolve(docker, reference, platform, onProgress) {
      const config = byRef.get(normalise(reference));
      if (!config) return undefined;
      const platforms = await platformsOf(docker, config);
      const wanted =
        platform ?? (platforms.includes(await enginePlatform(docker)) ? await enginePlatform(docker) : platforms[0]);
      if (!platforms.includes(wanted)) {
        throw new ImageBuildError(
          `image ${reference} ([images.${config.name}] in kiln.toml) is built for ${platforms.join(', ')}, ` +
            `not for ${wanted}: add it to platforms`,
          'E_IMAGE_PLATFORM',
        );
      }
      const key = `${config.name}|${wanted}`;
      let build = builds.get(key);
      const first = !build;
      if (!build) {
        build = ensureBuilt(docker, config, wanted, { onProgress });
        builds.set(key, build);
        build.catch(() => builds.delete(key));
      } else onProgress(`waiting for image ${config.image} (${wanted}), asked for by an earlier job of this run`);
      const result = await build;
      return first ? result : { ...result, reused: true };
    },
  };
}
