// What the .NET NativeAOT end-to-end test needs from the host, and a private copy of examples/dotnet-aot whose
// kiln.toml points at this machine's SDK, this checkout and a NuGet cache volume of the test's own.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { repoRoot } from './harness.js';

export const dotnetExampleDir = join(repoRoot, 'examples', 'dotnet-aot');

/** The directory holding the `dotnet` executable of a .NET 10 SDK, or why there is none. */
export function dotnetSdkRoot(): { root?: string; problem?: string } {
  const r = spawnSync('dotnet', ['--list-sdks'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    return {
      problem: `the .NET SDK is not installed (\`dotnet --list-sdks\`: ${r.error?.message ?? r.stderr.trim()})`,
    };
  // "10.0.401 [/usr/share/dotnet/sdk]"
  const line = r.stdout.split('\n').find((l) => /^10\.\d+\.\d+/.test(l));
  const m = line && /\[(.+)\/sdk\]\s*$/.exec(line);
  if (!m) return { problem: `no .NET 10 SDK in \`dotnet --list-sdks\`:\n${r.stdout}` };
  return { root: m[1] };
}

/** The NuGet.Config the host's dotnet reads (its package sources go into the build containers). */
export function hostNugetConfig(): string | undefined {
  const file = join(homedir(), '.nuget', 'NuGet', 'NuGet.Config');
  return existsSync(file) ? file : undefined;
}

const GENERATED = new Set(['bin', 'obj', 'out', 'smoke', 'pkgroot', 'debs', 'public', '.kiln']);

function replaceOnce(text: string, from: string, to: string, file: string): string {
  if (!text.includes(from)) throw new Error(`${file}: expected ${from}`);
  return text.replace(from, to);
}

/** Copies the example to `dest` without build products; its kiln.toml gets this checkout, this SDK and `volume`. */
export function copyDotnetExample(dest: string, sdkRoot: string, volume: string): void {
  cpSync(dotnetExampleDir, dest, {
    recursive: true,
    filter: (src) =>
      !relative(dotnetExampleDir, src)
        .split(sep)
        .some((part) => GENERATED.has(part)),
  });
  const tomlPath = join(dest, 'kiln.toml');
  let toml = readFileSync(tomlPath, 'utf8');
  let kilnMount = JSON.stringify(`${repoRoot}:/opt/kiln:ro`);
  // A worktree whose node_modules is a symlink to another checkout: mount the real folder over it too.
  const modules = join(repoRoot, 'node_modules');
  if (existsSync(modules) && realpathSync(modules) !== modules)
    kilnMount += `,\n  ${JSON.stringify(`${realpathSync(modules)}:/opt/kiln/node_modules:ro`)}`;
  toml = replaceOnce(toml, '"../..:/opt/kiln:ro"', kilnMount, tomlPath);
  toml = replaceOnce(toml, '"/usr/share/dotnet:/opt/dotnet:ro"', JSON.stringify(`${sdkRoot}:/opt/dotnet:ro`), tomlPath);
  toml = replaceOnce(
    toml,
    '"kiln-dotnet-aot-nuget:/root/.nuget/packages"',
    JSON.stringify(`${volume}:/root/.nuget/packages`),
    tomlPath,
  );
  // The context moved with the example; the Dockerfile's content (and so the image's tag) did not.
  writeFileSync(tomlPath, toml);
}

/** The restore job's per-restore lines: "nuget: <what>: N request(s) to the package source, M package(s) downloaded". */
export function nugetCounts(log: string): { what: string; requests: number; downloads: number }[] {
  const out: { what: string; requests: number; downloads: number }[] = [];
  for (const m of log.matchAll(
    /^nuget: (.+): (\d+) request\(s\) to the package source, (\d+) package\(s\) downloaded$/gm,
  )) {
    out.push({ what: m[1], requests: Number(m[2]), downloads: Number(m[3]) });
  }
  return out;
}
