// `services:` containers on the job's own network, reachable by their aliases (GitLab's derived aliases:
// "group/img:tag" → "group__img" and "group-img", plus any `alias:`).
import { connect } from 'node:net';
import type Docker from 'dockerode';
import type { ServiceSpec } from '../../pipeline/model.js';
import { DockerError, dockerMessage, LABEL } from './client.js';
import { ensureImage } from './image.js';
import { trackLive } from './live.js';
import type { PullPolicy } from '../../pipeline/model.js';

export function serviceAliases(service: ServiceSpec): string[] {
  const base = service.name.replace(/@.*$/, '').replace(/:[^/]*$/, '');
  const derived = [base.replace(/\//g, '__'), base.replace(/\//g, '-')];
  return [...new Set([...derived, ...service.alias])].filter((a) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(a));
}

export interface ServiceContext {
  docker: Docker;
  network: string;
  labels: Record<string, string>;
  env: string[];
  defaultPolicies: PullPolicy[];
  namePrefix: string;
  signal?: AbortSignal;
  /** How long to wait for exposed ports (GitLab's wait_for_services_timeout, 30 s). */
  readyTimeoutMs?: number;
}

/** 'open', 'refused' (reachable, nothing listening yet) or 'unreachable' (the host cannot reach the IP). */
function probe(host: string, port: number): Promise<'open' | 'refused' | 'unreachable'> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 1000 });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? 'refused' : 'unreachable'));
    s.once('timeout', () => {
      s.destroy();
      resolve('unreachable');
    });
  });
}

/**
 * Waits (up to timeoutMs) until the service's exposed TCP ports accept connections, as GitLab does. Returns
 * why the service is not ready (GitLab's "health check error"), or undefined.
 */
export async function waitForPorts(
  container: Docker.Container,
  network: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const info = await container.inspect();
  const ports = Object.keys(info.Config.ExposedPorts ?? {})
    .filter((p) => p.endsWith('/tcp'))
    .map((p) => Number(p.split('/')[0]));
  const ip = info.NetworkSettings.Networks?.[network]?.IPAddress;
  if (!ports.length || !ip) return undefined;
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      const state = await probe(ip, port);
      // Open, or the host cannot see container IPs (remote or rootless engine): stop waiting.
      if (state !== 'refused' || signal?.aborted) break;
      if (Date.now() > deadline)
        return `port ${port}/tcp did not accept connections within ${Math.round(timeoutMs / 1000)} s`;
      const now = await container.inspect().catch(() => undefined);
      if (now && !now.State.Running)
        return `the service exited with code ${now.State.ExitCode} before port ${port}/tcp accepted connections`;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return undefined;
}

/** How long a service without exposed ports must keep running to count as started. */
const SETTLE_MS = 300;

export interface StartedService {
  service: ServiceSpec;
  id: string;
  /** Why the health check failed, when it did. */
  healthError?: string;
}

/** Decodes the engine's multiplexed log stream (8-byte frame headers) of a container without a TTY. */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let off = 0;
  while (off + 8 <= buf.length && (buf[off] === 1 || buf[off] === 2 || buf[off] === 0) && buf[off + 1] === 0) {
    const size = buf.readUInt32BE(off + 4);
    parts.push(buf.subarray(off + 8, off + 8 + size));
    off += 8 + size;
  }
  return (off === 0 ? buf : Buffer.concat(parts)).toString('utf8');
}

/**
 * GitLab Runner's warning for each service that died or never became ready, with the end of its log:
 * "*** WARNING: Service ... probably didn't start properly." The job still runs.
 */
export async function serviceProblems(docker: Docker, started: StartedService[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const s of started) {
    const c = docker.getContainer(s.id);
    let why = s.healthError;
    const info = await c.inspect().catch(() => undefined);
    if (!why && info && !info.State.Running) why = `the service exited with code ${info.State.ExitCode}`;
    if (!why) continue;
    const raw = await c.logs({ stdout: true, stderr: true, tail: 100, timestamps: true }).catch(() => undefined);
    const logs = raw ? demuxLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))).trimEnd() : '(no logs)';
    warnings.push(
      [
        `*** WARNING: Service ${s.service.name} probably didn't start properly.`,
        '',
        'Health check error:',
        why,
        '',
        'Service container logs:',
        logs || '(empty)',
        '',
        '*********',
      ].join('\n'),
    );
  }
  return warnings;
}

/** Starts one service; records its container id in `created` before starting so cleanup finds it. */
export async function startService(
  ctx: ServiceContext,
  service: ServiceSpec,
  index: number,
  created: string[],
): Promise<StartedService> {
  const image = await ensureImage(ctx.docker, {
    name: service.name,
    policies: service.pullPolicy ?? ctx.defaultPolicies,
    platform: service.platform,
    who: `service ${service.name}`,
  });
  const env = [...ctx.env, ...Object.entries(service.variables).map(([k, v]) => `${k}=${v}`)];
  const aliases = serviceAliases(service);
  const opts: Docker.ContainerCreateOptions = {
    Image: image.Id,
    Env: env,
    Labels: { ...ctx.labels, [LABEL.role]: 'service' },
    HostConfig: { NetworkMode: ctx.network },
    NetworkingConfig: { EndpointsConfig: { [ctx.network]: { Aliases: aliases } } },
  };
  if (service.entrypoint) opts.Entrypoint = service.entrypoint;
  if (service.command) opts.Cmd = service.command;
  if (service.user) opts.User = service.user;
  const name = `${ctx.namePrefix}-svc${index}`;
  let container: Docker.Container;
  try {
    container = await ctx.docker.createContainer({
      _query: { name, ...(service.platform ? { platform: service.platform } : {}) },
      _body: opts,
    } as unknown as Docker.ContainerCreateOptions);
  } catch (e) {
    throw new DockerError(`cannot create service ${service.name}: ${dockerMessage(e)}`, 'E_SERVICE');
  }
  created.push(container.id);
  trackLive('container', container.id);
  try {
    await container.start();
  } catch (e) {
    throw new DockerError(`cannot start service ${service.name}: ${dockerMessage(e)}`, 'E_SERVICE');
  }
  const healthError = await waitForPorts(container, ctx.network, ctx.readyTimeoutMs ?? 30_000, ctx.signal);
  return { service, id: container.id, healthError };
}

/** Gives services without a port check a moment to fail (a missing binary, a bad config) before looking. */
export function settle(startedAt: number): Promise<void> {
  const left = SETTLE_MS - (Date.now() - startedAt);
  return left > 0 ? new Promise((r) => setTimeout(r, left)) : Promise.resolve();
}
