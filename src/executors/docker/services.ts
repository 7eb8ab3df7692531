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
}

/** 'open', 'refused' (reachable, nothing listening yet) or 'unreachable' (the host cannot reach the IP). */
function probe(host: string, port: number): Promise<'open' | 'refused' | 'unreachable'> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 1000 });
    s.once('connect', () => { s.destroy(); resolve('open'); });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? 'refused' : 'unreachable'));
    s.once('timeout', () => { s.destroy(); resolve('unreachable'); });
  });
}

/** Waits (up to timeoutMs) until the service's exposed TCP ports accept connections, as GitLab does. */
async function waitForPorts(container: Docker.Container, network: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const info = await container.inspect();
  const ports = Object.keys(info.Config.ExposedPorts ?? {}).filter((p) => p.endsWith('/tcp')).map((p) => Number(p.split('/')[0]));
  const ip = info.NetworkSettings.Networks?.[network]?.IPAddress;
  if (!ports.length || !ip) return;
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    for (;;) {
      const state = await probe(ip, port);
      // Open, or the host cannot see container IPs (remote or rootless engine): stop waiting.
      if (state !== 'refused' || Date.now() > deadline || signal?.aborted) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Starts one service; records its container id in `created` before starting so cleanup finds it. */
export async function startService(ctx: ServiceContext, service: ServiceSpec, index: number, created: string[]): Promise<void> {
  const image = await ensureImage(ctx.docker, {
    name: service.name, policies: service.pullPolicy ?? ctx.defaultPolicies, platform: service.platform, who: `service ${service.name}`,
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
      _query: { name, ...(service.platform ? { platform: service.platform } : {}) }, _body: opts,
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
  await waitForPorts(container, ctx.network, 30_000, ctx.signal);
}
