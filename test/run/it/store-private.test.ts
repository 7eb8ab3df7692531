// The store and the job workspaces are the user's alone: store directories 0700 and files 0600, pipeline
// directories (snapshot, workspaces) not traversable by others (issue 15, item 3's last sentence).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { makeProject, parseSummary, runKiln } from '../helpers/project.js';

async function walk(
  dir: string,
  skip: (rel: string) => boolean,
  root = dir,
): Promise<{ rel: string; mode: number; isDir: boolean }[]> {
  const out: { rel: string; mode: number; isDir: boolean }[] = [];
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    const rel = relative(root, p);
    if (skip(rel)) continue;
    const st = await lstat(p);
    out.push({ rel, mode: st.mode & 0o7777, isDir: st.isDirectory() });
    if (st.isDirectory()) out.push(...(await walk(p, skip, root)));
  }
  return out;
}

test('store and pipeline directories are private, also a store an older kiln made world-readable', async () => {
  // The usual umask: what made packs 0644 and directories 0755 before.
  process.umask(0o022);
  const yaml = `
stages: [build, test]
build:
  stage: build
  cache: { key: deps, paths: [deps/] }
  script:
    - mkdir -p deps && echo small > deps/small && head -c 2000000 /dev/urandom > deps/big.bin && chmod 755 deps/small
    - echo secret-output > out.txt
  artifacts: { paths: [out.txt] }
test:
  stage: test
  cache: { key: deps, paths: [deps/], policy: pull }
  script: [cat out.txt deps/small]
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml });
  await mkdir(join(dir, '.kiln/store'), { recursive: true, mode: 0o755 });
  // A first run parks the cache tree (store/pool/), a second keeps its workspaces to look at.
  assert.equal((await runKiln(['run', '--dir', dir, '--json'])).code, 0);
  const r = await runKiln(['run', '--dir', dir, '--json', '--keep-workspaces']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const id = parseSummary(r.stdout).pipelineId;
  const store = join(dir, '.kiln/store');
  assert.equal((await stat(store)).mode & 0o777, 0o700);
  // Parked trees keep the modes of the job's files (they are handed back by a rename); their directories are private.
  const items = await walk(store, (rel) => /^pool\/[^/]+\/[^/]+\/tree\//.test(rel));
  const kinds = new Set(items.map((i) => i.rel.split('/')[0]));
  for (const k of ['packs', 'blobs', 'entries', 'tmp', 'pool', 'pipeline-ids'])
    assert.ok(kinds.has(k), `the run wrote ${k}/`);
  assert.ok(items.some((i) => i.rel.endsWith('.pack')) && items.some((i) => i.rel.startsWith('blobs/') && !i.isDir));
  const open = items.filter((i) => (i.isDir ? i.mode !== 0o700 : (i.mode & 0o077) !== 0));
  assert.deepEqual(
    open.map((i) => `${i.rel} ${i.mode.toString(8)}`),
    [],
    'nothing in the store is open to others',
  );
  for (const p of ['.kiln/pipelines', `.kiln/pipelines/${id}`]) {
    assert.equal((await stat(join(dir, p))).mode & 0o777, 0o700, `${p} is private`);
  }
  assert.equal((await stat(join(dir, '.kiln/project.json'))).mode & 0o777, 0o600);
  // What the test job received still has the job's own modes.
  const ws = join(dir, `.kiln/pipelines/${id}/ws`);
  const testWs = (await readdir(ws)).find((n) => n.startsWith('test'))!;
  const [project] = (await readdir(join(ws, testWs))).filter((n) => !n.endsWith('.tmp'));
  assert.equal((await stat(join(ws, testWs, project, 'deps/small'))).mode & 0o777, 0o755);
});
