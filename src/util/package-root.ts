// Locates kiln's own installation directory (the one holding its package.json and data/), whether kiln runs from
// the TypeScript sources, the tsc output or the bundled build.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** kiln's npm package name (scoped: the unscoped name belongs to an unrelated package). */
export const PACKAGE_NAME = '@kiln-ci/kiln';

let root: string | undefined;

export function kilnRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return (root = dir);
      } catch {
        /* not ours; keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot locate the kiln installation directory (package.json)');
    dir = up;
  }
}

/** A file under kiln's data/ directory. */
export function kilnDataFile(name: string): string {
  return join(kilnRoot(), 'data', name);
}
