// A job directory with mode-000 directories (left by a job, or restored exactly from a cache) is removed even
// by a kiln that is not root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

test('removeTree opens up directories without permissions (non-root)', (t) => {
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv')) {
    t.skip('needs root (to become an unprivileged user) and setpriv');
    return;
  }
  // Under /tmp itself: the unprivileged user must reach it (the test run's TMPDIR is private).
  const base = mkdtempSync('/tmp/kiln-remove-');
  t.after(() => rmSync(base, { recursive: true, force: true }));
  chmodSync(base, 0o777);
  const dir = join(base, 'job');
  mkdirSync(join(dir, 'a', 'locked', 'deeper'), { recursive: true });
  writeFileSync(join(dir, 'a', 'locked', 'deeper', 'f'), 'x');
  for (const p of [
    dir,
    join(dir, 'a'),
    join(dir, 'a', 'locked'),
    join(dir, 'a', 'locked', 'deeper'),
    join(dir, 'a', 'locked', 'deeper', 'f'),
  ])
    chownSync(p, 65534, 65534);
  chmodSync(join(dir, 'a', 'locked', 'deeper'), 0o000);
  chmodSync(join(dir, 'a', 'locked'), 0o000);
  const mod = resolve('src/workspace/remove.ts');
  const r = spawnSync(
    '/usr/bin/setpriv',
    [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      process.execPath,
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const { removeTree } = await import(${JSON.stringify(mod)}); await removeTree(${JSON.stringify(dir)});`,
    ],
    { encoding: 'utf8', cwd: process.cwd(), env: { ...process.env, TMPDIR: base } },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(existsSync(dir), false);
});
