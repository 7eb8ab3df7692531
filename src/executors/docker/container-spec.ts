// How a job container is described to the engine: environment translated to container paths, mounts from
// kiln.toml, resource limits, labels.
import type Docker from 'dockerode';
import type { DockerSettings } from '../../config/types.js';
import { LABEL } from './client.js';
import { dict } from '../../util/dict.js';

/**
 * The runner may pass the host environment through (the shell executor needs it). A container gets only the
 * job's variables: a host variable (same name and value as in kiln's own environment) is dropped unless the job
 * defines it or it is a CI variable.
 */
function fromHost(name: string, value: string, hostEnv: NodeJS.ProcessEnv, jobVars: Set<string>): boolean {
  if (jobVars.has(name) || name.startsWith('CI_') || name.startsWith('GITLAB_') || name === 'CI') return false;
  return hostEnv[name] === value;
}

export const VARS_DIR = '/.kiln/vars';

export interface PathMap {
  workspaceDir: string;
  projectDir: string;
  buildsDir: string;
}

/** Rewrites host paths (workspace, file-variable dir) in the job environment to the container's. */
export function containerEnv(
  env: Record<string, string>,
  map: PathMap,
  jobVars: Set<string> = new Set(),
  hostEnv: NodeJS.ProcessEnv = process.env,
): string[] {
  const varsDir = `${map.workspaceDir}.tmp`;
  const out: Record<string, string> = dict();
  for (const [k, v] of Object.entries(env)) {
    if (fromHost(k, v, hostEnv, jobVars)) continue;
    out[k] = v.split(varsDir).join(VARS_DIR).split(map.workspaceDir).join(map.projectDir);
  }
  out.CI_PROJECT_DIR = map.projectDir;
  out.CI_BUILDS_DIR = map.buildsDir;
  return Object.entries(out).map(([k, v]) => `${k}=${v}`);
}

/** True when the job environment refers to file variables in the host's "<workspace>.tmp" dir. */
export function usesVarsDir(env: Record<string, string>, workspaceDir: string): boolean {
  const varsDir = `${workspaceDir}.tmp/`;
  return Object.values(env).some((v) => v.startsWith(varsDir));
}

export function hostConfig(settings: DockerSettings, binds: string[]): Docker.HostConfig {
  const hc: Docker.HostConfig = { Binds: [...binds], Mounts: [], Privileged: settings.privileged };
  for (const v of settings.volumes) {
    if (v.kind === 'bind') hc.Binds!.push(`${v.source}:${v.target}:${v.readOnly ? 'ro' : 'rw'}`);
    else if (v.kind === 'named') {
      hc.Mounts!.push({
        Type: 'volume',
        Source: v.name,
        Target: v.target,
        ReadOnly: v.readOnly,
        VolumeOptions: { Labels: { [LABEL.persistent]: 'true' } },
      } as unknown as Docker.MountSettings);
    } else hc.Mounts!.push({ Type: 'volume', Target: v.target } as Docker.MountSettings);
  }
  if (settings.memory) hc.Memory = settings.memory;
  if (settings.cpus) hc.NanoCpus = Math.round(settings.cpus * 1e9);
  if (settings.shmSize) hc.ShmSize = settings.shmSize;
  if (settings.networkMode) hc.NetworkMode = settings.networkMode;
  return hc;
}

export function slugName(text: string, max = 40): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9_.-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, max) || 'job'
  );
}
