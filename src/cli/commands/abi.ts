// `kiln abi check|show|targets`: proves binaries run on named target distributions (glibc, libstdc++, libgcc
// symbol versions, needed libraries, architecture, kernel floor). Heavy modules load inside the actions.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';

interface DbOptions {
  dir?: string;
}

async function loadDb(opts: DbOptions) {
  const { builtinDb, withUserTargets } = await import('../../abi/targets.js');
  const { loadConfig } = await import('../../config/index.js');
  let db = builtinDb();
  const loaded = loadConfig({ projectDir: opts.dir ?? process.cwd() });
  for (const [name, row] of Object.entries(loaded.config.abiTargets)) {
    const origin = loaded.origins[`abi.targets.${name}`];
    const where = origin?.file
      ? `${origin.file}${origin.position ? `:${origin.position.line}:${origin.position.col}` : ''}`
      : 'kiln.toml';
    db = withUserTargets(db, { [name]: row }, where);
  }
  return db;
}

function collect(value: string, previous: string[]): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export function register(program: Command): void {
  const abi = program.command('abi').description('check that native binaries run on target distributions');

  abi
    .command('check')
    .description('check ELF files (directories are walked) against one or more targets; exit 1 if any fails')
    .argument('<paths...>', 'files or directories')
    .option('-t, --target <name>', 'target distribution or policy (repeatable, or comma-separated)', collect, [])
    .option('--allow-lib <soname>', 'treat this needed library as provided (repeatable)', collect, [])
    .option('--dir <dir>', 'project directory whose kiln.toml adds [abi.targets]')
    .option('--json', 'print JSON')
    .action(async (paths: string[], opts: { target: string[]; allowLib: string[]; dir?: string; json?: boolean }) => {
      if (opts.target.length === 0)
        throw new UsageError('abi check: give at least one --target (see `kiln abi targets`)');
      const db = await loadDb(opts);
      const { resolveTargets } = await import('../../abi/targets.js');
      const { checkPaths } = await import('../../abi/check.js');
      const { checkToJson, formatCheck } = await import('../../abi/format.js');
      const targets = resolveTargets(db, opts.target);
      const result = checkPaths(paths, targets, db, { allowLibs: opts.allowLib });
      process.stdout.write(
        opts.json ? `${JSON.stringify(checkToJson(result), null, 2)}\n` : `${formatCheck(result)}\n`,
      );
      if (!result.ok) process.exitCode = 1;
    });

  abi
    .command('show')
    .description('print what kiln reads from one ELF file (like readelf -d -V, plus verdict inputs)')
    .argument('<file>', 'ELF file')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const { analyzeFile } = await import('../../abi/analyze.js');
      const { formatShow } = await import('../../abi/format.js');
      const report = analyzeFile(file);
      if (!report) throw new UsageError(`${file}: not an ELF file`);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatShow(report)}\n`);
    });

  abi
    .command('targets')
    .description('list the known targets (built-in database plus [abi.targets] from kiln.toml)')
    .option('--dir <dir>', 'project directory whose kiln.toml adds [abi.targets]')
    .option('--json', 'print JSON')
    .action(async (opts: { dir?: string; json?: boolean }) => {
      const db = await loadDb(opts);
      const { formatTargets } = await import('../../abi/format.js');
      process.stdout.write(opts.json ? `${JSON.stringify(db.targets, null, 2)}\n` : `${formatTargets(db.targets)}\n`);
    });
}
