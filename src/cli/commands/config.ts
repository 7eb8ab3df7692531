// `kiln config`: prints the effective runner config (kiln.toml: CLI > project > user > defaults) and where
// each value came from.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('config')
    .description('print the effective kiln.toml settings and where each value came from')
    .option('-C, --dir <dir>', 'project directory', '.')
    .option('--user-config-dir <dir>', 'directory of the user kiln.toml (default $XDG_CONFIG_HOME/kiln)')
    .option('--json', 'print as JSON')
    .action(async (opts: { dir: string; userConfigDir?: string; json?: boolean }) => {
      const { resolve } = await import('node:path');
      const { loadConfig, settingValue } = await import('../../config/index.js');
      const loaded = loadConfig({ projectDir: resolve(opts.dir), userConfigDir: opts.userConfigDir });
      const { ignoredWarning } = await import('../../config/runners.js');
      const keys = Object.keys(loaded.origins).sort();
      if (opts.json) {
        const settings = keys.map((key) => ({ key, value: settingValue(loaded.config, key), ...loaded.origins[key] }));
        process.stdout.write(
          JSON.stringify({ files: loaded.files, settings, ignored: loaded.ignored }, null, 2) + '\n',
        );
        return;
      }
      const warning = ignoredWarning(loaded.ignored);
      if (warning) process.stderr.write(`kiln: ${warning}\n`);
      const lines = [`config files: ${loaded.files.length ? loaded.files.join(', ') : '(none; built-in defaults)'}`];
      for (const key of keys) {
        const o = loaded.origins[key];
        const where = o.position ? `${o.position.file}:${o.position.line}` : (o.file ?? o.source);
        lines.push(
          `${key} = ${JSON.stringify(settingValue(loaded.config, key))}    # ${o.source}${o.source === 'default' || o.source === 'cli' ? '' : ` (${where})`}`,
        );
      }
      process.stdout.write(lines.join('\n') + '\n');
    });
}
