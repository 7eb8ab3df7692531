// `kiln run [JOB...]`: runs the pipeline (or the named jobs) locally.
import type { Command } from 'commander';
import { collect } from '../collect.js';
import type { RunFlags } from '../run-command.js';
import { addPipelineFlags } from './pipeline-flags.js';

export function register(program: Command): void {
  addPipelineFlags(
    program
      .command('run')
      .description('run the pipeline (or the named jobs) locally')
      .argument('[jobs...]', "jobs to run (full names; a matrix job's base name selects all its instances)"),
    { dirDefault: '.' },
  )
    .option('--needs', "also run the named jobs' needs, transitively")
    .option('--stage <stage>', 'only jobs of this stage (repeatable)', collect)
    .option(
      '--manual [job]',
      'play manual jobs: the named one (repeatable), or all of them without a name',
      (v: string, prev: unknown) => [...(Array.isArray(prev) ? prev : []), v],
    )
    .option(
      '--pipeline <id>',
      'continue pipeline ID (e.g. a blocked one, with --manual NAME): finished jobs are kept, their artifacts reused',
    )
    .option('-j, --concurrency <n>', 'jobs run at once (default: number of CPUs)')
    .option('--masked <name>', "mask this variable's value in all output (repeatable)", collect)
    .option(
      '--sources <mode>',
      'sources for the jobs: worktree (tracked + untracked non-ignored) or committed (HEAD)',
      'worktree',
    )
    .option('--json', 'print the summary as JSON (live output goes to stderr)')
    .option(
      '--store <dir>',
      'cache and artifact store directory (default: kiln.toml runner.cache_dir, else <project>/.kiln/store)',
    )
    .option('--executor <name>', 'executor: shell or docker (default from kiln.toml, else shell)')
    .option('--keep-workspaces', 'keep job workspaces under .kiln/pipelines/<id>/ws for inspection')
    .option(
      '--allow-multi-project',
      'a trigger:project job with strategy: depend/mirror (a pipeline of another project, which kiln cannot run) is skipped instead of failing the pipeline',
    )
    .option(
      '--no-auto-cancel',
      'do not ask older runs of the same ref to auto-cancel (workflow:auto_cancel:on_new_commit)',
    )
    .action(async (jobs: string[], flags: RunFlags) => {
      const { runCommand } = await import('../run-command.js');
      process.exitCode = await runCommand(jobs, flags);
    });
}
