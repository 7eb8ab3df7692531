// kiln runner inside a Docker container, with the Docker executor: the job containers are made by the HOST's
// engine (through the mounted socket), and an engine resolves a bind mount's source on its own file system, not
// in the runner's container. The builds directory (each job's workspace and its .steps/.status/.tmp siblings, all
// bind-mounted into the job) must therefore be at the same path inside the runner's container and on the host;
// otherwise the job would start in an empty directory the engine made on the host. GitLab's documentation on Docker
// socket binding states the rule ("volume mounting is done in the context of the host machine, not the build
// container"); GitLab Runner's own Docker executor sidesteps it by keeping builds in Docker volumes filled by a
// helper container, which kiln's executor (a bind-mounted workspace cloned by the runner) does not do.
//
// This check finds the runner's own container (the engine bind-mounts /etc/hostname, /etc/hosts and
// /etc/resolv.conf from /var/lib/docker/containers/<id>/, which /proc/self/mountinfo shows), asks the engine for
// its mounts, and refuses to start when the builds directory is not mounted at its own host path. It is pure
// decisions plus two reads; a runner not in a Docker container (no /.dockerenv, or no container id in its
// mountinfo) is not checked.
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { RunnerError } from './errors.js';

/** The 64-hex id of the container this process runs in, from /proc/self/mountinfo's text. */
export function ownContainerId(mountinfo: string): string | undefined {
  return /\/containers\/([0-9a-f]{64})\/(?:hostname|hosts|resolv\.conf)\s/.exec(mountinfo)?.[1];
}

export interface ContainerMount {
  /** The path on the engine's host (for a named volume: its _data directory). */
  source: string;
  /** The path inside the container. */
  destination: string;
}

/** The host path that `path` inside the container is, or undefined when it lies in the container's own layer. */
export function hostPathOf(path: string, mounts: ContainerMount[]): string | undefined {
  const p = posix.normalize(path);
  let best: ContainerMount | undefined;
  for (const m of mounts) {
    const d = posix.normalize(m.destination).replace(/\/$/, '');
    const inside = d === '' || p === d || p.startsWith(`${d}/`);
    if (inside && (!best || d.length > posix.normalize(best.destination).replace(/\/$/, '').length)) best = m;
  }
  if (!best) return undefined;
  const d = posix.normalize(best.destination).replace(/\/$/, '');
  return posix.join(best.source, p.slice(d.length));
}

/** Why the builds directory cannot be used by the host's engine, or undefined when it can. */
export function buildsDirProblem(buildsDir: string, mounts: ContainerMount[]): string | undefined {
  const host = hostPathOf(buildsDir, mounts);
  if (host === buildsDir) return undefined;
  const fix = `mount it at the same path: docker run ... -v ${buildsDir}:${buildsDir} ...`;
  return host === undefined
    ? `the builds directory ${buildsDir} is inside the runner's container only, but the Docker executor's job ` +
        `containers are made by the host's engine, which mounts job directories by host path: ${fix}`
    : `the builds directory ${buildsDir} is ${host} on the host, but the Docker executor's job containers are ` +
        `made by the host's engine, which mounts job directories by host path: ${fix}`;
}

interface EngineLike {
  getContainer(id: string): { inspect(): Promise<{ Mounts?: { Source?: string; Destination?: string }[] }> };
}

/**
 * Throws when this process runs in a Docker container whose builds directory the engine cannot mount at the same
 * path. `warn` gets the case that cannot be checked (an engine that does not know this container).
 */
export async function checkBuildsDirForEngine(
  buildsDir: string,
  engine: () => Promise<EngineLike>,
  warn: (line: string) => void,
  files: { dockerenv: string; mountinfo: string } = { dockerenv: '/.dockerenv', mountinfo: '/proc/self/mountinfo' },
): Promise<void> {
  if (!existsSync(files.dockerenv)) return;
  let id: string | undefined;
  try {
    id = ownContainerId(readFileSync(files.mountinfo, 'utf8'));
  } catch {
    /* no /proc */
  }
  // Not made by a Docker engine (another runtime that still writes /.dockerenv, a sandbox): nothing to compare
  // with, and such a runtime usually shares the engine's file system view; a warning would be noise.
  if (!id) return;
  let info;
  try {
    info = await (await engine()).getContainer(id).inspect();
  } catch (e) {
    warn(
      `warning: the Docker engine does not know this container (${(e as Error).message}): it is not the engine ` +
        `running kiln, so make sure ${buildsDir} exists at the same path where that engine runs`,
    );
    return;
  }
  const mounts = (info.Mounts ?? []).map((m) => ({ source: m.Source ?? '', destination: m.Destination ?? '' }));
  const problem = buildsDirProblem(buildsDir, mounts);
  if (problem) throw new RunnerError(problem, 'E_RUNNER_BUILDS_DIR');
}
