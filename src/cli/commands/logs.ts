// `kiln logs JOB [--pipeline ID]`: prints a job's log from the latest (or given) pipeline.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('logs')
    .description('print the log of a job from the latest (or a given) pipeline run')
    .argument('[job]', 'job name (omit to list the jobs of the pipeline)')
    .option('-C, --dir <dir>', 'project directory', '.')
    .option('-p, --pipeline <id>', 'pipeline id (default: the latest)')
    .option('--timestamps', 'keep the timestamp and stream columns')
    .action(async (job: string | undefined, flags: { dir: string; pipeline?: string; timestamps?: boolean }) => {
      const { logsCommand } = await import('../logs-command.js');
      process.exitCode = await logsCommand(job, flags);
    });
}
