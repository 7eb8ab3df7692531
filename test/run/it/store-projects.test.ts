// Projects sharing one store keep their caches, artifacts and pipeline ids apart (issue 15, item 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { job, makeProject, parseSummary, readLog, runKiln } from '../helpers/project.js';
import { projectId } from '../../../src/run/project-id.js';
import { Store } from '../../../src/store/store.js';
import { saveTree } from '../../../src/store/tree.js';

const yaml = (name: string) => `
stages: [build, test]
build:
  stage: build
  script: [echo from-${name} > out.txt]
  artifacts: { paths: [out.txt] }
  cache: { paths: [c/] }
test:
  stage: test
  cache: { paths: [c/] }
  script:
    - echo "test sees artifact $(cat out.txt 2>/dev/null || echo none) and cache $(cat c/who 2>/dev/null || echo none)"
    - mkdir -p c && echo ${name} > c/who
    - echo "pipeline id $CI_PIPELINE_ID"
`;

test("two projects sharing a store never see each other's artifacts or caches, and get distinct pipeline ids", async () => {
  const store = await mkdtemp(join(tmpdir(), 'kiln-shared-store-'));
  // P names the store in its kiln.toml (runner.cache_dir), Q with --store.
  const p = await makeProject({
    '.gitlab-ci.yml': yaml('P'),
    'kiln.toml': `[runner]\ncache_dir = ${JSON.stringify(store)}\n`,
  });
  const q = await makeProject({ '.gitlab-ci.yml': yaml('Q') });
  const run = async (dir: string, ...jobs: string[]) => {
    const r = await runKiln(['run', '--dir', dir, ...(dir === q ? ['--store', store] : []), '--json', ...jobs]);
    assert.ok(r.code === 0, r.stdout + r.stderr);
    return parseSummary(r.stdout);
  };
  // Q builds (artifact "from-Q", cache "Q"); P then runs its test job alone, twice: before scoping, P's second
  // run looked up "the artifacts of build in pipeline 1" and got Q's, and restored Q's `default` cache.
  const q1 = await run(q);
  assert.match(await readLog(q1, 'test'), /test sees artifact from-Q and cache none/);
  const p1 = await run(p, 'test');
  const p2 = await run(p, 'test');
  assert.match(await readLog(p1, 'test'), /test sees artifact none and cache none/);
  assert.match(await readLog(p2, 'test'), /test sees artifact none and cache P/, 'P sees its own cache only');
  // Each project still finds its own artifacts and caches.
  const q2 = await run(q, 'test');
  assert.match(await readLog(q2, 'test'), /test sees artifact from-Q and cache Q/);
  const ids = [q1, p1, p2, q2].map((s) => s.pipelineId);
  assert.equal(new Set(ids).size, ids.length, `pipeline ids collide: ${ids.join(', ')}`);
  assert.match(await readLog(p2, 'test'), new RegExp(`pipeline id ${p2.pipelineId}\\n`));
  assert.equal(job(p2, 'test').cache, 'hit');
  assert.equal(existsSync(join(p, '.kiln/store')), false, 'P used the shared store');
});

test('a project keeps its store id when moved, a copy gets its own, a new project at an old path too', async () => {
  const base = await mkdtemp(join(tmpdir(), 'kiln-project-id-'));
  const a = join(base, 'a');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(a);
  const id = projectId(a);
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(projectId(a), id, 'stable');
  await rename(a, join(base, 'moved'));
  assert.equal(projectId(join(base, 'moved')), id, 'moving keeps the id');
  await cp(join(base, 'moved'), join(base, 'copy'), { recursive: true });
  const copyId = projectId(join(base, 'copy'));
  assert.notEqual(copyId, id, 'a copy (with .kiln) is another project');
  assert.equal(projectId(join(base, 'moved')), id, 'the original keeps its id');
  assert.equal(projectId(join(base, 'copy')), copyId);
  // A project deleted and another one made at the same path: a new id.
  await rm(join(base, 'moved'), { recursive: true });
  await mkdir(join(base, 'moved'));
  assert.notEqual(projectId(join(base, 'moved')), id);
  const rec = JSON.parse(await readFile(join(base, 'copy/.kiln/project.json'), 'utf8')) as { id: string; path: string };
  assert.equal(rec.path, join(base, 'copy'));
  // A damaged record or a dangling symlink in its place: a new id, no error.
  const { writeFile, symlink } = await import('node:fs/promises');
  await writeFile(join(base, 'copy/.kiln/project.json'), '{"id": "not');
  const fresh = projectId(join(base, 'copy'));
  assert.match(fresh, /^[0-9a-f]{32}$/);
  assert.notEqual(fresh, copyId);
  await rm(join(base, 'copy/.kiln/project.json'));
  await symlink(join(base, 'nowhere'), join(base, 'copy/.kiln/project.json'));
  assert.match(projectId(join(base, 'copy')), /^[0-9a-f]{32}$/);
  assert.equal(existsSync(join(base, 'nowhere')), false, 'nothing is written through the symlink');
});

test('runs starting at once in a new project agree on one id', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-project-race-'));
  const script = `import { projectId } from ${JSON.stringify(new URL('../../../src/run/project-id.ts', import.meta.url).href)}; process.stdout.write(projectId(${JSON.stringify(dir)}));`;
  const { execFile } = await import('node:child_process');
  const one = () =>
    new Promise<string>((res, rej) =>
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], (e, out) =>
        e ? rej(e) : res(out),
      ),
    );
  const ids = await Promise.all(Array.from({ length: 4 }, one));
  assert.equal(new Set(ids).size, 1, ids.join(' '));
  assert.equal(projectId(dir), ids[0]);
});

test("a store opened for one project does not read another project's entry of the same key", async () => {
  const root = await mkdtemp(join(tmpdir(), 'kiln-scoped-'));
  const { writeFile, mkdir } = await import('node:fs/promises');
  await mkdir(join(root, 'src'));
  await writeFile(join(root, 'src/f'), 'm');
  const m = new Store(join(root, 'store'), 'm'.repeat(32));
  const n = new Store(join(root, 'store'), 'n'.repeat(32));
  await m.writeEntry({
    version: 2,
    kind: 'cache',
    key: 'default',
    createdAt: 'now',
    files: await saveTree(m, join(root, 'src'), ['f']),
  });
  assert.ok(await m.readEntry('cache', 'default'));
  assert.equal(await n.readEntry('cache', 'default'), null);
  assert.notEqual(m.entryPath('cache', 'default'), n.entryPath('cache', 'default'));
});
