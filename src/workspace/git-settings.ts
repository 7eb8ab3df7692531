// How a job's sources are laid out, from the job's variables, as GitLab Runner reads them (GitLab docs, "Git
// strategy", "Git submodule strategy", "Shallow cloning", "Git checkout", "Git clean flags" under CI/CD variables
// that configure runner behavior). Pure: the caller applies the result.
//
// kiln's job workspaces are always fresh copies of one snapshot, so some settings change nothing locally
// (`fetch` behaves as `clone`, GIT_CLEAN_FLAGS has nothing to clean); those that kiln cannot honour the way
// GitLab does (`--remote` submodule updates) come back as warnings for the job log.

export type GitStrategy = 'clone' | 'fetch' | 'none' | 'empty';
export type SubmoduleStrategy = 'none' | 'normal' | 'recursive';

export interface GitSettings {
  strategy: GitStrategy;
  /** Check the files out (GIT_CHECKOUT, default true). */
  checkout: boolean;
  /** History depth of the project's .git (GIT_DEPTH); undefined = full history. */
  depth?: number;
  submodules: SubmoduleStrategy;
  /** GIT_SUBMODULE_PATHS as pathspecs; empty = every submodule. */
  submodulePaths: SubmodulePathspec[];
  /** History depth of submodules (GIT_SUBMODULE_DEPTH, else GIT_DEPTH). */
  submoduleDepth?: number;
  /** Lines for the job log: settings kiln reads but applies differently from GitLab Runner. */
  warnings: string[];
}

export interface SubmodulePathspec {
  pattern: string;
  exclude: boolean;
}

/** A setting GitLab Runner would refuse: the job fails before its script, with this message. */
export class GitSettingsError extends Error {}

const STRATEGIES: readonly GitStrategy[] = ['clone', 'fetch', 'none', 'empty'];
const SUBMODULE_STRATEGIES: readonly SubmoduleStrategy[] = ['none', 'normal', 'recursive'];

/** `git submodule update` flags that change nothing in a fresh local copy (parallelism, progress, fetch tuning). */
const HARMLESS_UPDATE_FLAGS = new Set([
  '--init',
  '--recursive',
  '--no-fetch',
  '-N',
  '--force',
  '-f',
  '--checkout',
  '--progress',
  '--quiet',
  '-q',
  '--recommend-shallow',
  '--no-recommend-shallow',
  '--single-branch',
  '--no-single-branch',
  '--filter',
]);

function depthOf(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const t = raw.trim();
  if (!/^\d+$/.test(t)) throw new GitSettingsError(`${name}: "${raw}" is not a number of commits`);
  const n = Number(t);
  // GitLab: a depth of 0 turns shallow cloning off.
  return n === 0 ? undefined : n;
}

/** Splits GIT_SUBMODULE_PATHS (space-separated pathspecs, `:(exclude)x` and `:!x` to leave x out). */
export function parseSubmodulePaths(raw: string | undefined): SubmodulePathspec[] {
  if (!raw) return [];
  const out: SubmodulePathspec[] = [];
  for (const word of raw.trim().split(/\s+/).filter(Boolean)) {
    const m = /^:(?:\(exclude\)|!|\^)(.*)$/.exec(word);
    const pattern = (m ? m[1] : word).replace(/^\.\//, '').replace(/\/+$/, '');
    if (pattern) out.push({ pattern, exclude: m !== null });
  }
  return out;
}

export function readGitSettings(vars: Record<string, string | undefined>): GitSettings {
  const warnings: string[] = [];
  const rawStrategy = (vars.GIT_STRATEGY ?? '').trim() || 'fetch';
  if (!STRATEGIES.includes(rawStrategy as GitStrategy)) {
    throw new GitSettingsError(`unknown GIT_STRATEGY "${rawStrategy}" (clone, fetch, none or empty)`);
  }
  const rawSub = (vars.GIT_SUBMODULE_STRATEGY ?? '').trim() || 'none';
  if (!SUBMODULE_STRATEGIES.includes(rawSub as SubmoduleStrategy)) {
    throw new GitSettingsError(`unknown GIT_SUBMODULE_STRATEGY "${rawSub}" (none, normal or recursive)`);
  }
  const checkout = (vars.GIT_CHECKOUT ?? 'true').trim().toLowerCase() !== 'false';
  const depth = depthOf('GIT_DEPTH', vars.GIT_DEPTH);
  const subDepthRaw = depthOf('GIT_SUBMODULE_DEPTH', vars.GIT_SUBMODULE_DEPTH);
  let submoduleDepth = vars.GIT_SUBMODULE_DEPTH?.trim() ? subDepthRaw : depth;

  const flags = (vars.GIT_SUBMODULE_UPDATE_FLAGS ?? '').trim().split(/\s+/).filter(Boolean);
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i];
    const [name, inline] = f.split('=', 2);
    if (name === '--depth') {
      const value = inline ?? flags[++i];
      submoduleDepth = depthOf('GIT_SUBMODULE_UPDATE_FLAGS --depth', value);
    } else if (name === '--jobs' || name === '-j' || name === '--reference' || name === '--filter') {
      if (inline === undefined && !/^-j\d+$/.test(f)) i++;
    } else if (/^-j\d+$/.test(name) || HARMLESS_UPDATE_FLAGS.has(name)) {
      // no effect on a local copy
    } else if (name === '--remote' || name === '--merge' || name === '--rebase') {
      warnings.push(
        `GIT_SUBMODULE_UPDATE_FLAGS ${name}: kiln checks submodules out at the commit the project records (or the checkout on disk); it does not fetch their remote branches`,
      );
    } else {
      warnings.push(`GIT_SUBMODULE_UPDATE_FLAGS ${f}: not a flag kiln applies; ignored`);
    }
  }

  // `fetch` needs no handling of its own: every job starts from a fresh copy, which is what `clone` gives.
  const strategy = rawStrategy as GitStrategy;
  if ((vars.GIT_LFS_SKIP_SMUDGE ?? '').trim() === '1') {
    warnings.push(
      'GIT_LFS_SKIP_SMUDGE=1: kiln copies files as they are in the checkout; Git LFS files stay as checked out',
    );
  }
  return {
    strategy,
    checkout,
    depth,
    submodules: rawSub as SubmoduleStrategy,
    submodulePaths: parseSubmodulePaths(vars.GIT_SUBMODULE_PATHS),
    submoduleDepth,
    warnings,
  };
}

/** Whether a top-level submodule path is selected by GIT_SUBMODULE_PATHS (git pathspec rules: prefix or glob). */
export function submoduleSelected(path: string, specs: SubmodulePathspec[]): boolean {
  const includes = specs.filter((s) => !s.exclude);
  const matches = (s: SubmodulePathspec) => pathspecMatches(s.pattern, path);
  if (includes.length && !includes.some(matches)) return false;
  return !specs.some((s) => s.exclude && matches(s));
}

function pathspecMatches(pattern: string, path: string): boolean {
  if (pattern === path || path.startsWith(`${pattern}/`)) return true;
  if (!/[*?[]/.test(pattern)) return false;
  // git's default pathspec globbing: fnmatch without FNM_PATHNAME, so `*` also matches `/`.
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}(/.*)?$`).test(path);
}
