import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, symlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { resolvePaths, PathEscapeError } from '../../../src/run/job/paths.js';

async function tree(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kiln-paths-'));
  for (const f of [
    'build/app',
    'build/obj/a.o',
    'build/obj/b.o',
    'build/obj/deep/c.o',
    'docs/readme.md',
    'top.txt',
    '.hidden/x',
  ]) {
    await mkdir(join(root, f, '..'), { recursive: true });
    await writeFile(join(root, f), f);
  }
  return root;
}

test('literal dirs bring their contents; ** crosses directories; exclude removes matches', async () => {
  const root = await tree();
  const a = await resolvePaths(root, ['build/'], ['build/**/*.o']);
  assert.deepEqual(a.paths, ['build', 'build/app', 'build/obj', 'build/obj/deep']);
  const b = await resolvePaths(root, ['build/**/*.o']);
  assert.deepEqual(b.paths, ['build/obj/a.o', 'build/obj/b.o', 'build/obj/deep/c.o']);
  const c = await resolvePaths(root, ['*.txt', './docs', '.hidden/*']);
  assert.deepEqual(c.paths, ['.hidden/x', 'docs', 'docs/readme.md', 'top.txt']);
});

test('patterns that match nothing are reported (GitLab warns)', async () => {
  const root = await tree();
  const r = await resolvePaths(root, ['missing/', 'build/app', '*.zip']);
  assert.deepEqual(r.paths, ['build/app']);
  assert.deepEqual(r.unmatched, ['missing/', '*.zip']);
});

test('paths escaping the project dir are refused', async () => {
  const root = await tree();
  await assert.rejects(
    resolvePaths(root, ['../etc']),
    (e: Error) => e instanceof PathEscapeError && /outside the project directory/.test(e.message),
  );
  await assert.rejects(resolvePaths(root, ['/etc/passwd']), /absolute path/);
  await assert.rejects(resolvePaths(root, ['build/../../x']), PathEscapeError);
  await symlink('/etc', join(root, 'build', 'etc-link'));
  await assert.rejects(
    resolvePaths(root, ['build/']),
    (e: Error) => e instanceof PathEscapeError && /symlink to \/etc/.test(e.message),
  );
  await symlink('obj/a.o', join(root, 'build', 'ok-link'));
  const r = await resolvePaths(root, ['build/ok-link']);
  assert.deepEqual(r.paths, ['build/ok-link']);
});

test('a path THROUGH a symlinked directory that leads outside is refused, naming the path (issue 15 item 3)', async () => {
  const root = await tree();
  const outside = await mkdtemp(join(tmpdir(), 'kiln-host-'));
  await writeFile(join(outside, 'secret.env'), 'TOKEN=host');
  await symlink('/etc', join(root, 'out'));
  await mkdir(join(root, 'a', 'b'), { recursive: true });
  await symlink(relative(join(root, 'a', 'b'), outside), join(root, 'a', 'b', 'up'));
  await symlink(outside, join(root, 'e2'));
  const through = (e: Error, path: string) =>
    e instanceof PathEscapeError && e.message.includes(`"${path}"`) && /goes through a symlink/.test(e.message);
  await assert.rejects(resolvePaths(root, ['out/passwd']), (e: Error) => through(e, 'out/passwd'));
  await assert.rejects(resolvePaths(root, ['a/b/up/secret.env']), (e: Error) => through(e, 'a/b/up/secret.env'));
  await assert.rejects(resolvePaths(root, ['e2/*']), (e: Error) => through(e, 'e2/secret.env'));
  await assert.rejects(resolvePaths(root, ['e2/']), (e: Error) => e instanceof PathEscapeError);
  // A symlinked directory that stays inside is fine, and `**` never descends into symlinked directories.
  await symlink('build', join(root, 'inside'));
  assert.deepEqual((await resolvePaths(root, ['inside/app'])).paths, ['inside/app']);
  assert.ok(!(await resolvePaths(root, ['**/secret.env'])).paths.length);
});

test('device files and fifos are refused, naming the path (issue 15 item 9a)', async () => {
  const root = await tree();
  execFileSync('mkfifo', [join(root, 'build', 'pipe')]);
  await assert.rejects(
    resolvePaths(root, ['build/']),
    (e: Error) => e instanceof PathEscapeError && /"build\/pipe" is a device file, fifo or socket/.test(e.message),
  );
  await assert.rejects(resolvePaths(root, ['build/pipe']), PathEscapeError);
});
