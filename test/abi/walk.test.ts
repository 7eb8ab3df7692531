// Directory walking for `kiln abi check`: symlink loops end, each inode is visited once, special files and
// broken links are reported or ignored instead of blocking or crashing.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { walkPaths } from '../../src/abi/walk.js';
import { checkPaths } from '../../src/abi/check.js';
import { builtinDb, resolveTargets } from '../../src/abi/targets.js';
import { tempDir } from './helpers/toolchain.js';

const root = tempDir('kiln-abi-walk-');
after(() => rmSync(root, { recursive: true, force: true }));

test('symlink loops, self links, dangling links, duplicates and FIFOs', () => {
  mkdirSync(join(root, 'a/b/c'), { recursive: true });
  writeFileSync(join(root, 'a/b/c/file'), 'x');
  symlinkSync('../..', join(root, 'a/b/c/up')); // loop back to a/
  symlinkSync('self', join(root, 'a/self')); // ELOOP
  symlinkSync('missing', join(root, 'a/dangling'));
  symlinkSync('b/c/file', join(root, 'a/alias')); // same inode as a/b/c/file
  spawnSync('mkfifo', [join(root, 'a/fifo')]);
  const r = walkPaths([join(root, 'a'), join(root, 'a/b')]);
  assert.deepEqual(
    r.files.map((f) => f.slice(root.length + 1)),
    ['a/alias'],
  );
  assert.ok(r.names.has('file') && r.names.has('alias'), 'both names of the file are known (bundled-library matching)');
  const errs = Object.fromEntries(r.errors.map((e) => [e.path.slice(root.length + 1), e.message]));
  assert.deepEqual(errs, { 'a/dangling': 'no such file (or dangling symlink)', 'a/self': 'symlink loop' });
});

test('checkPaths skips non-ELF files and reports errors; ok only when nothing failed', () => {
  const dir = join(root, 'plain');
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  writeFileSync(
    join(dir, 'broken.so'),
    Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(20)]),
  );
  const db = builtinDb();
  const r = checkPaths([dir], resolveTargets(db, ['debian-12']), db);
  assert.deepEqual(
    r.skipped.map((s) => s.reason),
    ['not ELF'],
  );
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0].path, /broken\.so$/);
  assert.match(r.errors[0].message, /ELF header/);
  assert.equal(r.ok, false);
  rmSync(join(dir, 'broken.so'));
  assert.equal(checkPaths([dir], resolveTargets(db, ['debian-12']), db).ok, true);
});

test('symlinks leading out of the named trees (to /proc, or up past the root) are not followed', () => {
  const tree = join(root, 'out-tree');
  mkdirSync(join(tree, 'bin'), { recursive: true });
  mkdirSync(join(root, 'outside'), { recursive: true });
  writeFileSync(join(root, 'outside', 'secret'), 'x');
  writeFileSync(join(tree, 'bin', 'tool'), 'x');
  symlinkSync('/proc', join(tree, 'proc'));
  symlinkSync('../outside', join(tree, 'up'));
  symlinkSync('bin', join(tree, 'bin2')); // inside: followed (same inode as bin/, visited once)
  const r = walkPaths([tree]);
  assert.deepEqual(
    r.files.map((f) => f.slice(tree.length + 1)),
    ['bin/tool'],
  );
  assert.deepEqual(r.skipped.map((s) => s.path.slice(tree.length + 1)).sort(), ['proc', 'up']);
  assert.match(
    r.skipped.find((s) => s.path.endsWith('proc'))!.reason,
    /symlink to \/proc, outside the named paths: not followed/,
  );
  assert.deepEqual(r.errors, []);
  // Naming the outside tree as well makes it part of the check.
  const both = walkPaths([tree, join(root, 'outside')]);
  assert.deepEqual(both.files.map((f) => f.slice(root.length + 1)).sort(), ['out-tree/bin/tool', 'out-tree/up/secret']);
});
