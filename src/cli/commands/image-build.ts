// `kiln image build [NAME...]`: build the `[images.<name>]` images of kiln.toml (all, or the named ones) for each
// of their platforms through the engine's BuildKit builder; an image whose content did not change is not rebuilt.
import type { Command } from 'commander';
import { collect } from '../collect.js';

interface BuildFlags {
  dir: string;
  platform?: string[];
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function registerBuild(image: Command): void {
  image
    .command('build')
    .description('build the [images.<name>] images of kiln.toml with BuildKit (skipped when the content is unchanged)')
    .argument('[names...]', 'image names (tables of [images]); default all')
    .option('-C, --dir <dir>', 'project directory (its kiln.toml is read)', '.')
    .option('--platform <platform>', 'only this platform, e.g. linux/arm64 (repeatable)', collect)
    .option('--force', "build even when the content tag exists (BuildKit's layer cache still applies)")
    .option('-q, --quiet', 'print only the tags')
    .option('--json', 'print the results as JSON')
    .action(async (names: string[], flags: BuildFlags) => {
      const { loadConfig } = await import('../../config/load.js');
      const { connectDocker } = await import('../../executors/docker/client.js');
      const { ensureBuilt, platformsOf, ImageBuildError } = await import('../../images/build/build.js');
      const { resolve } = await import('node:path');
      const { config, files } = loadConfig({ projectDir: resolve(flags.dir) });
      const declared = Object.values(config.images);
      if (declared.length === 0) {
        throw new ImageBuildError(
          `no [images.<name>] tables in ${files.length ? files.join(', ') : `${resolve(flags.dir)}/kiln.toml (not found)`}`,
          'E_IMAGE_CONFIG',
        );
      }
      const unknown = names.filter((n) => !config.images[n]);
      if (unknown.length) {
        throw new ImageBuildError(
          `unknown image ${unknown.map((n) => `"${n}"`).join(', ')} (kiln.toml declares ${declared.map((d) => d.name).join(', ')})`,
          'E_IMAGE_CONFIG',
        );
      }
      const docker = await connectDocker();
      const quiet = flags.quiet || flags.json;
      const results = [];
      for (const spec of names.length ? names.map((n) => config.images[n]) : declared) {
        for (const platform of await platformsOf(docker, spec)) {
          if (flags.platform && !flags.platform.includes(platform)) continue;
          const r = await ensureBuilt(docker, spec, platform, {
            force: flags.force,
            onProgress: quiet ? undefined : (line) => process.stderr.write(`${spec.name} ${platform}: ${line}\n`),
          });
          results.push(r);
          if (!flags.json) {
            process.stdout.write(
              flags.quiet
                ? `${r.tag}\n`
                : `${r.image} ${platform}: ${r.tag} ${r.built ? `built in ${r.seconds.toFixed(1)}s (${r.steps.executed} steps run, ${r.steps.cached} cached)` : 'unchanged'}\n`,
            );
          }
        }
      }
      if (flags.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    });
}
