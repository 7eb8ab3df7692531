// `kiln runner`: kiln as a GitLab runner. register / verify / unregister / list edit the [[runners]] of a
// kiln.toml (default: the user's, $XDG_CONFIG_HOME/kiln/kiln.toml; -c like gitlab-runner's --config);
// `run` takes jobs from GitLab. Tokens are never printed.
import type { Command } from 'commander';

interface Common {
  config?: string;
  json?: boolean;
}

async function configFile(opts: Common): Promise<string> {
  const { resolve, join } = await import('node:path');
  if (opts.config) return resolve(opts.config);
  const { userConfigDir, CONFIG_FILE_NAME } = await import('../../config/index.js');
  return join(userConfigDir(), CONFIG_FILE_NAME);
}

function out(json: boolean | undefined, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
}

export function register(program: Command): void {
  const runner = program
    .command('runner')
    .description('run GitLab jobs on this machine (GitLab Runner compatible config)');
  const configOpt = ['-c, --config <file>', 'kiln.toml holding the [[runners]] (default: the user kiln.toml)'] as const;

  runner
    .command('register')
    .description('register this machine with GitLab (glrt- runner token, or a legacy registration token)')
    .option(...configOpt)
    .requiredOption('--url <url>', 'GitLab URL, e.g. https://gitlab.example.com')
    .requiredOption('--token <token>', 'runner authentication token (glrt-...) or registration token')
    .option('--name <name>', 'runner name (default: host name)')
    .option('--executor <executor>', 'shell or docker', 'shell')
    .option('--docker-image <image>', 'default image for jobs without image: (docker executor)')
    .option('--tag-list <tags>', 'comma-separated tags (legacy registration tokens only)')
    .option('--run-untagged', 'take untagged jobs (legacy registration tokens only)')
    .option('--locked', 'lock the runner to its project (legacy registration tokens only)')
    .option('--json', 'print as JSON')
    .action(
      async (
        opts: Common & {
          url: string;
          token: string;
          name?: string;
          executor: string;
          dockerImage?: string;
          tagList?: string;
          runUntagged?: boolean;
          locked?: boolean;
        },
      ) => {
        const { UsageError } = await import('../../errors.js');
        if (opts.executor !== 'shell' && opts.executor !== 'docker')
          throw new UsageError(`--executor must be shell or docker, not "${opts.executor}"`);
        const { register: doRegister } = await import('../../runner/register.js');
        const file = await configFile(opts);
        const r = await doRegister({
          configFile: file,
          url: opts.url,
          token: opts.token,
          name: opts.name,
          executor: opts.executor,
          dockerImage: opts.dockerImage,
          tagList: opts.tagList,
          runUntagged: opts.runUntagged,
          locked: opts.locked,
        });
        out(
          opts.json,
          { file, runner: r },
          `Runner "${r.name}"${r.id !== undefined ? ` (id ${r.id})` : ''} registered with ${r.url}; saved in ${file} (mode 0600)`,
        );
      },
    );

  runner
    .command('verify')
    .description("check the runners' tokens with GitLab")
    .option(...configOpt)
    .option('--name <name>', 'only this runner')
    .option('--delete', 'remove runners whose token GitLab refuses from the config')
    .option('--json', 'print as JSON')
    .action(async (opts: Common & { name?: string; delete?: boolean }) => {
      const { verify } = await import('../../runner/register.js');
      const results = await verify(await configFile(opts), opts.name, opts.delete);
      out(
        opts.json,
        results,
        results
          .map((r) => `${r.valid ? 'valid  ' : 'INVALID'} ${r.name} ${r.url ?? ''}${r.detail ? `: ${r.detail}` : ''}`)
          .join('\n'),
      );
      if (results.some((r) => !r.valid)) process.exitCode = 1;
    });

  runner
    .command('unregister')
    .description('unregister runners from GitLab and remove them from the config')
    .option(...configOpt)
    .option('--name <name>', 'the runner to unregister')
    .option('--all', 'every runner of the config')
    .option('--json', 'print as JSON')
    .action(async (opts: Common & { name?: string; all?: boolean }) => {
      const { unregister } = await import('../../runner/register.js');
      const done = await unregister(await configFile(opts), opts.name, opts.all ?? false);
      out(opts.json, done, done.map((r) => `Unregistered ${r.name} (${r.url ?? 'no url'})`).join('\n'));
    });

  runner
    .command('list')
    .description('list the runners of the config (tokens masked)')
    .option(...configOpt)
    .option('--json', 'print as JSON')
    .action(async (opts: Common) => {
      const { runnersIn, permissionWarning } = await import('../../runner/config-file.js');
      const { summary } = await import('../../runner/register.js');
      const file = await configFile(opts);
      const entries = runnersIn(file);
      const warning = permissionWarning(file, entries);
      if (warning) process.stderr.write(`kiln: ${warning}\n`);
      const list = entries.map(summary);
      out(
        opts.json,
        { file, runners: list },
        [
          `config: ${file}`,
          ...list.map((r) => `${r.name}\texecutor=${r.executor}\turl=${r.url ?? ''}\ttoken=${r.token ?? ''}`),
        ].join('\n'),
      );
    });

  runner
    .command('run')
    .description(
      'take jobs from GitLab and run them (SIGQUIT: finish running jobs, take no new ones; SIGTERM/SIGINT: cancel them)',
    )
    .option(...configOpt)
    .option('--name <name>', 'only this runner')
    .option(
      '--work-dir <dir>',
      'where builds and caches live (default: builds_dir / cache_dir or ~/.local/share/kiln/runner)',
    )
    .option(
      '--state-dir <dir>',
      "where the machine's system id (.runner_system_id) is kept (default: next to the config file)",
    )
    .option('--max-jobs <n>', 'exit after this many jobs (for tests and one-shot machines)')
    .option('--json', 'print one JSON line per finished job')
    .action(async (opts: Common & { name?: string; workDir?: string; stateDir?: string; maxJobs?: string }) => {
      const { runRunners } = await import('../../runner/loop.js');
      const { UsageError } = await import('../../errors.js');
      const maxJobs = opts.maxJobs === undefined ? undefined : Number(opts.maxJobs);
      if (maxJobs !== undefined && (!Number.isInteger(maxJobs) || maxJobs < 1))
        throw new UsageError('--max-jobs must be a positive whole number');
      const code = await runRunners({
        configFile: await configFile(opts),
        name: opts.name,
        workDir: opts.workDir,
        stateDir: opts.stateDir,
        maxJobs,
        json: opts.json ?? false,
      });
      process.exitCode = code;
    });
}
