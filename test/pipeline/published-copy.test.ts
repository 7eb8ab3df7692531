// The project's copy of the shared corpus (test/corpus/published/) must not drift from its origin: where the
// corpus is kept, KILN_SHARED_CORPUS names it and every file there must be in the copy, byte for byte. Without it
// (a user's clone) the test says so and is skipped; it never looks outside the checkout by itself.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { PUBLISHED_DIR } from './corpus-helpers.js';

const SHARED = process.env.KILN_SHARED_CORPUS ?? '';

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

for (const part of ['real-world', 'real-world-2', 'gitlab-templates']) {
  const origin = join(SHARED, part);
  test(
    `test/corpus/published/${part} equals the shared corpus`,
    { skip: existsSync(origin) ? false : `no ${origin}` },
    () => {
      const want = files(origin);
      const have = files(join(PUBLISHED_DIR, part));
      assert.deepEqual(have, want, 'same file list');
      for (const f of want) {
        assert.ok(
          readFileSync(join(origin, f)).equals(readFileSync(join(PUBLISHED_DIR, part, f))),
          `${part}/${f} differs`,
        );
      }
    },
  );
}
