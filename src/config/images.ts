// `[images.<name>]` in kiln.toml: build environment images made from a Dockerfile (see src/images/build/).
//
//   [images.dotnet-build]
//   image = "kiln-example/dotnet-aot-build:1"   # the reference jobs name in `image:` (default "<name>:latest")
//   dockerfile = "build-image/Dockerfile"       # relative to kiln.toml (default "<context>/Dockerfile")
//   context = "build-image"                     # relative to kiln.toml (default ".")
//   platforms = ["linux/amd64"]                 # default: the engine's own platform
//   args = { BASE_IMAGE = "kiln-example/bullseye-base:1" }
//   target = "build"                            # a stage of a multi-stage Dockerfile (optional)
//
// Paths are resolved against the directory of the kiln.toml that declares them, so a user-level kiln.toml and a
// project one can both declare images.
import { dirname, isAbsolute, resolve } from 'node:path';
import { ValueProblem } from './values.js';
import type { ImageBuildConfig } from './types.js';

export type { ImageBuildConfig };

const KEYS = new Set(['image', 'dockerfile', 'context', 'platforms', 'args', 'target']);
const NAME = /^[a-z0-9][a-z0-9._-]*$/;
// Docker's reference grammar, simplified: lower-case path components, optional registry port, optional tag.
const REFERENCE =
  /^[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/;
const PLATFORM = /^linux\/(amd64|arm64|arm\/v7|arm\/v6|386|ppc64le|s390x|riscv64)$/;

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function str(v: unknown, path: (string | number)[]): string {
  if (typeof v !== 'string' || v === '') throw new ValueProblem('expected a non-empty string', path);
  return v;
}

/** Splits "repo:tag" (a registry port is not a tag). */
export function splitReference(ref: string): { repository: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref, tag: 'latest' };
}

/** Parses the whole `images` table; `file` is the kiln.toml it came from (paths are relative to its directory). */
export function parseImagesTable(raw: unknown, file: string): Record<string, ImageBuildConfig> {
  if (!isTable(raw)) throw new ValueProblem('expected tables [images.<name>]');
  const base = dirname(file);
  const out: Record<string, ImageBuildConfig> = {};
  const references = new Map<string, string>();
  for (const [name, entry] of Object.entries(raw)) {
    if (!NAME.test(name))
      throw new ValueProblem(`image name "${name}" must be lower-case letters, digits, ".", "_" or "-"`, [name]);
    if (!isTable(entry)) throw new ValueProblem('expected a table', [name]);
    for (const key of Object.keys(entry)) {
      if (!KEYS.has(key))
        throw new ValueProblem(`unknown key "${key}" (known keys: ${[...KEYS].join(', ')})`, [name, key]);
    }
    const image = entry.image === undefined ? `${name}:latest` : str(entry.image, [name, 'image']);
    if (!REFERENCE.test(image) || image.includes('@')) {
      throw new ValueProblem(`"${image}" is not an image reference (repository[:tag], lower-case)`, [name, 'image']);
    }
    const { repository, tag } = splitReference(image);
    const ref = `${repository}:${tag}`;
    const other = references.get(ref);
    if (other) throw new ValueProblem(`image "${ref}" is already declared by [images.${other}]`, [name, 'image']);
    references.set(ref, name);
    const context = resolve(base, entry.context === undefined ? '.' : str(entry.context, [name, 'context']));
    const dockerfile =
      entry.dockerfile === undefined
        ? resolve(context, 'Dockerfile')
        : resolve(base, str(entry.dockerfile, [name, 'dockerfile']));
    let platforms: string[] = [];
    if (entry.platforms !== undefined) {
      if (!Array.isArray(entry.platforms) || entry.platforms.length === 0) {
        throw new ValueProblem('expected a non-empty array such as ["linux/amd64", "linux/arm64"]', [
          name,
          'platforms',
        ]);
      }
      platforms = entry.platforms.map((p, i) => {
        const s = str(p, [name, 'platforms', i]);
        if (!PLATFORM.test(s))
          throw new ValueProblem(`unknown platform "${s}" (e.g. linux/amd64, linux/arm64)`, [name, 'platforms', i]);
        return s;
      });
      if (new Set(platforms).size !== platforms.length)
        throw new ValueProblem('a platform is listed twice', [name, 'platforms']);
    }
    const args: Record<string, string> = {};
    if (entry.args !== undefined) {
      if (!isTable(entry.args))
        throw new ValueProblem('expected a table of strings, e.g. { BASE_IMAGE = "..." }', [name, 'args']);
      for (const [k, v] of Object.entries(entry.args)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
          throw new ValueProblem(`"${k}" is not a build argument name`, [name, 'args', k]);
        args[k] = str(v, [name, 'args', k]);
      }
    }
    const target = entry.target === undefined ? undefined : str(entry.target, [name, 'target']);
    if (!isAbsolute(dockerfile)) throw new ValueProblem('dockerfile path did not resolve', [name, 'dockerfile']);
    out[name] = { name, image: ref, dockerfile, context, platforms, args, ...(target ? { target } : {}) };
  }
  return out;
}
