// `kiln prune`: remove Docker containers, networks and volumes left behind by a killed kiln.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('prune')
    .description('remove Docker containers, networks and volumes left by a killed kiln (io.kiln.* labels)')
    .option('--all', 'also remove objects of kiln processes that are still running')
    .option('--cache-volumes', 'also remove persistent named cache volumes from kiln.toml')
    .option('--run <id>', 'only objects of this run id (label io.kiln.run)')
    .option('-n, --dry-run', 'only list what would be removed')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { all?: boolean; cacheVolumes?: boolean; dryRun?: boolean; json?: boolean; run?: string }) => {
      const { prune } = await import('../../executors/docker/prune.js');
      const r = await prune({ all: opts.all, cacheVolumes: opts.cacheVolumes, dryRun: opts.dryRun, run: opts.run });
      if (opts.json) {
        process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        return;
      }
      const verb = opts.dryRun ? 'would remove' : 'removed';
      const lines = [
        `${verb} ${r.containers.length} container(s), ${r.networks.length} network(s), ${r.volumes.length} volume(s)` +
          (r.kept ? `; kept ${r.kept} object(s) of running kiln processes (use --all)` : ''),
        ...r.containers.map((n) => `  container ${n}`),
        ...r.networks.map((n) => `  network ${n}`),
        ...r.volumes.map((n) => `  volume ${n}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
