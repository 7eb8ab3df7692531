// `kiln store gc`: removes what the cache and artifact store no longer needs (expired artifacts, unused packs
// and blobs, parked trees of replaced caches, temp files of killed writers), and the sources snapshots and
// workspaces that killed runs of the project left (run/dead-runs.ts). `kiln run` also does both.
import type { Command } from 'commander';

interface GcFlags {
  dir: string;
  store?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const store = program.command('store').description('inspect and maintain the cache and artifact store');
  store
    .command('gc')
    .description('remove expired artifacts, unused packs and blobs, stale parked trees and dead temp files')
    .option('-C, --dir <dir>', 'project directory', '.')
    .option('--store <dir>', 'store directory (default: kiln.toml runner.cache_dir, else <project>/.kiln/store)')
    .option('-n, --dry-run', 'only count what would be removed')
    .option('--json', 'print the result as JSON')
    .action(async (flags: GcFlags) => {
      const { resolve } = await import('node:path');
      const { loadConfig } = await import('../../config/load.js');
      const { storeDirFor } = await import('../store-dir.js');
      const { Store } = await import('../../store/store.js');
      const { collectGarbage } = await import('../../store/gc.js');
      const { reclaimDeadRuns } = await import('../../run/dead-runs.js');
      const { join } = await import('node:path');
      const projectDir = resolve(flags.dir);
      const dir = storeDirFor(projectDir, flags.store, loadConfig({ projectDir }).config.runner.cacheDir);
      const r = await collectGarbage(new Store(dir), { dryRun: flags.dryRun });
      const killed = await reclaimDeadRuns(join(projectDir, '.kiln'), { dryRun: flags.dryRun });
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ store: dir, ...r, killedRuns: killed.pipelines, notRemoved: killed.failed }, null, 2)}\n`,
        );
        return;
      }
      const verb = flags.dryRun ? 'would remove' : 'removed';
      process.stdout.write(
        `${dir}: ${verb} ${r.expiredEntries.length} expired artifact entries, ${r.packs} packs and ${r.blobs} blobs ` +
          `(${(r.bytes / 1048576).toFixed(1)} MiB), ${r.parkedTrees} parked trees, ${r.temps} temp files\n`,
      );
      if (killed.pipelines.length)
        process.stdout.write(
          `${projectDir}: ${verb} the snapshot and workspaces of killed runs (pipeline ${killed.pipelines.join(', ')})\n`,
        );
      for (const f of killed.failed)
        process.stdout.write(`WARNING: cannot remove ${f.path} left by a killed run: ${f.error}\n`);
    });
}
