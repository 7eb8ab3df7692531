import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, writeFile, readdir, stat, utimes, open, truncate, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Store, type FileRecord } from '../../src/store/store.js';
import { restoreTree, saveTree, type KnownFile } from '../../src/store/tree.js';
import { StoreDamagedError } from '../../src/store/errors.js';

async function project(
  files: Record<string, Buffer | string>,
): Promise<{ root: string; src: string; store: Store; paths: string[] }> {
  const root = await mkdtemp(join(tmpdir(), 'kiln-pack-'));
  const src = join(root, 'src');
  for (const [p, data] of Object.entries(files)) {
    await mkdir(join(src, p, '..'), { recursive: true });
    await writeFile(join(src, p), data);
  }
  return { root, src, store: new Store(join(root, 'store')), paths: Object.keys(files) };
}

async function packFiles(store: Store): Promise<string[]> {
  try {
    return (await readdir(join(store.root, 'packs'), { recursive: true })).filter((p) => p.endsWith('.pack'));
  } catch {
    return [];
  }
}

test('large files become blobs, small ones share a pack; both restore byte for byte', async () => {
  const big = randomBytes(3 * 1024 * 1024 + 17);
  const { root, src, store, paths } = await project({
    'a/small-1': 'one',
    'a/small-2': randomBytes(70_000),
    'big.bin': big,
  });
  const recs = await saveTree(store, src, paths);
  assert.ok(recs[0].pack && recs[0].pack === recs[1].pack, 'small files in one pack');
  assert.equal(recs[2].pack, undefined, 'the large file is a blob');
  assert.ok(existsSync(store.blobPath(recs[2].sha256!)));
  const { count, identity } = await restoreTree(store, recs, join(root, 'out'));
  assert.equal(count, 3);
  assert.deepEqual(await readFile(join(root, 'out/big.bin')), big);
  assert.deepEqual(await readFile(join(root, 'out/a/small-2')), await readFile(join(src, 'a/small-2')));
  assert.equal(identity.size, 3);
});

test('a damaged pack is refused and leaves nothing restored behind', async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 50; i++) files[`d/f${i}`] = `content of file ${i}\n`.repeat(20);
  const { root, src, store, paths } = await project(files);
  const recs = await saveTree(store, src, paths);
  const packPath = store.packPath(recs[0].pack!);
  // One flipped byte in the middle of the pack.
  const fh = await open(packPath, 'r+');
  const victim = recs[30];
  await fh.write(Buffer.from('X'), 0, 1, victim.offset! + 3);
  await fh.close();
  const out = join(root, 'out');
  await assert.rejects(
    restoreTree(store, recs, out),
    (e: Error) =>
      e instanceof StoreDamagedError && /does not match its hash/.test(e.message) && e.message.includes(victim.path),
  );
  assert.equal(
    existsSync(join(out, 'd')),
    false,
    'files restored before the damage was found are removed again, and the directories made for them',
  );
  // A directory that was there before the restore stays, with what the job had put in it.
  await mkdir(join(out, 'd'), { recursive: true });
  await writeFile(join(out, 'd/mine'), 'job file');
  await assert.rejects(restoreTree(store, recs, out), StoreDamagedError);
  assert.deepEqual(await readdir(join(out, 'd')), ['mine']);
  // A pack cut short (e.g. by a power loss before writeback) is refused too.
  await truncate(packPath, 100);
  await assert.rejects(
    restoreTree(store, recs, out),
    (e: Error) => e instanceof StoreDamagedError && /cut short/.test(e.message),
  );
  await rm(packPath);
  await assert.rejects(
    restoreTree(store, recs, out),
    (e: Error) => e instanceof StoreDamagedError && /missing pack/.test(e.message),
  );
});

test('a tree of empty files only is saved (an empty pack) and restored', async () => {
  const { root, src, store, paths } = await project({ 'done.flag': '', 'markers/a': '', 'markers/b': '' });
  const recs = await saveTree(store, src, paths);
  assert.ok(recs.every((r) => r.pack && r.size === 0));
  assert.equal((await stat(store.packPath(recs[0].pack!))).size, 0);
  const { count } = await restoreTree(store, recs, join(root, 'out'));
  assert.equal(count, 3);
  assert.equal(await readFile(join(root, 'out/markers/b'), 'utf8'), '');
  assert.deepEqual(await readdir(join(store.root, 'tmp')), [], 'no temp file left');
});

test('a damaged blob is refused while it is copied out, and nothing of it stays', async () => {
  const big = randomBytes(2 * 1024 * 1024 + 5);
  const { root, src, store, paths } = await project({ small: 'ok', 'sub/big.bin': big });
  const recs = await saveTree(store, src, paths);
  const blob = store.blobPath(recs[1].sha256!);
  // One flipped byte, size and mtime kept (what a bad disk or a stray write does).
  const before = await stat(blob);
  const fh = await open(blob, 'r+');
  await fh.write(Buffer.from([big[1_500_000] ^ 0xff]), 0, 1, 1_500_000);
  await fh.close();
  await utimes(blob, before.atime, before.mtime);
  const out = join(root, 'out');
  await assert.rejects(
    restoreTree(store, recs, out),
    (e: Error) =>
      e instanceof StoreDamagedError && /does not match its hash/.test(e.message) && e.message.includes('sub/big.bin'),
  );
  assert.equal(existsSync(join(out, 'sub')), false, 'the damaged copy and its directory are gone');
  assert.equal(existsSync(join(out, 'small')), false);
  // A blob cut short is refused the same way.
  await truncate(blob, 1000);
  await assert.rejects(restoreTree(store, recs, out), StoreDamagedError);
  await rm(blob);
  await assert.rejects(
    restoreTree(store, recs, out),
    (e: Error) => e instanceof StoreDamagedError && /missing blob/.test(e.message),
  );
});

test('unchanged restored files are reused without a new pack; a change with a reset mtime is still seen', async () => {
  const { root, src, store, paths } = await project({ 'c/x': 'xxxx', 'c/y': 'yyyy', 'c/z': 'zzzz' });
  const first = await saveTree(store, src, paths);
  const ws = join(root, 'ws');
  const { identity } = await restoreTree(store, first, ws);
  const known = new Map<string, KnownFile>(first.map((r) => [r.path, { record: r, identity: identity.get(r.path)! }]));
  const again = await saveTree(store, ws, paths, known);
  assert.deepEqual(again, first, 'same records, nothing re-read');
  assert.equal((await packFiles(store)).length, 1, 'no new pack for an unchanged tree');
  // Same size, and the old mtime put back: only the ctime tells.
  const before = await stat(join(ws, 'c/y'));
  await writeFile(join(ws, 'c/y'), 'YYYY');
  await utimes(join(ws, 'c/y'), before.atime, before.mtime);
  const changed = await saveTree(store, ws, paths, known);
  assert.notEqual(changed[1].sha256, first[1].sha256);
  assert.equal(changed[0].pack, first[0].pack, 'untouched files still point into the first pack');
  assert.notEqual(changed[1].pack, first[1].pack, 'the changed file went into a new pack');
  const out = join(root, 'out');
  await restoreTree(store, changed, out);
  assert.equal(await readFile(join(out, 'c/y'), 'utf8'), 'YYYY');
  assert.equal(await readFile(join(out, 'c/x'), 'utf8'), 'xxxx');
});

test('an entry spread over too many packs is written afresh into one', async () => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const { root, src, store } = await project(Object.fromEntries(names.map((n) => [`k/${n}`, `v0-${n}`])));
  const paths = names.map((n) => `k/${n}`);
  let recs: FileRecord[] = await saveTree(store, src, paths);
  const ws = join(root, 'ws');
  for (let round = 1; round <= 6; round++) {
    const { identity } = await restoreTree(store, recs, ws);
    const known = new Map<string, KnownFile>(recs.map((r) => [r.path, { record: r, identity: identity.get(r.path)! }]));
    await writeFile(join(ws, `k/${names[round]}`), `v${round}`);
    recs = await saveTree(store, ws, paths, known);
    assert.ok(new Set(recs.map((r) => r.pack)).size <= 4, `round ${round}: at most 4 packs per entry`);
  }
  const out = join(root, 'out');
  await restoreTree(store, recs, out);
  for (let i = 1; i <= 6; i++) assert.equal(await readFile(join(out, `k/${names[i]}`), 'utf8'), `v${i}`);
  assert.equal(await readFile(join(out, 'k/a'), 'utf8'), 'v0-a');
});

test('a file replaced by a symlink or a directory in the destination is replaced, never written through', async () => {
  const { root, src, store, paths } = await project({ 'p/file': 'stored' });
  const recs = await saveTree(store, src, paths);
  const out = join(root, 'out');
  await mkdir(join(out, 'p'), { recursive: true });
  await writeFile(join(root, 'outside'), 'untouched');
  const { symlink } = await import('node:fs/promises');
  await symlink(join(root, 'outside'), join(out, 'p/file'));
  await restoreTree(store, recs, out);
  assert.equal(await readFile(join(out, 'p/file'), 'utf8'), 'stored');
  assert.equal(await readFile(join(root, 'outside'), 'utf8'), 'untouched');
});

test('file modes come back exactly, also those the umask would trim', async () => {
  const { root, src, store, paths } = await project({ 'm/group-writable': 'g', 'm/private': 'p', 'm/tool': 't' });
  const { chmod: chmodP } = await import('node:fs/promises');
  await chmodP(join(src, 'm/group-writable'), 0o664);
  await chmodP(join(src, 'm/private'), 0o600);
  await chmodP(join(src, 'm/tool'), 0o775);
  const old = process.umask(0o022);
  try {
    await restoreTree(store, await saveTree(store, src, paths), join(root, 'out'));
  } finally {
    process.umask(old);
  }
  for (const [p, mode] of [
    ['m/group-writable', 0o664],
    ['m/private', 0o600],
    ['m/tool', 0o775],
  ] as const) {
    assert.equal((await stat(join(root, 'out', p))).mode & 0o777, mode, p);
  }
});

test('restoring through a directory that is a symlink out of the destination is refused', async () => {
  const { root, src, store, paths } = await project({ 'deps/x': 'cached', 'deps/sub/y': 'deeper' });
  const recs = await saveTree(store, src, paths);
  const out = join(root, 'out');
  const outside = join(root, 'outside');
  await mkdir(out, { recursive: true });
  await mkdir(outside, { recursive: true });
  const { symlink } = await import('node:fs/promises');
  await symlink(outside, join(out, 'deps'));
  await assert.rejects(
    restoreTree(store, recs, out),
    /refusing to restore into deps\/: it leads out of .* through a symlink/,
  );
  assert.deepEqual(await readdir(outside), [], 'nothing written or made outside');
});
