// `kiln image bootstrap <distro>:<suite>`: build a base image from a distro mirror and load it into Docker.
import type { Command } from 'commander';
import { collect } from '../collect.js';
import { registerBuild } from './image-build.js';

interface BootstrapFlags {
  arch?: string;
  include?: string[];
  mirror?: string;
  keyring?: string[];
  tag?: string;
  source?: string[];
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  const image = program.command('image').description('base images for the Docker executor');
  image
    .command('bootstrap')
    .description('build <distro>:<suite> with mmdebstrap and load it into Docker (skipped when already built)')
    .argument('<target>', 'distro and suite, e.g. debian:bookworm')
    .option('--arch <arch>', 'image architecture: amd64 or arm64', 'amd64')
    .option(
      '--include <pkgs>',
      'extra packages, comma-separated; pkg:arch adds a foreign architecture (repeatable)',
      collect,
    )
    .option('--mirror <url>', "apt mirror (default: the host's apt sources' mirror for that distro)")
    .option(
      '--keyring <file>',
      "keyring (file or directory) to verify the mirror with, e.g. Ubuntu's ubuntu-archive-keyring.gpg (repeatable)",
      collect,
    )
    .option('--source <line>', 'extra one-line apt source, "deb URL suite components" (repeatable)', collect)
    .option('--tag <tag>', 'image tag (default kiln/<distro>-<suite>-<arch>:<spec hash>)')
    .option('--force', 'rebuild even when an image for this spec exists')
    .option('-q, --quiet', 'print only the tag')
    .option('--json', 'print the result as JSON')
    .action(async (target: string, flags: BootstrapFlags) => {
      const { parseBootstrapSpec } = await import('../../images/spec.js');
      const { bootstrapImage } = await import('../../images/bootstrap.js');
      const spec = parseBootstrapSpec({
        target,
        arch: flags.arch,
        include: flags.include,
        mirror: flags.mirror,
        sources: flags.source,
      });
      const quiet = flags.quiet || flags.json;
      if (!quiet && !flags.mirror) {
        const { hostMirror } = await import('../../images/host-mirror.js');
        process.stderr.write(
          `mirror ${spec.mirror} (from ${hostMirror(spec.distro)?.file ?? "the host's apt sources"}; --mirror changes it)\n`,
        );
      }
      const result = await bootstrapImage(spec, {
        tag: flags.tag,
        keyrings: flags.keyring,
        force: flags.force,
        onProgress: quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
      });
      if (flags.json) process.stdout.write(JSON.stringify({ ...result, spec }, null, 2) + '\n');
      else process.stdout.write(`${result.tag}\n`);
    });
  registerBuild(image);
}
