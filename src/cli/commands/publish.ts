// `kiln publish apt` (signed apt repository in a directory), `kiln publish apt refresh` and
// `kiln publish aptly` (push to an aptly server through its REST API).
import type { Command } from 'commander';
import { collect } from '../collect.js';

function repoFlags(cmd: Command): Command {
  return cmd
    .requiredOption('--repo <dir>', 'repository root directory (created if missing)')
    .requiredOption('--suite <suite>', 'suite name (dists/<suite>)')
    .option('--codename <codename>', 'Codename field (default: the suite)')
    .option('--origin <origin>', 'Origin field')
    .option('--label <label>', 'Label field')
    .option('--description <text>', 'Description field of the Release file')
    .option('--valid-for <duration>', 'Valid-Until = Date + duration (14d, 12h, 2w, "2 weeks")')
    .option(
      '--policy <file>',
      'expiration policy (TOML or .json: snapshot/targets/timestamp_expiration; default $PUBLISH_EXPIRATION_POLICY_PATH)',
    )
    .option(
      '--no-valid-until',
      "publish without Valid-Until (by default the previous Release's validity period is kept)",
    )
    .option('--sign-key <file>', 'armored OpenPGP private key (default: the key in $KILN_SIGNING_KEY)')
    .option('--key-env <var>', 'environment variable holding the armored key', 'KILN_SIGNING_KEY')
    .option('--passphrase-env <var>', 'environment variable holding the key passphrase', 'KILN_SIGNING_PASSPHRASE')
    .option('--unsigned', 'publish without InRelease/Release.gpg (clients need [trusted=yes])')
    .option(
      '--export-key <file>',
      'also write the public key (relative to the repo; .asc: armored, else a binary keyring for signed-by)',
    )
    .option('--lock-timeout <seconds>', 'how long to wait for another publish to finish', '60')
    .option('--date <iso>', 'publish as of this time instead of now')
    .option('--json', 'print the result as JSON');
}

export function register(program: Command): void {
  const publish = program.command('publish').description('publish .deb packages to apt repositories');

  // `apt` itself has no options so that `apt refresh --repo ...` reaches the subcommand; `add` is the default.
  const apt = publish.command('apt').description('signed apt repository in a directory (add is the default)');
  repoFlags(
    apt
      .command('add', { isDefault: true })
      .description('add .deb files to a signed apt repository (atomic, locked)')
      .argument('<debs...>', '.deb files'),
  )
    .option('--component <name>', 'component', 'main')
    .option('--architectures <list>', 'extra architectures to list (comma separated)')
    .option('--keep <n>', 'keep only the newest N versions of each package')
    .option('--force', 'replace a package whose name+version+arch exists with different content')
    .action(async (debs: string[], opts) => {
      const { runPublishApt, formatResult } = await import('../../publish/apt/actions.js');
      const r = await runPublishApt(debs, opts);
      process.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : formatResult(r));
    });

  repoFlags(
    apt.command('refresh').description('re-sign the suite with a new Date/Valid-Until; indexes stay byte-identical'),
  ).action(async (opts) => {
    const { runRefreshApt, formatResult } = await import('../../publish/apt/actions.js');
    const r = await runRefreshApt(opts);
    process.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : formatResult(r));
  });

  publish
    .command('aptly')
    .description('upload .deb files to an aptly server, add them to a local repo and publish it')
    .argument('<debs...>', '.deb files')
    .requiredOption('--url <url>', 'aptly API base URL, e.g. http://127.0.0.1:8080')
    .requiredOption('--repo <name>', 'aptly local repo name (created if missing)')
    .requiredOption('--distribution <dist>', 'published distribution')
    .option('--prefix <prefix>', 'publish prefix', '.')
    .option('--component <name>', 'component', 'main')
    .option('--sign-key <id>', 'gpg key id on the aptly server to sign with')
    .option('--skip-signing', 'publish unsigned (aptly server without a gpg key)')
    .option('--gpg-passphrase-env <var>', 'environment variable with the key passphrase, sent to aptly')
    .option('--force-replace', 'let aptly replace packages with the same name+version+arch')
    .option('--retries <n>', 'retries for transient failures (connection refused, 502/503/504)', '4')
    .option('--header <h>', 'extra HTTP header "Name: value" (repeatable, e.g. authorization)', collect)
    .option('--json', 'print the result as JSON')
    .action(async (debs: string[], opts) => {
      const { runPublishAptly, formatAptlyResult } = await import('../../publish/aptly/actions.js');
      let r;
      try {
        r = await runPublishAptly(debs, opts);
      } catch (e) {
        // --json readers get the failure too (stdout), with what was left changed on the server.
        if (opts.json) {
          const err = e as { code?: string; message?: string; changes?: string[] };
          process.stdout.write(
            JSON.stringify(
              {
                ok: false,
                error: { code: err.code ?? 'E_INTERNAL', message: err.message ?? String(e) },
                changes: err.changes ?? [],
              },
              null,
              2,
            ) + '\n',
          );
        }
        throw e;
      }
      process.stdout.write(opts.json ? JSON.stringify({ ok: true, ...r }, null, 2) + '\n' : formatAptlyResult(r));
    });
}
