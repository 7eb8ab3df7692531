// `kiln lint`: load .gitlab-ci.yml (includes, extends, rules...) and report every problem with file:line:col.
import type { Command } from 'commander';
import { addPipelineFlags, type PipelineFlags } from './pipeline-flags.js';

interface LintFlags extends PipelineFlags {
  json?: boolean;
}

export function register(program: Command): void {
  addPipelineFlags(
    program.command('lint').description('check .gitlab-ci.yml and print every error (exit 1 when there is one)'),
  )
    .option('--json', 'machine-readable output')
    .action(async (flags: LintFlags) => {
      const { loadCollecting } = await import('../../pipeline/load.js');
      const { lintChildren } = await import('../../pipeline/child.js');
      const { pipelineOptions } = await import('../pipeline-input.js');
      const options = await pipelineOptions(flags);
      const loaded = await loadCollecting(options);
      // Child pipelines' files (trigger:include) are checked too, in a child pipeline's context.
      const errors = loaded.pipeline
        ? [...loaded.errors, ...(await lintChildren(loaded.pipeline, options.vendorDir))]
        : loaded.errors;
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify(
            {
              valid: errors.length === 0,
              errors: errors.map((e) => ({
                file: e.position?.file,
                line: e.position?.line,
                col: e.position?.col,
                path: e.keyPath.join(':'),
                detail: e.detail,
                message: e.message,
              })),
            },
            null,
            2,
          )}\n`,
        );
      } else if (errors.length === 0) {
        process.stdout.write(`${flags.file ?? '.gitlab-ci.yml'}: valid\n`);
      } else {
        for (const e of errors) process.stderr.write(`${e.message}\n`);
        process.stderr.write(`${errors.length} error${errors.length === 1 ? '' : 's'}\n`);
      }
      if (errors.length) process.exitCode = 1;
    });
}
