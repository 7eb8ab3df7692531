// `kiln jobs`: the jobs GitLab would create for a ref/source, with stage, needs, when, allow_failure, image, tags,
// matrix values and the rule outcome; `--all` adds the jobs that are not created and why.
import type { Command } from 'commander';
import { addPipelineFlags, type PipelineFlags } from './pipeline-flags.js';

interface JobsFlags extends PipelineFlags {
  json?: boolean;
  all?: boolean;
}

export function register(program: Command): void {
  addPipelineFlags(
    program.command('jobs').description('list the jobs the pipeline creates for a ref and pipeline source'),
  )
    .option('--all', 'also list jobs that are not created, with the reason')
    .option('--json', 'machine-readable output')
    .action(async (flags: JobsFlags) => {
      const { loadPipeline } = await import('../../pipeline/load.js');
      const { pipelineOptions } = await import('../pipeline-input.js');
      const { formatJobsJson, formatJobsText } = await import('../../pipeline/format.js');
      const pipeline = await loadPipeline(await pipelineOptions(flags));
      const out = flags.json
        ? `${JSON.stringify(formatJobsJson(pipeline, !!flags.all), null, 2)}\n`
        : formatJobsText(pipeline, !!flags.all);
      process.stdout.write(out);
    });
}
