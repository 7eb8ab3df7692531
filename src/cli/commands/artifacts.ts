// `kiln artifacts JOB [-o DIR] [--pipeline ID]`: copies a job's artifacts out of kiln's store.
import type { Command } from 'commander';

import type { ArtifactsFlags } from '../artifacts-command.js';

export function register(program: Command): void {
  program
    .command('artifacts')
    .description("copy a job's artifacts from the latest (or a given) pipeline run to a directory")
    .argument('<job>', 'job name, as in the summary')
    .option('-C, --dir <dir>', 'project directory', '.')
    .option('-o, --output <dir>', 'where to put the files (must not exist or be empty; default: artifacts/<job>)')
    .option('-p, --pipeline <id>', 'pipeline id (default: the latest)')
    .option('--store <dir>', 'store directory (default: kiln.toml runner.cache_dir, else .kiln/store)')
    .option('--json', 'print the result as JSON')
    .action(async (job: string, flags: ArtifactsFlags) => {
      const { artifactsCommand } = await import('../artifacts-command.js');
      process.exitCode = await artifactsCommand(job, flags);
    });
}
