// Connects to the Docker Engine (DOCKER_HOST honoured, else the local socket; Podman's Docker-compatible
// socket works the same way) and turns "cannot connect" into an error that says how to fix it.
import { hostname } from 'node:os';
import Docker from 'dockerode';
import { EnvironmentError, KilnError } from '../../errors.js';

export class DockerError extends KilnError {
  constructor(message: string, code = 'E_DOCKER', exitCode = 1) {
    super(message, code, exitCode);
  }
}

/** Labels on everything kiln creates in the engine. */
export const LABEL = {
  run: 'io.kiln.run',
  job: 'io.kiln.job',
  role: 'io.kiln.role',
  /** Host name + pid of the kiln process that made it: `kiln prune` keeps objects of a live kiln. */
  owner: 'io.kiln.owner',
  imageSpec: 'io.kiln.image.spec',
  persistent: 'io.kiln.persistent',
} as const;

const clients = new Map<string, Promise<Docker>>();

function describeHost(): string {
  return process.env.DOCKER_HOST ? `DOCKER_HOST=${process.env.DOCKER_HOST}` : 'unix:///var/run/docker.sock';
}

async function ping(docker: Docker, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([docker.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A connected client (cached per DOCKER_HOST). Throws EnvironmentError when the engine does not answer. */
export function connectDocker(timeoutMs = 10_000): Promise<Docker> {
  const key = process.env.DOCKER_HOST ?? '';
  let p = clients.get(key);
  if (!p) {
    p = (async () => {
      const docker = new Docker();
      try {
        await ping(docker, timeoutMs);
      } catch (e) {
        clients.delete(key);
        throw new EnvironmentError(
          `cannot reach the Docker Engine at ${describeHost()}: ${(e as Error).message}. ` +
            'Start it (e.g. `systemctl start docker`, or `dockerd &` as root), install it with ' +
            '`apt-get install docker.io`, or point DOCKER_HOST at a running engine (Podman: ' +
            '`systemctl --user start podman.socket`).',
          'E_DOCKER_UNREACHABLE',
        );
      }
      return docker;
    })();
    clients.set(key, p);
  }
  return p;
}

export function ownerLabel(): string {
  return `${ownerHost()}:${process.pid}`;
}

/** The real host name (HOSTNAME is a shell variable that bash does not export: never trusted). */
export function ownerHost(): string {
  return hostname() || 'localhost';
}

/** Message of a dockerode error without its "(HTTP code 404) no such container -" prefix noise. */
export function dockerMessage(e: unknown): string {
  const err = e as { json?: { message?: string }; reason?: string; message?: string };
  return err?.json?.message ?? err?.message ?? String(e);
}

export function statusCode(e: unknown): number | undefined {
  return (e as { statusCode?: number })?.statusCode;
}
