// `kiln store gc`: removes what the cache and artifact store no longer needs (expired artifacts, unused packs
// and blobs, parked trees of replaced caches, temp files of killed writers). `kiln run` also does this hourly.
import type { Command } from 'commander';

interface GcFlags {
  dir: string;
  store?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const store = program.command('store').description('inspect and maintain the cache and artifact store');
  store.command('gc')
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
      const projectDir = resolve(flags.dir);
      const dir = storeDirFor(projectDir, flags.store, loadConfig({ projectDir }).config.runner.cacheDir);
      const r = await collectGarbage(new Store(dir), { dryRun: flags.dryRun });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ store: dir, ...r }, null, 2)}\n`);
        return;
      }
      const verb = flags.dryRun ? 'would remove' : 'removed';
      process.stdout.write(`${dir}: ${verb} ${r.expiredEntries.length} expired artifact entries, ${r.packs} packs and ${r.blobs} blobs ` +
        `(${(r.bytes / 1048576).toFixed(1)} MiB), ${r.parkedTrees} parked trees, ${r.temps} temp files\n`);
    });
}
