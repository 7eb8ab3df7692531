// `kiln jobs`: the jobs GitLab would create for a ref/source, with stage, needs, when, allow_failure, image, tags,
// matrix values and the rule outcome; `--all` adds the jobs that are not created and why.
import type { Command } from 'commander';

interface JobsFlags {
  file?: string;
  dir?: string;
  ref?: string;
  tag?: boolean;
  source?: string;
  defaultBranch?: string;
  variable?: string[];
  json?: boolean;
  all?: boolean;
}

export function register(program: Command): void {
  program
    .command('jobs')
    .description('list the jobs the pipeline creates for a ref and pipeline source')
    .option('-f, --file <file>', 'pipeline file, relative to the project directory', '.gitlab-ci.yml')
    .option('-C, --dir <dir>', 'project directory (default: current directory)')
    .option('--ref <ref>', 'branch or tag (default: the checked-out one)')
    .option('--tag', 'the ref is a tag')
    .option('--source <source>', 'CI_PIPELINE_SOURCE (default push)')
    .option('--default-branch <branch>', 'CI_DEFAULT_BRANCH (default: from git)')
    .option('--variable <K=V>', 'set a CI/CD variable (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--all', 'also list jobs that are not created, with the reason')
    .option('--json', 'machine-readable output')
    .action(async (flags: JobsFlags) => {
      const { loadPipeline } = await import('../../pipeline/load.js');
      const { loadOptionsFromFlags } = await import('../../pipeline/options.js');
      const { formatJobsJson, formatJobsText } = await import('../../pipeline/format.js');
      const pipeline = await loadPipeline(loadOptionsFromFlags(flags));
      const out = flags.json ? `${JSON.stringify(formatJobsJson(pipeline, !!flags.all), null, 2)}\n`
        : formatJobsText(pipeline, !!flags.all);
      process.stdout.write(out);
    });
}
