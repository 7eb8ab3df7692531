// `kiln prune`: removes containers, networks and volumes that a killed kiln left behind (io.kiln.run label).
// Objects of a kiln process that is still running on this host are kept unless `all` is set; persistent named
// cache volumes (io.kiln.persistent) are removed only when asked.
import type Docker from 'dockerode';
import { connectDocker, LABEL, ownerHost } from './client.js';

export interface PruneOptions {
  /** Also remove objects of kiln processes that are still alive. */
  all?: boolean;
  /** Also remove persistent named cache volumes created through kiln.toml volumes. */
  cacheVolumes?: boolean;
  /** Only report what would be removed. */
  dryRun?: boolean;
  /** Only objects of this run id (io.kiln.run value). */
  run?: string;
}

export interface PruneResult {
  containers: string[];
  networks: string[];
  volumes: string[];
  kept: number;
}

function ownerAlive(owner: string | undefined): boolean {
  if (!owner) return false;
  const i = owner.lastIndexOf(':');
  const host = owner.slice(0, i);
  const pid = Number(owner.slice(i + 1));
  // Another machine's kiln (a shared engine) cannot be checked: its objects are kept unless --all.
  if (host !== ownerHost()) return true;
  if (!Number.isInteger(pid)) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function prune(options: PruneOptions = {}, docker?: Docker): Promise<PruneResult> {
  const d = docker ?? (await connectDocker());
  const result: PruneResult = { containers: [], networks: [], volumes: [], kept: 0 };
  const runFilter = JSON.stringify({ label: [options.run ? `${LABEL.run}=${options.run}` : LABEL.run] });
  const keep = (labels: Record<string, string> | undefined) => !options.all && ownerAlive(labels?.[LABEL.owner]);

  const containers = await d.listContainers({ all: true, filters: runFilter });
  for (const c of containers) {
    if (keep(c.Labels)) {
      result.kept++;
      continue;
    }
    result.containers.push(c.Names?.[0]?.replace(/^\//, '') ?? c.Id);
    if (!options.dryRun)
      await d
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined);
  }
  const networks = await d.listNetworks({ filters: runFilter });
  for (const n of networks) {
    if (keep(n.Labels)) {
      result.kept++;
      continue;
    }
    result.networks.push(n.Name);
    if (!options.dryRun)
      await d
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined);
  }
  const labels = [LABEL.run, ...(options.cacheVolumes && !options.run ? [LABEL.persistent] : [])];
  for (const label of labels) {
    const filters = label === LABEL.run ? runFilter : JSON.stringify({ label: [label] });
    const { Volumes } = await d.listVolumes({ filters });
    for (const v of Volumes ?? []) {
      if (label === LABEL.run && keep(v.Labels ?? undefined)) {
        result.kept++;
        continue;
      }
      result.volumes.push(v.Name);
      if (!options.dryRun)
        await d
          .getVolume(v.Name)
          .remove()
          .catch(() => undefined);
    }
  }
  return result;
}
