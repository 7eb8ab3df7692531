// FileContext for rules:changes / rules:exists / only:changes, as GitLab computes changes (CI/CD YAML reference,
// rules:changes): a push pipeline diffs the push, CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA (kiln's before-SHA is the
// branch's upstream, or --before-sha); a push without a before-SHA (all zeros: a new branch) makes every `changes`
// check true, and so do tags, schedules, web/api/trigger pipelines. Merge request pipelines compare against the
// merge base with the target branch; compare_to compares against its ref.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KilnError } from '../../errors.js';
import type { PipelineContext } from '../model.js';
import type { FileContext } from '../rules/types.js';
import { git, gitEnv } from './git.js';
import { globMatcher } from './glob.js';

/** Sources with a push event whose changes GitLab computes from a diff. */
const DIFF_SOURCES = new Set(['push', 'merge_request_event', 'external_pull_request_event']);
const MAX_WALK = 200_000;

export class GitRefError extends KilnError {
  constructor(message: string) {
    super(message, 'E_GIT_REF', 1);
  }
}

export async function buildFileContext(projectDir: string, ctx: PipelineContext): Promise<FileContext> {
  const dir = resolve(projectDir);
  const sha = ctx.predefined.CI_COMMIT_SHA;
  const hasCommit = !!sha && !/^0+$/.test(sha);
  const diffable = !ctx.isTag && DIFF_SOURCES.has(ctx.source) && hasCommit;

  let changedFiles: string[] | 'all' = 'all';
  const before = ctx.predefined.CI_COMMIT_BEFORE_SHA;
  if (diffable && ctx.source === 'push' && before && !/^0+$/.test(before)) {
    // An unknown before-SHA (history rewritten, objects gone) leaves every check true, as for a new branch.
    const out = await git(dir, ['diff', '--name-only', '-z', before, sha, '--']);
    if (out !== undefined) changedFiles = splitZ(out);
  } else if (diffable && ctx.source !== 'push') {
    const target = ctx.predefined.CI_MERGE_REQUEST_TARGET_BRANCH_NAME ?? ctx.predefined.CI_DEFAULT_BRANCH;
    // The target branch locally, else its remote-tracking branch; unknown → every changes check is true.
    for (const base of target ? [target, `origin/${target}`] : []) {
      const out = await git(dir, ['diff', '--name-only', '-z', `${base}...${sha}`, '--']);
      if (out !== undefined) {
        changedFiles = splitZ(out);
        break;
      }
    }
  }

  let files: string[] | undefined;
  const listFiles = (): string[] => {
    if (files) return files;
    try {
      const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
        cwd: dir,
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        env: gitEnv(),
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      files = splitZ(out);
    } catch {
      files = walk(dir);
    }
    return files;
  };

  const diffCache = new Map<string, string[] | 'all'>();
  return {
    projectDir: dir,
    changedFiles,
    exists(glob: string): boolean {
      const pattern = glob.replace(/^\.\//, '');
      if (!/[*?[{]/.test(pattern)) {
        try {
          return statSync(join(dir, pattern)).isFile();
        } catch {
          return false;
        }
      }
      const m = globMatcher(pattern);
      return listFiles().some((f) => m(f));
    },
    changedSince(ref: string): string[] | 'all' {
      if (!diffable) return 'all';
      const hit = diffCache.get(ref);
      if (hit) return hit;
      let result: string[];
      try {
        const out = execFileSync('git', ['diff', '--name-only', '-z', ref, sha, '--'], {
          cwd: dir,
          encoding: 'utf8',
          maxBuffer: 256 * 1024 * 1024,
          env: gitEnv(),
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        result = splitZ(out);
      } catch {
        throw new GitRefError(`compare_to: "${ref}" is not a valid ref in ${dir}`);
      }
      diffCache.set(ref, result);
      return result;
    },
  };
}

function splitZ(out: string): string[] {
  return out.split('\0').filter(Boolean);
}

function walk(root: string): string[] {
  const out: string[] = [];
  const stack = [''];
  while (stack.length && out.length < MAX_WALK) {
    const rel = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.name === '.git' || e.name === '.kiln') continue;
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) stack.push(p);
      else out.push(p);
    }
  }
  return out;
}
