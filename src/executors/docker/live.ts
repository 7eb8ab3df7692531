// Containers and networks of jobs still in flight in this process. If kiln exits without cleaning up (an
// uncaught error), an exit hook removes them synchronously with the docker CLI when one is installed;
// anything left after a hard kill is for `kiln prune`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const containers = new Set<string>();
const networks = new Set<string>();
let hooked = false;

function onExit(): void {
  if (!containers.size && !networks.size) return;
  const cli = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
  if (containers.size) spawnSync(cli, ['rm', '-f', '-v', ...containers], { stdio: 'ignore', timeout: 20_000 });
  if (networks.size) spawnSync(cli, ['network', 'rm', ...networks], { stdio: 'ignore', timeout: 20_000 });
}

export function trackLive(kind: 'container' | 'network', id: string): void {
  if (!hooked) {
    hooked = true;
    process.once('exit', onExit);
  }
  (kind === 'container' ? containers : networks).add(id);
}

export function untrackLive(id: string): void {
  containers.delete(id);
  networks.delete(id);
}
