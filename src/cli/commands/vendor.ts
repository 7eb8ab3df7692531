// `kiln vendor`: fetch the pipeline's remote/project/template/component includes into .kiln-vendor/ (committed with
// the project) so lint, jobs and run work offline. Takes lint's flags: includes are found in that context.
import type { Command } from 'commander';
import { addPipelineFlags, type PipelineFlags } from './pipeline-flags.js';

interface VendorFlags extends PipelineFlags {
  json?: boolean;
  timeout?: string;
}

export function register(program: Command): void {
  addPipelineFlags(
    program
      .command('vendor')
      .description(
        'fetch remote, project, template and component includes into .kiln-vendor/ (GITLAB_TOKEN for private projects)',
      ),
  )
    .option('--timeout <seconds>', 'time limit per request', '30')
    .option('--json', 'machine-readable output')
    .action(async (flags: VendorFlags) => {
      const { UsageError } = await import('../../errors.js');
      const { pipelineOptions } = await import('../pipeline-input.js');
      const { loadConfig } = await import('../../config/load.js');
      const { vendorPipeline } = await import('../../vendor/vendor.js');
      const timeout = Number(flags.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0)
        throw new UsageError(`--timeout expects seconds, got "${flags.timeout}"`);
      const options = await pipelineOptions(flags);
      const gitlab = loadConfig({ projectDir: options.projectDir }).config.gitlab;
      const result = await vendorPipeline({
        ...options,
        sources: {
          serverUrl: gitlab.url,
          templatesUrl: gitlab.templatesUrl,
          token: process.env.GITLAB_TOKEN || undefined,
          timeoutMs: timeout * 1000,
        },
        progress: flags.json
          ? undefined
          : (e) => {
              if (e.ok) process.stdout.write(`fetched ${e.kind} ${e.address} → ${e.rel} (${e.bytes} bytes)\n`);
              else process.stderr.write(`kiln: ${e.kind} ${e.address}: ${e.error}\n`);
            },
      });
      const failed = result.events.filter((e) => !e.ok);
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify(
            { fetched: result.events.filter((e) => e.ok), failed, errors: result.errors.map((e) => e.message) },
            null,
            2,
          )}\n`,
        );
      } else {
        if (result.events.length === 0) process.stdout.write('nothing to fetch: every include is vendored\n');
        // After a failed fetch the pipeline's errors only repeat that the include is missing.
        if (failed.length === 0) for (const e of result.errors) process.stderr.write(`${e.message}\n`);
      }
      if (failed.length || result.errors.length) process.exitCode = 1;
    });
}
