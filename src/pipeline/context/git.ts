// Facts about the project's git checkout, read with `git` (no shell parses any argument: see git-batch.ts). Every
// probe tolerates a missing git binary or a directory that is not a repository: the field is then left undefined.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gitBatch } from '../../util/git-batch.js';

export interface GitFacts {
  /** True when projectDir is inside a git work tree. */
  isRepo: boolean;
  headSha?: string;
  /** Current branch (undefined when detached). */
  branch?: string;
  /** A tag pointing at HEAD, if any. */
  headTag?: string;
  message?: string;
  authorName?: string;
  authorEmail?: string;
  commitTimestamp?: string;
  originUrl?: string;
  /** Branch origin/HEAD points to. */
  originHead?: string;
  userName?: string;
  userEmail?: string;
  /** The commit the branch's upstream (remote-tracking branch) points to: what a push would start from. */
  upstreamSha?: string;
  /** The first parent of the ref's commit. */
  parentSha?: string;
}

export function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: gitEnv() }, (err, stdout) => {
      resolve(err ? undefined : stdout);
    });
  });
}

export function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' };
  delete env.GIT_DIR;
  delete env.GIT_WORK_TREE;
  delete env.GIT_INDEX_FILE;
  return env;
}

/**
 * Whether dir is inside a git work tree, judged by a `.git` entry in it or a parent, without spawning git: outside
 * a repository every git probe would fail anyway, and `kiln jobs` should not pay for three failing processes.
 */
export function insideGitWorkTree(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return true;
    if (dirname(d) === d) return false;
  }
}

const SEP = '\x1f';
const LOG_FORMAT = `--format=%H${SEP}%an${SEP}%ae${SEP}%cI${SEP}%D${SEP}%B`;

export interface RefInfo {
  sha?: string;
  kind?: 'tag' | 'branch';
}

/**
 * Reads what the pipeline context needs with one child process (see git-batch.ts): HEAD's commit, the config
 * values, origin/HEAD (unless the caller knows the default branch), the unborn branch of a repository without
 * commits, and `ref` (a branch or tag name) when given.
 */
export async function readGitFacts(
  projectDir: string,
  opts: { wantOriginHead?: boolean; ref?: string; wantUpstream?: boolean } = {},
): Promise<{ facts: GitFacts; refInfo?: RefInfo }> {
  const commands = [
    ['-c', 'log.showSignature=false', 'log', '-1', '--no-color', '--decorate=full', LOG_FORMAT, 'HEAD', '--'],
    ['config', '--get-regexp', '^(remote\\.origin\\.url|user\\.name|user\\.email)$'],
    // Only used when HEAD has no commit; cheaper to ask now than to start another process later.
    ['symbolic-ref', '--quiet', '--short', 'HEAD'],
  ];
  const wantOriginHead = opts.wantOriginHead !== false;
  if (wantOriginHead) commands.push(['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD']);
  if (opts.ref !== undefined) commands.push(refQuery(opts.ref));
  const upstreamAt = opts.wantUpstream
    ? commands.push(['rev-parse', '--verify', '-q', `${opts.ref ?? ''}@{upstream}^{commit}`]) - 1
    : -1;
  const parentAt = opts.wantUpstream
    ? commands.push(['rev-parse', '--verify', '-q', `${opts.ref ?? 'HEAD'}~1^{commit}`]) - 1
    : -1;
  const out = await gitBatch(projectDir, commands, gitEnv());
  const [head, config, unborn] = out;
  const originHead = wantOriginHead ? out[3] : undefined;
  const refOut = opts.ref !== undefined ? out[wantOriginHead ? 4 : 3] : undefined;

  const facts: GitFacts = { isRepo: head !== undefined };
  if (head) {
    const [sha, an, ae, ts, deco, ...msg] = head.split(SEP);
    facts.headSha = sha.trim();
    facts.authorName = an;
    facts.authorEmail = ae;
    facts.commitTimestamp = ts;
    facts.message = msg.join(SEP).replace(/\n+$/, '');
    for (const item of deco.split(', ').map((d) => d.trim())) {
      if (item.startsWith('HEAD -> refs/heads/')) facts.branch = item.slice('HEAD -> refs/heads/'.length);
      else if (item.startsWith('tag: refs/tags/') && !facts.headTag)
        facts.headTag = item.slice('tag: refs/tags/'.length);
    }
  } else if (unborn?.trim()) {
    // No commit yet: the branch name is still known.
    facts.isRepo = true;
    facts.branch = unborn.trim();
  }
  if (config) {
    for (const line of config.split('\n')) {
      const sp = line.indexOf(' ');
      if (sp < 0) continue;
      const key = line.slice(0, sp).toLowerCase();
      const val = line.slice(sp + 1);
      if (key === 'remote.origin.url') facts.originUrl = val;
      else if (key === 'user.name') facts.userName = val;
      else if (key === 'user.email') facts.userEmail = val;
    }
  }
  const upstream = upstreamAt >= 0 ? out[upstreamAt]?.trim() : undefined;
  if (upstream && /^[0-9a-f]{40,64}$/.test(upstream)) facts.upstreamSha = upstream;
  const parent = parentAt >= 0 ? out[parentAt]?.trim() : undefined;
  if (parent && /^[0-9a-f]{40,64}$/.test(parent)) facts.parentSha = parent;
  if (originHead?.trim()) facts.originHead = originHead.trim().replace(/^refs\/remotes\/origin\//, '');
  return { facts, refInfo: opts.ref !== undefined ? parseRefQuery(opts.ref, refOut) : undefined };
}

/** `for-each-ref` for a branch or tag name: its commit and kind (a branch wins over a tag of the same name). */
function refQuery(ref: string): string[] {
  return [
    'for-each-ref',
    `--format=%(refname)${SEP}%(objectname)${SEP}%(*objectname)`,
    `refs/heads/${ref}`,
    `refs/tags/${ref}`,
  ];
}

function parseRefQuery(ref: string, out: string | undefined): RefInfo {
  let branchSha: string | undefined;
  let tagSha: string | undefined;
  for (const line of (out ?? '').split('\n')) {
    const [name, obj, peeled] = line.split(SEP);
    if (name === `refs/heads/${ref}`) branchSha = obj;
    else if (name === `refs/tags/${ref}`) tagSha = peeled || obj;
  }
  return { sha: branchSha ?? tagSha, kind: branchSha ? 'branch' : tagSha ? 'tag' : undefined };
}

export async function commitMessage(projectDir: string, sha: string): Promise<string | undefined> {
  const out = await git(projectDir, ['-c', 'log.showSignature=false', 'log', '-1', '--format=%B', sha, '--']);
  return out?.replace(/\n+$/, '');
}
