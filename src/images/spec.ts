// What an image bootstrap builds: distro, suite, architecture, packages, mirror and extra apt sources.
// The spec's hash names the image, so the same spec always gives the same tag and is built only once.
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import { hostMirror } from './host-mirror.js';

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

const ARCHES: ImageArch[] = ['amd64', 'arm64'];
/** Bumped when the way images are built changes, so old images are rebuilt. */
const BUILD_FORMAT = 1;

export interface SpecInput {
  target: string;
  arch?: string;
  include?: string[];
  mirror?: string;
  sources?: string[];
  /** Where the host's /etc/apt lives (tests); the default mirror comes from its sources (host-mirror.ts). */
  aptRoot?: string;
}

export function parseBootstrapSpec(input: SpecInput): BootstrapSpec {
  const m = /^([a-z][a-z0-9-]*):([a-z0-9][a-z0-9.-]*)$/.exec(input.target);
  if (!m) throw new UsageError(`"${input.target}" is not <distro>:<suite> (e.g. debian:bookworm)`);
  const [, distro, suite] = m;
  const arch = (input.arch ?? 'amd64') as ImageArch;
  if (!ARCHES.includes(arch)) throw new UsageError(`--arch must be one of ${ARCHES.join(', ')}, got "${input.arch}"`);
  const mirror = (input.mirror ?? hostMirror(distro, input.aptRoot)?.mirror)?.replace(/\/+$/, '');
  if (!mirror) {
    throw new UsageError(
      `no mirror for "${distro}": the host's apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d/) ` +
        `name none whose path ends in /${distro}; give one with --mirror URL`,
    );
  }
  if (!/^(https?|file):\/\//.test(mirror))
    throw new UsageError(`--mirror must be an http(s):// or file:// URL, got "${mirror}"`);
  const include = [
    ...new Set(
      (input.include ?? [])
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ].sort();
  for (const pkg of include) {
    if (!/^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?$/.test(pkg))
      throw new UsageError(`"${pkg}" is not a package name (pkg or pkg:arch)`);
  }
  const sources = (input.sources ?? []).map((s) => s.trim());
  for (const s of sources) {
    if (!/^deb(-src)?\s+\S+/.test(s))
      throw new UsageError(`--source "${s}" is not a one-line apt source ("deb URL suite components")`);
    const uri = /^deb(?:-src)?\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(s)?.[1] ?? '';
    if (uri.startsWith('file:')) {
      // mmdebstrap runs apt inside the new root, where the host's path does not exist; copy:// makes mmdebstrap
      // copy the repository's files in first.
      throw new UsageError(
        `--source "${s}": a file:// source is read from inside the image being built, where ${uri.slice(5).replace(/^\/\//, '')} ` +
          `does not exist; write it as ${uri.replace(/^file:/, 'copy:')} (mmdebstrap copies the repository in)`,
      );
    }
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
