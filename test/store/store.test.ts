import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, writeFile, readdir, symlink, stat, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Store } from '../../src/store/store.js';
import { restoreTree, saveTree } from '../../src/store/tree.js';
import { StoreError } from '../../src/store/errors.js';

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'kiln-store-'));
}

test('save and restore a tree: content, modes, symlinks, empty dirs, dedupe by content', async () => {
  const root = await tmp();
  const src = join(root, 'src');
  await mkdir(join(src, 'a/b'), { recursive: true });
  await mkdir(join(src, 'empty'));
  await writeFile(join(src, 'a/b/x.txt'), 'same');
  await writeFile(join(src, 'a/y.txt'), 'same');
  await writeFile(join(src, 'run.sh'), '#!/bin/sh\n');
  await chmod(join(src, 'run.sh'), 0o755);
  await symlink('a/y.txt', join(src, 'link'));
  const store = new Store(join(root, 'store'));
  const files = await saveTree(store, src, ['a', 'a/b', 'a/b/x.txt', 'a/y.txt', 'empty', 'run.sh', 'link']);
  await store.writeEntry({ version: 1, kind: 'cache', key: 'k1', createdAt: 'now', files });
  const packs = (await readdir(join(root, 'store/packs'), { recursive: true })).filter((p) => p.endsWith('.pack'));
  assert.equal(packs.length, 1, 'small files go into one pack');
  assert.equal(
    (await stat(join(root, 'store/packs', packs[0]))).size,
    'same'.length + '#!/bin/sh\n'.length,
    'equal contents stored once',
  );
  const entry = await store.readEntry('cache', 'k1');
  const dest = join(root, 'dest');
  await restoreTree(store, entry!.files, dest);
  assert.equal(await readFile(join(dest, 'a/b/x.txt'), 'utf8'), 'same');
  assert.equal((await stat(join(dest, 'run.sh'))).mode & 0o777, 0o755);
  assert.equal(await readFile(join(dest, 'link'), 'utf8'), 'same');
  assert.ok((await stat(join(dest, 'empty'))).isDirectory());
  // Restored files are private copies: writing one does not change the store.
  await writeFile(join(dest, 'a/y.txt'), 'changed');
  const again = join(root, 'again');
  await restoreTree(store, entry!.files, again);
  assert.equal(await readFile(join(again, 'a/y.txt'), 'utf8'), 'same');
});

test('missing entry is null; corrupt entry and missing blob are StoreErrors', async () => {
  const root = await tmp();
  const store = new Store(root);
  await store.init();
  assert.equal(await store.readEntry('cache', 'nope'), null);
  await mkdir(join(root, 'entries/cache'), { recursive: true });
  await writeFile(store.entryPath('cache', 'bad'), '{"version":1,"files":[');
  await assert.rejects(
    store.readEntry('cache', 'bad'),
    (e: Error) => e instanceof StoreError && /unreadable cache entry "bad"/.test(e.message),
  );
  await assert.rejects(
    restoreTree(store, [{ path: 'f', sha256: 'ab'.repeat(32), size: 1, mode: 0o644 }], join(root, 'out')),
    (e: Error) => e instanceof StoreError && /missing blob/.test(e.message),
  );
  await assert.rejects(
    restoreTree(store, [{ path: '../evil', sha256: 'ab'.repeat(32) }], join(root, 'out')),
    /outside its directory/,
  );
});

test('concurrent writers of one key leave one complete entry', async () => {
  const root = await tmp();
  const store = new Store(join(root, 'store'));
  const writers = Array.from({ length: 8 }, async (_, i) => {
    const dir = join(root, `w${i}`);
    await mkdir(dir, { recursive: true });
    for (let f = 0; f < 20; f++) await writeFile(join(dir, `f${f}`), `writer ${i} file ${f}`);
    const files = await saveTree(
      store,
      dir,
      Array.from({ length: 20 }, (_, f) => `f${f}`),
    );
    await store.writeEntry({ version: 1, kind: 'cache', key: 'shared', createdAt: String(i), files });
  });
  await Promise.all(writers);
  const entry = (await store.readEntry('cache', 'shared'))!;
  const dest = join(root, 'dest');
  await restoreTree(store, entry.files, dest);
  const writer = Number(entry.createdAt);
  for (let f = 0; f < 20; f++) assert.equal(await readFile(join(dest, `f${f}`), 'utf8'), `writer ${writer} file ${f}`);
  assert.deepEqual(await readdir(join(root, 'store/tmp')), [], 'no temp files left');
});

test('temp files of dead writers are swept', async () => {
  const root = await tmp();
  const store = new Store(root);
  await mkdir(join(root, 'tmp'), { recursive: true });
  await writeFile(join(root, 'tmp', '999999999-deadbeef'), 'partial');
  await writeFile(join(root, 'tmp', `${process.pid}-live`), 'mine');
  assert.equal(await store.sweepTemps(), 1);
  assert.deepEqual(await readdir(join(root, 'tmp')), [`${process.pid}-live`]);
});
