import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, writeFile, readdir, utimes, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Store, type FileRecord } from '../../src/store/store.js';
import { restoreTree, saveTree } from '../../src/store/tree.js';
import { claim, park, POOL_MAX, treeIdOf } from '../../src/store/pool.js';

/** A store with one saved tree: cache/ (two subdirectories) and a loose file. */
async function setup(): Promise<{ root: string; store: Store; files: FileRecord[] }> {
  const root = await mkdtemp(join(tmpdir(), 'kiln-pool-'));
  const src = join(root, 'src');
  const paths = ['cache', 'cache/a', 'cache/a/one', 'cache/b', 'cache/b/two', 'cache/empty', 'loose.txt'];
  await mkdir(join(src, 'cache/a'), { recursive: true });
  await mkdir(join(src, 'cache/b'), { recursive: true });
  await mkdir(join(src, 'cache/empty'), { recursive: true });
  await writeFile(join(src, 'cache/a/one'), 'one');
  await writeFile(join(src, 'cache/b/two'), 'two');
  await writeFile(join(src, 'loose.txt'), 'loose');
  const store = new Store(join(root, 'store'));
  const files = await saveTree(store, src, paths);
  return { root, store, files };
}

async function workspace(root: string, name: string): Promise<string> {
  const ws = join(root, name);
  await mkdir(ws, { recursive: true });
  await writeFile(join(ws, 'source.c'), 'int main;');
  return ws;
}

/** A workspace with the stored tree restored into it, and the identities to park it with. */
async function restored(
  root: string,
  store: Store,
  files: FileRecord[],
  name: string,
): Promise<{ ws: string; identity: Map<string, string> }> {
  const ws = await workspace(root, name);
  const { identity } = await restoreTree(store, files, ws);
  return { ws, identity };
}

const parkedCount = async (store: Store, files: FileRecord[]) =>
  (await readdir(join(store.root, 'pool', treeIdOf(files))).catch(() => [])).length;

test('a parked tree moves into the next workspace with its content and nothing else', async () => {
  const { root, store, files } = await setup();
  const { ws: ws1, identity } = await restored(root, store, files, 'ws1');
  assert.equal(park(store, ws1, files, identity), true);
  assert.equal(existsSync(join(ws1, 'cache')), false, 'the tree left the workspace');
  assert.equal(existsSync(join(ws1, 'loose.txt')), false);
  assert.equal(await readFile(join(ws1, 'source.c'), 'utf8'), 'int main;', 'other files stay');
  const ws2 = await workspace(root, 'ws2');
  const got = claim(store, ws2, files);
  assert.ok(got, 'claimed');
  assert.equal(await readFile(join(ws2, 'cache/a/one'), 'utf8'), 'one');
  assert.equal(await readFile(join(ws2, 'cache/b/two'), 'utf8'), 'two');
  assert.equal(await readFile(join(ws2, 'loose.txt'), 'utf8'), 'loose');
  assert.ok((await stat(join(ws2, 'cache/empty'))).isDirectory());
  assert.equal(got.size, 3, 'identities of the three files');
  assert.equal(await parkedCount(store, files), 0, 'taken out of the pool');
  assert.equal(claim(store, await workspace(root, 'ws3'), files), null, 'nothing left to claim');
});

test('a tree changed by the job is not parked, even with its mtime put back', async () => {
  const { root, store, files } = await setup();
  const { ws, identity } = await restored(root, store, files, 'ws');
  const st = await stat(join(ws, 'cache/a/one'));
  await writeFile(join(ws, 'cache/a/one'), 'ONE');
  await utimes(join(ws, 'cache/a/one'), st.atime, st.mtime);
  assert.equal(park(store, ws, files, identity), false);
  assert.equal(await readFile(join(ws, 'cache/a/one'), 'utf8'), 'ONE', 'left in place for deletion');
  assert.equal(await parkedCount(store, files), 0);
});

test('files the job added inside a cache directory stay behind; the parked tree is exactly the entry', async () => {
  const { root, store, files } = await setup();
  const { ws, identity } = await restored(root, store, files, 'ws');
  await writeFile(join(ws, 'cache/a/extra'), 'made by the job');
  assert.equal(park(store, ws, files, identity), true);
  assert.equal(await readFile(join(ws, 'cache/a/extra'), 'utf8'), 'made by the job');
  const ws2 = await workspace(root, 'ws2');
  assert.ok(claim(store, ws2, files));
  assert.deepEqual((await readdir(join(ws2, 'cache/a'))).sort(), ['one']);
});

test('a parked tree changed behind the store is refused and dropped', async () => {
  const { root, store, files } = await setup();
  const { ws, identity } = await restored(root, store, files, 'ws');
  assert.equal(park(store, ws, files, identity), true);
  const pool = join(store.root, 'pool', treeIdOf(files));
  const [name] = await readdir(pool);
  await writeFile(join(pool, name, 'tree/cache/b/two'), 'tampered');
  const ws2 = await workspace(root, 'ws2');
  assert.equal(claim(store, ws2, files), null);
  assert.equal(existsSync(join(ws2, 'cache/b/two')), false, 'nothing moved in');
  assert.equal(await parkedCount(store, files), 0);
});

test('claiming merges into directories the workspace already has', async () => {
  const { root, store, files } = await setup();
  const { ws, identity } = await restored(root, store, files, 'ws');
  assert.equal(park(store, ws, files, identity), true);
  const ws2 = await workspace(root, 'ws2');
  await mkdir(join(ws2, 'cache/a'), { recursive: true });
  await writeFile(join(ws2, 'cache/a/tracked.txt'), 'from the sources');
  await writeFile(join(ws2, 'cache/a/one'), 'stale');
  assert.ok(claim(store, ws2, files));
  assert.equal(await readFile(join(ws2, 'cache/a/tracked.txt'), 'utf8'), 'from the sources');
  assert.equal(await readFile(join(ws2, 'cache/a/one'), 'utf8'), 'one', 'the cache wins, as with a normal restore');
});

test(`at most ${POOL_MAX} trees are parked per content`, async () => {
  const { root, store, files } = await setup();
  let parked = 0;
  for (let i = 0; i < POOL_MAX + 2; i++) {
    const { ws, identity } = await restored(root, store, files, `ws${i}`);
    if (park(store, ws, files, identity)) parked++;
  }
  assert.equal(parked, POOL_MAX);
  assert.equal(await parkedCount(store, files), POOL_MAX);
});

test('an empty directory of the entry comes back even when it was not parked whole', async () => {
  const { root, store, files } = await setup();
  const { ws, identity } = await restored(root, store, files, 'ws');
  await writeFile(join(ws, 'cache/empty/made-by-job'), 'x');
  assert.equal(park(store, ws, files, identity), true);
  const ws2 = await workspace(root, 'ws2');
  assert.ok(claim(store, ws2, files));
  assert.deepEqual(await readdir(join(ws2, 'cache/empty')), []);
  assert.equal(await readFile(join(ws2, 'cache/a/one'), 'utf8'), 'one');
});

test('a cache directory the job replaced by a symlink to its moved original is not parked', async () => {
  const { root, store, files } = await setup();
  const { ws, identity } = await restored(root, store, files, 'ws');
  const { rename: mv, symlink: ln } = await import('node:fs/promises');
  await mv(join(ws, 'cache/a'), join(root, 'moved-a'));
  await ln(join(root, 'moved-a'), join(ws, 'cache/a'));
  assert.equal(park(store, ws, files, identity), false);
});

test('files of an entry without directory records are not moved through a parent the job made a symlink', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kiln-pool-'));
  const src = join(root, 'src');
  await mkdir(join(src, 'g'), { recursive: true });
  await writeFile(join(src, 'g/one'), 'one');
  const store = new Store(join(root, 'store'));
  const files = await saveTree(store, src, ['g/one']);
  const { ws, identity } = await restored(root, store, files, 'ws');
  const { rename: mv, symlink: ln } = await import('node:fs/promises');
  await mv(join(ws, 'g'), join(root, 'elsewhere'));
  await ln(join(root, 'elsewhere'), join(ws, 'g'));
  assert.equal(park(store, ws, files, identity), false);
  assert.equal(await readFile(join(root, 'elsewhere/one'), 'utf8'), 'one', 'nothing outside the workspace was moved');
});

test('a parked tree is not moved through a workspace directory that is a symlink out of it', async () => {
  const { root, store, files } = await setup();
  const { ws, identity } = await restored(root, store, files, 'ws');
  assert.equal(park(store, ws, files, identity), true);
  const ws2 = await workspace(root, 'ws2');
  const outside = join(root, 'outside');
  await mkdir(outside);
  const { symlink: ln } = await import('node:fs/promises');
  await ln(outside, join(ws2, 'cache'));
  assert.equal(claim(store, ws2, files), null);
  assert.deepEqual(await readdir(outside), [], 'nothing moved outside');
});
