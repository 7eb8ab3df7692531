// A kiln installation in a temp dir, built with scripts/build.mjs: for tests of the built CLI (dist/) rather than
// the sources the rest of the suite runs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** A kiln installation in a temp dir: copied bin/ and package.json, the checkout's sources and modules linked. */
export function makeCopy(): string {
  const root = mkdtempSync(join(tmpdir(), 'kiln-boot-'));
  mkdirSync(join(root, 'bin'));
  for (const f of readdirSync(join(ROOT, 'bin'))) copyFileSync(join(ROOT, 'bin', f), join(root, 'bin', f));
  copyFileSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  for (const d of ['src', 'node_modules', 'data']) symlinkSync(join(ROOT, d), join(root, d));
  return root;
}

export function build(root: string): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--no-check', '--root', root], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
}
