// Issue 15 items 9a and 9e: modes come back exactly (000 included), set-id bits are never stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Store } from '../../src/store/store.js';
import { restoreTree, saveTree } from '../../src/store/tree.js';

test('modes 000, 0400 and 0500 come back as they were; setuid/setgid bits are dropped', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kiln-modes-'));
  const src = join(root, 'src');
  await mkdir(join(src, 'locked'), { recursive: true });
  await mkdir(join(src, 'ro'));
  await writeFile(join(src, 'ro', 'inside'), 'x');
  await writeFile(join(src, 'none'), 'secret');
  await writeFile(join(src, 'readonly'), 'r');
  await writeFile(join(src, 'suid'), 'binary');
  await writeFile(join(src, 'big'), Buffer.alloc(2 * 1024 * 1024, 1));
  await chmod(join(src, 'none'), 0o000);
  await chmod(join(src, 'readonly'), 0o400);
  await chmod(join(src, 'suid'), 0o6755);
  await chmod(join(src, 'big'), 0o4700);
  await chmod(join(src, 'locked'), 0o000);
  await chmod(join(src, 'ro'), 0o500);
  const store = new Store(join(root, 'store'));
  const files = await saveTree(store, src, ['big', 'locked', 'none', 'readonly', 'ro', 'ro/inside', 'suid']);
  const dest = join(root, 'dest');
  await restoreTree(store, files, dest);
  const mode = async (p: string) => (await stat(join(dest, p))).mode & 0o7777;
  assert.equal(await mode('none'), 0o000);
  assert.equal(await mode('readonly'), 0o400);
  assert.equal(await mode('locked'), 0o000);
  assert.equal(await mode('ro'), 0o500);
  assert.equal(await mode('suid'), 0o755, 'setuid and setgid bits are not carried');
  assert.equal(await mode('big'), 0o700, 'setuid bit of a blob is not carried');
});
