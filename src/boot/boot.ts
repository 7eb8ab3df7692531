// Starts the bundled CLI (dist/kiln.cjs) through vm.Script with a V8 code cache, so a `kiln` call skips compiling
// the bundle and the functions the last cached run used. Where the cache comes from, first hit wins:
//   1. dist/cache/ — made by `npm run build` (scripts/code-cache.mjs) with the node that built kiln;
//   2. the user cache directory ($KILN_CODE_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else ~/.cache/kiln) — made at run
//      time, after the command finished, whenever no cache was found or V8 rejected the one found (another node
//      binary, other V8 flags).
// Every cache problem degrades to a normal compile; KILN_NO_CODE_CACHE=1 turns the cache off, KILN_DEBUG_BOOT=1
// reports on stderr what happened. V8 flags for the command (v8-flags.ts) are set once the bundle's top level has
// run and put back before a cache is made: V8 checks its flags against cached data, its own and Node.js's (the
// built-in modules the bundle loads at its top level would otherwise compile from source), so both the bundle and
// those modules are compiled under the default flags.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { readCacheFile, writeCacheFile } from './cache-file.js';
import { bundleFor } from './bundle.js';
import { bundleBuildId, cacheFileName, currentRuntime } from './cache-key.js';
import { v8FlagsFor } from './v8-flags.js';

type Main = (argv: string[]) => Promise<void>;

export type CacheState = 'off' | 'missing' | 'accepted' | 'rejected';

export interface BootReport {
  state: CacheState;
  /** V8 flags set for this command. */
  flags?: string;
  /** The cache file read (accepted or rejected). */
  read?: string;
  /** The cache file written after the run. */
  wrote?: string;
  /** The bundle that ran (bundle.ts). */
  bundle: string;
}

/** Runs the CLI of the kiln installation at `root` with `argv` (process.argv layout). */
export async function boot(root: string, argv: string[]): Promise<void> {
  const report = await runBundle(root, argv, process.env);
  if (process.env.KILN_DEBUG_BOOT) {
    process.stderr.write(
      `kiln boot: code cache ${report.state}${report.read ? ` (${report.read})` : ''}` +
        `${report.wrote ? `; wrote ${report.wrote}` : ''}${report.flags ? `; v8 flags ${report.flags}` : ''}` +
        `; bundle ${report.bundle}\n`,
    );
  }
}

export async function runBundle(root: string, argv: string[], env: NodeJS.ProcessEnv): Promise<BootReport> {
  const bundle = bundleFor(join(root, 'dist'), argv, env);
  const file = join(root, 'dist', bundle);
  // The build makes the bundles ASCII-only (scripts/build.mjs): latin1 gives the same text without UTF-8 decoding,
  // as a one-byte string (half the memory of the two-byte string one non-ASCII character would force).
  const source = readFileSync(file, 'latin1');
  const buildId = env.KILN_NO_CODE_CACHE ? undefined : bundleBuildId(source);
  const name = buildId ? cacheFileName(buildId, currentRuntime()) : undefined;
  const dirs = cacheDirs(root, env);
  let read: string | undefined;
  let cachedData: Buffer | undefined;
  for (const dir of name ? dirs.read : []) {
    cachedData = readCacheFile(join(dir, name!));
    if (cachedData) {
      read = join(dir, name!);
      break;
    }
  }

  const script = new Script(wrap(source), { filename: file, cachedData });
  const state: CacheState = !name
    ? 'off'
    : !cachedData
      ? 'missing'
      : script.cachedDataRejected
        ? 'rejected'
        : 'accepted';
  const mod = { exports: {} as { main?: Main } };
  const fn = script.runInThisContext() as (...a: unknown[]) => void;
  fn.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  const flags = v8FlagsFor(argv, [...process.execArgv, env.NODE_OPTIONS ?? ''].join(' '));
  if (flags) setFlagsFromString(flags.set);
  await mod.exports.main!(argv);
  if (flags) setFlagsFromString(flags.reset);

  let wrote: string | undefined;
  if (name && dirs.write && (state === 'missing' || state === 'rejected')) {
    // After the run, so the cache holds the functions this command compiled, not only the top level.
    const target = join(dirs.write, name);
    if (writeCacheFile(target, script.createCachedData())) wrote = target;
  }
  return { state, flags: flags?.set, read, wrote, bundle };
}

/** Where caches are looked for, in order, and where a new one is written (none when no user directory is known). */
export function cacheDirs(root: string, env: NodeJS.ProcessEnv): { read: string[]; write?: string } {
  const built = join(root, 'dist', 'cache');
  const user = userCacheDir(env);
  if (!user) return { read: [built] };
  return { read: built === user ? [user] : [built, user], write: user };
}

function userCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.KILN_CODE_CACHE_DIR) return env.KILN_CODE_CACHE_DIR;
  if (env.XDG_CACHE_HOME?.startsWith('/')) return join(env.XDG_CACHE_HOME, 'kiln');
  try {
    const home = env.HOME || homedir();
    return home ? join(home, '.cache', 'kiln') : undefined;
  } catch {
    return undefined;
  }
}

/** The CommonJS module wrapper (what Node's own loader puts around a .cjs file). */
function wrap(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;
}
