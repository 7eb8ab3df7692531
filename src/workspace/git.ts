// Small git helpers for workspaces (git is run as a child process; kiln never changes the user's repository
// state apart from listing .kiln/ in .git/info/exclude).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { gitBatch } from '../util/git-batch.js';

export interface GitRun {
  stdout: Buffer;
  stderr: string;
  code: number;
}

export function git(cwd: string, args: string[], env?: Record<string, string>): Promise<GitRun> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      { cwd, encoding: 'buffer', maxBuffer: 512 * 1024 * 1024, env: env ? { ...process.env, ...env } : process.env },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 127
          : 0;
        resolve({ stdout: stdout as Buffer, stderr: (stderr as Buffer).toString(), code });
      },
    );
  });
}

export interface RepoInfo {
  /** Top of the work tree. */
  top: string;
  /** Path of the project dir inside the repository ("" at the top, else "sub/dir/"). */
  prefix: string;
  /** The common git dir (holds info/exclude). */
  commonDir: string;
  /** HEAD resolves to a commit. */
  hasHead: boolean;
}

export interface RepoProbe {
  repo: RepoInfo | null;
  /** `git ls-files -co -t --exclude-standard -z` output, when asked for and it ran. */
  listing?: string;
}

/** What the snapshot needs to know about a directory's repository, with one child process (see git-batch.ts). */
export async function probeRepo(dir: string, withListing: boolean): Promise<RepoProbe> {
  const commands = [
    ['rev-parse', '--show-toplevel', '--show-prefix', '--git-common-dir'],
    ['rev-parse', '--verify', '-q', 'HEAD^{commit}'],
    ...(withListing ? [['ls-files', '-co', '-t', '--exclude-standard', '-z']] : []),
  ];
  const [where, head, listing] = await gitBatch(dir, commands, process.env);
  if (where === undefined) return { repo: null };
  const [top, prefix, common] = where.split('\n');
  if (!top) return { repo: null };
  const repo = {
    top,
    prefix: prefix ?? '',
    commonDir: isAbsolute(common) ? common : join(dir, common),
    hasHead: head !== undefined,
  };
  return { repo, listing };
}

/** Adds a line to the repository's info/exclude if it is not there yet. */
export async function ensureExcluded(info: RepoInfo, pattern: string): Promise<void> {
  const file = join(info.commonDir, 'info', 'exclude');
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    /* no exclude file yet */
  }
  if (text.split('\n').some((l) => l.trim() === pattern)) return;
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  await writeFileAtomic(file, `${text}${sep}${pattern}\n`);
}
