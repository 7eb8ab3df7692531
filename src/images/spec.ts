// What an image bootstrap builds: distro, suite, architecture, packages, mirror and extra apt sources.
// The spec's hash names the image, so the same spec always gives the same tag and is built only once.
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

export type ImageArch = 'amd64' | 'arm64';

export interface BootstrapSpec {
  distro: string;
  suite: string;
  arch: ImageArch;
  /** Extra packages; "pkg:arch" entries pull in that foreign architecture (multiarch). */
  include: string[];
  mirror: string;
  /** Extra one-line apt sources ("deb [opts] URL suite components"). */
  sources: string[];
}

export const DEFAULT_MIRRORS: Record<string, string> = {
  debian: 'http://deb.debian.org/debian',
  ubuntu: 'http://archive.ubuntu.com/ubuntu',
};

const ARCHES: ImageArch[] = ['amd64', 'arm64'];
/** Bumped when the way images are built changes, so old images are rebuilt. */
const BUILD_FORMAT = 1;

export interface SpecInput {
  target: string;
  arch?: string;
  include?: string[];
  mirror?: string;
  sources?: string[];
}

export function parseBootstrapSpec(input: SpecInput): BootstrapSpec {
  const m = /^([a-z][a-z0-9-]*):([a-z0-9][a-z0-9.-]*)$/.exec(input.target);
  if (!m) throw new UsageError(`"${input.target}" is not <distro>:<suite> (e.g. debian:bookworm)`);
  const [, distro, suite] = m;
  const arch = (input.arch ?? 'amd64') as ImageArch;
  if (!ARCHES.includes(arch)) throw new UsageError(`--arch must be one of ${ARCHES.join(', ')}, got "${input.arch}"`);
  const mirror = (input.mirror ?? DEFAULT_MIRRORS[distro])?.replace(/\/+$/, '');
  if (!mirror) throw new UsageError(`no default mirror for distro "${distro}"; give one with --mirror URL`);
  if (!/^(https?|file):\/\//.test(mirror)) throw new UsageError(`--mirror must be an http(s):// or file:// URL, got "${mirror}"`);
  const include = [...new Set((input.include ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))].sort();
  for (const pkg of include) {
    if (!/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/.test(pkg)) throw new UsageError(`"${pkg}" is not a package name (pkg or pkg:arch)`);
  }
  const sources = (input.sources ?? []).map((s) => s.trim());
  for (const s of sources) {
    if (!/^deb(-src)?\s+\S+/.test(s)) throw new UsageError(`--source "${s}" is not a one-line apt source ("deb URL suite components")`);
  }
  return { distro, suite, arch, include, mirror, sources };
}

/** Architectures dpkg must know: the image's own first, then foreign ones named by "pkg:arch" includes. */
export function specArchitectures(spec: BootstrapSpec): string[] {
  const foreign = spec.include.map((p) => p.split(':')[1]).filter((a): a is string => !!a && a !== spec.arch);
  return [spec.arch, ...[...new Set(foreign)].sort()];
}

export function specHash(spec: BootstrapSpec): string {
  const canonical = JSON.stringify({ format: BUILD_FORMAT, ...spec });
  return createHash('sha256').update(canonical).digest('hex');
}

export function defaultTag(spec: BootstrapSpec): string {
  return `kiln/${spec.distro}-${spec.suite}-${spec.arch}:${specHash(spec).slice(0, 12)}`;
}
