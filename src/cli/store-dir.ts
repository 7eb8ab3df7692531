// Where a project's store lives: --store, else kiln.toml runner.cache_dir (relative to the project), else
// <project>/.kiln/store.
import { isAbsolute, join, resolve } from 'node:path';

export function storeDirFor(projectDir: string, flag: string | undefined, cacheDir: string | undefined): string {
  if (flag) return resolve(flag);
  if (cacheDir) return isAbsolute(cacheDir) ? cacheDir : join(projectDir, cacheDir);
  return join(projectDir, '.kiln', 'store');
}
