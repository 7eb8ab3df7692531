// Variable expansion the runner applies to job settings before using them, as GitLab Runner does: image and
// service names, aliases and docker platforms, and artifacts paths/exclude/name (matrix values such as $ARCH included).
import type { ArtifactsSpec, ImageSpec, Job, ServiceSpec } from '../../pipeline/model.js';
import { expandString } from '../../pipeline/variables/expand.js';

type Lookup = (name: string) => string | undefined;

function expandImage<T extends ImageSpec>(spec: T, lookup: Lookup): T {
  // image:docker:platform too (`platform: linux/$ARCH` in a matrix job), as GitLab Runner expands it.
  return {
    ...spec,
    name: expandString(spec.name, lookup),
    ...(spec.platform === undefined ? {} : { platform: expandString(spec.platform, lookup) }),
  };
}

function expandService(spec: ServiceSpec, lookup: Lookup): ServiceSpec {
  return { ...expandImage(spec, lookup), alias: spec.alias.map((a) => expandString(a, lookup)) };
}

export function expandArtifacts(spec: ArtifactsSpec, lookup: Lookup): ArtifactsSpec {
  return {
    ...spec,
    paths: spec.paths.map((p) => expandString(p, lookup)),
    exclude: spec.exclude.map((p) => expandString(p, lookup)),
    name: spec.name === undefined ? undefined : expandString(spec.name, lookup),
  };
}

/** The job as the executor should see it: image and services with variables expanded. */
export function expandJobForExecutor(job: Job, vars: Record<string, string>): Job {
  const lookup: Lookup = (n) => vars[n];
  return {
    ...job,
    image: job.image ? expandImage(job.image, lookup) : undefined,
    services: job.services.map((s) => expandService(s, lookup)),
  };
}
