import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, writeFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Store, type FileRecord, type Manifest } from '../../src/store/store.js';
import { restoreTree, saveTree } from '../../src/store/tree.js';
import { collectGarbage } from '../../src/store/gc.js';
import { park, treeIdOf } from '../../src/store/pool.js';
import { runKiln, makeProject } from '../run/helpers/project.js';

async function saved(store: Store, root: string, name: string, content: Record<string, string>): Promise<FileRecord[]> {
  const dir = join(root, name);
  for (const [p, c] of Object.entries(content)) {
    await mkdir(join(dir, p, '..'), { recursive: true });
    await writeFile(join(dir, p), c);
  }
  return saveTree(store, dir, Object.keys(content));
}

const entry = (
  kind: 'cache' | 'artifacts',
  key: string,
  files: FileRecord[],
  meta?: Record<string, unknown>,
): Manifest => ({ version: 2, kind, key, createdAt: new Date().toISOString(), files, meta });

test('gc removes unreferenced packs and expired artifacts, keeps everything entries refer to', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kiln-gc-'));
  const store = new Store(join(root, 'store'));
  const a1 = await saved(store, root, 'a1', { 'x/1': 'first' });
  await store.writeEntry(entry('cache', 'a', a1));
  const a2 = await saved(store, root, 'a2', { 'x/1': 'second' });
  await store.writeEntry(entry('cache', 'a', a2));
  const b = await saved(store, root, 'b', { 'y/1': 'kept' });
  await store.writeEntry(entry('cache', 'b', b));
  const old = await saved(store, root, 'old', { 'out/bin': 'expired artifact' });
  await store.writeEntry(
    entry('artifacts', 'pipeline/1/build', old, { expireAt: new Date(Date.now() - 1000).toISOString() }),
  );
  const fresh = await saved(store, root, 'fresh', { 'out/bin': 'live artifact' });
  await store.writeEntry(
    entry('artifacts', 'pipeline/2/build', fresh, { expireAt: new Date(Date.now() + 86400_000).toISOString() }),
  );

  const young = await collectGarbage(store, { dryRun: true });
  assert.equal(young.packs, 0, 'packs younger than the grace period are spared');
  assert.deepEqual(young.expiredEntries, ['pipeline/1/build']);

  const dry = await collectGarbage(store, { dryRun: true, graceMs: 0 });
  assert.equal(dry.packs, 2, 'a1 and the expired artifact');
  assert.ok(existsSync(store.packPath(a1[0].pack!)), 'a dry run removes nothing');

  const r = await collectGarbage(store, { graceMs: 0 });
  assert.equal(r.packs, 2);
  assert.equal(r.bytes, 'first'.length + 'expired artifact'.length);
  assert.equal(existsSync(store.packPath(a1[0].pack!)), false);
  assert.equal(existsSync(store.packPath(old[0].pack!)), false);
  assert.equal(await store.readEntry('artifacts', 'pipeline/1/build'), null);
  for (const [key, kind, text] of [
    ['a', 'cache', 'second'],
    ['b', 'cache', 'kept'],
    ['pipeline/2/build', 'artifacts', 'live artifact'],
  ] as const) {
    const out = join(root, `out-${kind}-${key.replace(/\//g, '_')}`);
    const e = (await store.readEntry(kind, key))!;
    await restoreTree(store, e.files, out);
    assert.equal(await readFile(join(out, e.files[0].path), 'utf8'), text);
  }
});

test('gc keeps everything when an entry cannot be read', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kiln-gc-'));
  const store = new Store(join(root, 'store'));
  await saved(store, root, 'orphan', { f: 'no entry names me' });
  await mkdir(join(store.root, 'entries/cache'), { recursive: true });
  await writeFile(join(store.root, 'entries/cache/broken.json'), '{"version":2,');
  const r = await collectGarbage(store, { graceMs: 0 });
  assert.equal(r.packs, 0);
});

test('gc drops parked trees of contents no cache entry has any more', async () => {
  const root = await mkdtemp(join(tmpdir(), 'kiln-gc-'));
  const store = new Store(join(root, 'store'));
  const files = await saved(store, root, 'src', { 'c/f': 'v1' });
  await store.writeEntry(entry('cache', 'k', files));
  const ws = join(root, 'ws');
  const { identity } = await restoreTree(store, files, ws);
  assert.ok(park(store, ws, files, identity));
  assert.equal((await collectGarbage(store, { graceMs: 0 })).parkedTrees, 0, 'current content: kept');
  const next = await saved(store, root, 'src2', { 'c/f': 'v2' });
  await store.writeEntry(entry('cache', 'k', next));
  assert.equal((await collectGarbage(store, { graceMs: 0 })).parkedTrees, 1);
  assert.equal(existsSync(join(store.root, 'pool', treeIdOf(files))), false);
});

test('kiln store gc on a project reports what it removed', async () => {
  const dir = await makeProject({
    '.gitlab-ci.yml': 'j:\n  cache: { key: k, paths: [c/] }\n  script: [mkdir -p c, date +%N > c/now]\n',
  });
  for (let i = 0; i < 2; i++) assert.equal((await runKiln(['run', '--dir', dir, '--json'])).code, 0);
  const r = await runKiln(['store', 'gc', '--dir', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { store: string; packs: number };
  assert.equal(out.store, join(dir, '.kiln/store'));
  assert.equal(out.packs, 0, "the first run's pack is unused but still within the grace period");
  assert.ok((await readdir(join(dir, '.kiln/store/packs'))).length > 0);
});
