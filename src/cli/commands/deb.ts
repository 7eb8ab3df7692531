// `kiln deb build` and `kiln deb show`: write and inspect reproducible .deb packages.
import type { Command } from 'commander';
import { collect } from '../collect.js';

export function register(program: Command): void {
  const deb = program.command('deb').description('build and inspect .deb packages');

  deb
    .command('build')
    .description('build a reproducible .deb from a directory tree (mtimes from SOURCE_DATE_EPOCH)')
    .requiredOption('--root <dir>', 'directory whose contents become the installed files')
    .option('--control <file>', 'control file (else DIR/DEBIAN/control, else the flags below)')
    .option('--name <name>', 'Package')
    .option('--version <version>', 'Version (e.g. 1:2.0-1)')
    .option('--pkg-version <version>', 'same as --version')
    .option('--arch <arch>', 'Architecture (amd64, arm64, all, ...)')
    .option('--maintainer <who>', 'Maintainer, e.g. "Team <team@example.com>"')
    .option('--description <text>', 'Description (first line synopsis, further lines the long text)')
    .option('--depends <dep>', 'a Depends entry (repeatable)', collect)
    .option('--section <section>', 'Section')
    .option('--priority <priority>', 'Priority')
    .option('--homepage <url>', 'Homepage')
    .option('--scripts <dir>', 'directory with preinst/postinst/prerm/postrm/conffiles/triggers')
    .option('--preserve-modes', 'keep permission bits from the tree (default: 0755 if executable, else 0644)')
    .option('--compression <kind>', 'gz, xz, zst or none (default xz if the xz tool exists, else gz)')
    .requiredOption('-o, --output <path>', 'output file, or a directory for name_version_arch.deb')
    .option('--json', 'print the result as JSON')
    .action(async (opts) => {
      const { debBuild } = await import('../../publish/deb/actions.js');
      if (opts.version !== undefined && opts.pkgVersion === undefined) opts.pkgVersion = opts.version;
      const r = await debBuild(opts);
      if (opts.json) {
        const fields: Record<string, string> = {};
        for (const f of r.control.fields) fields[f.name] = f.value;
        process.stdout.write(JSON.stringify({ path: r.path, size: r.size, fields }, null, 2) + '\n');
      } else process.stdout.write(`${r.path} (${r.size} bytes)\n`);
    });

  deb
    .command('show')
    .description('print the control fields and contents of a .deb')
    .argument('<file>', '.deb file')
    .option('--json', 'print as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const { debShow } = await import('../../publish/deb/actions.js');
      const r = await debShow(file);
      if (opts.json) {
        process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        return;
      }
      const lines = [`${r.file}: ${r.controlMember}, ${r.dataMember}; control files: ${r.controlFiles.join(' ')}`];
      for (const [k, v] of Object.entries(r.fields)) lines.push(`${k}: ${v}`);
      lines.push('', 'Contents:');
      for (const c of r.contents) {
        lines.push(
          `${c.mode} ${c.owner} ${String(c.size).padStart(10)} ${c.path}${c.linkname ? ` -> ${c.linkname}` : ''}`,
        );
      }
      process.stdout.write(lines.join('\n') + '\n');
    });
}
