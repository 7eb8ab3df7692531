// get_sources as GitLab Runner's shells/abstract.go writes it: GIT_STRATEGY clone (fresh directory) or fetch
// (reuse the previous checkout), `none`/`empty` (no git at all; empty also clears the directory); then `git init`,
// origin set to the repository URL with the job token (gitlab-ci-token, sent by GitLab in git_info.repo_url),
// `git fetch` of git_info.refspecs with --depth GIT_DEPTH (git_info.depth when the variable is unset; 0 = full),
// `git checkout -f -q SHA`, `git clean -ffdx` (GIT_CLEAN_FLAGS), and submodules per GIT_SUBMODULE_STRATEGY
// (none / normal / recursive). Git runs on the host for both executors: the workspace is bind-mounted into the
// Docker job container. The token is in the output only as [MASKED] (the caller masks it).
import { spawn } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import type { JobPayload } from './api-types.js';
import { payloadVar } from './payload.js';
import { RunnerError } from './errors.js';

export interface SourcesOptions {
  payload: JobPayload;
  dir: string;
  /** config.toml clone_url: replaces scheme://host of the repository URL. */
  cloneUrl?: string;
  env: Record<string, string>;
  out: (line: string) => void;
  signal?: AbortSignal;
}

function git(args: string[], o: SourcesOptions, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      signal: o.signal,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_LFS_SKIP_SMUDGE: o.env.GIT_LFS_SKIP_SMUDGE ?? '',
        LC_ALL: 'C',
      },
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.on('error', (e) => reject(new RunnerError(`git ${args[0]}: ${e.message}`)));
    child.on('close', (code) => {
      if (output.trim()) o.out(output.replace(/\n$/, ''));
      if (code === 0) resolve();
      else reject(new RunnerError(`git ${args[0]} failed with exit code ${code}`));
    });
  });
}

export function repositoryUrl(p: JobPayload, cloneUrl?: string): string {
  const url = new URL(p.git_info.repo_url);
  if (cloneUrl) {
    // config.toml clone_url: GitLab Runner keeps the path and credentials, replacing the rest.
    const base = new URL(cloneUrl);
    url.protocol = base.protocol;
    url.host = base.host;
  }
  return url.toString();
}

export async function getSources(o: SourcesOptions): Promise<void> {
  const p = o.payload;
  const strategy = (o.env.GIT_STRATEGY || (p.allow_git_fetch ? 'fetch' : 'clone')).toLowerCase();
  if (!['clone', 'fetch', 'none', 'empty'].includes(strategy))
    throw new RunnerError(`unknown GIT_STRATEGY "${strategy}"`);
  if (strategy === 'none' || strategy === 'empty') {
    await mkdir(o.dir, { recursive: true });
    if (strategy === 'empty') await emptyDir(o.dir);
    o.out(`Skipping Git repository setup (GIT_STRATEGY=${strategy})`);
    return;
  }
  await mkdir(o.dir, { recursive: true });
  if (strategy === 'clone') await emptyDir(o.dir);
  const fresh = (await readdir(o.dir)).length === 0;
  o.out(fresh ? `Initialized empty Git repository in ${o.dir}` : `Reinitialized existing Git repository in ${o.dir}`);
  o.out(`${fresh ? 'Fetching' : 'Fetching changes'} with git depth set to ${depth(p, o.env) || 'full'}...`);
  await git(['init', '-q'], o, o.dir);
  const url = repositoryUrl(p, o.cloneUrl);
  await git(['remote', 'remove', 'origin'], { ...o, out: () => undefined }, o.dir).catch(() => undefined);
  await git(['remote', 'add', 'origin', url], o, o.dir);
  const refspecs = p.git_info.refspecs?.length ? p.git_info.refspecs : defaultRefspecs(p);
  const d = depth(p, o.env);
  await git(
    ['-c', 'http.extraHeader=', 'fetch', '-q', 'origin', '--prune', ...(d > 0 ? [`--depth=${d}`] : []), ...refspecs],
    o,
    o.dir,
  );
  o.out(
    `Checking out ${p.git_info.sha.slice(0, 8)} as ${p.git_info.ref_type === 'tag' ? 'tag' : 'detached HEAD'} (ref is ${p.git_info.ref})...`,
  );
  await git(['checkout', '-f', '-q', p.git_info.sha], o, o.dir);
  const cleanFlags = (o.env.GIT_CLEAN_FLAGS ?? '-ffdx').trim();
  if (cleanFlags && cleanFlags !== 'none') await git(['clean', ...cleanFlags.split(/\s+/)], o, o.dir);
  const sub = (o.env.GIT_SUBMODULE_STRATEGY ?? 'none').toLowerCase();
  if (sub === 'normal' || sub === 'recursive') {
    o.out(`Updating/initializing submodules${sub === 'recursive' ? ' recursively' : ''}...`);
    await git(['submodule', 'sync', ...(sub === 'recursive' ? ['--recursive'] : [])], o, o.dir);
    const subDepth = Number(o.env.GIT_SUBMODULE_DEPTH ?? d);
    await git(
      [
        'submodule',
        'update',
        '--init',
        ...(sub === 'recursive' ? ['--recursive'] : []),
        ...(subDepth > 0 ? [`--depth=${subDepth}`] : []),
      ],
      o,
      o.dir,
    );
  } else if (sub !== 'none') {
    throw new RunnerError(`unknown GIT_SUBMODULE_STRATEGY "${sub}"`);
  }
}

/** Empties the directory but keeps it (a Docker job container may have it bind-mounted already). */
async function emptyDir(dir: string): Promise<void> {
  for (const name of await readdir(dir)) await rm(`${dir}/${name}`, { recursive: true, force: true });
}

function depth(p: JobPayload, env: Record<string, string>): number {
  const v = env.GIT_DEPTH ?? payloadVar(p, 'GIT_DEPTH');
  const n = v !== undefined && v !== '' ? Number(v) : (p.git_info.depth ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** Refspecs GitLab sent before the refspecs feature existed: the branch or the tag. */
function defaultRefspecs(p: JobPayload): string[] {
  const g = p.git_info;
  return g.ref_type === 'tag'
    ? [`+refs/tags/${g.ref}:refs/tags/${g.ref}`]
    : [`+refs/heads/${g.ref}:refs/remotes/origin/${g.ref}`];
}
