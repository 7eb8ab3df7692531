// Caches and artifacts through `kiln run` (issue 15, items 1, 4 and 5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readdir, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { job, makeProject, parseSummary, readLog, runKiln } from '../helpers/project.js';

test('artifacts and caches holding only empty files are saved and handed on', async () => {
  const yaml = `
stages: [build, test]
build:
  stage: build
  cache: { key: markers, paths: [markers/] }
  script: [touch done.flag, mkdir -p markers, touch markers/a markers/b]
  artifacts: { paths: [done.flag] }
test:
  stage: test
  cache: { key: markers, paths: [markers/], policy: pull }
  script: [test -f done.flag, test -f markers/a, test -f markers/b, test ! -s done.flag, echo both-here]
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml });
  const r = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const s = parseSummary(r.stdout);
  assert.equal(s.status, 'passed');
  assert.match(await readLog(s, 'build'), /Created cache markers \(2 files\)/);
  assert.match(await readLog(s, 'build'), /Uploaded 1 files/);
  assert.equal(job(s, 'test').cache, 'hit');
  assert.match(await readLog(s, 'test'), /both-here/);
});

test('a cache:key:files cache hits when the job rewrites its key file (the key is fixed before the job)', async () => {
  const yaml = `
install:
  cache:
    key: { files: [package-lock.json] }
    paths: [node_modules/]
  script:
    - cat node_modules/installed 2>/dev/null || echo "nothing installed yet"
    - mkdir -p node_modules && echo installed-before > node_modules/installed
    # What npm install does: it rewrites the lock file.
    - 'echo "{\"lockfileVersion\": 3, \"rewritten\": true}" > package-lock.json'
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml, 'package-lock.json': '{"lockfileVersion": 3}\n' });
  const first = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const s1 = parseSummary(first.stdout);
  assert.equal(job(s1, 'install').cache, 'miss');
  const key = /Checking cache for ([0-9a-f]{40})\.\.\./.exec(await readLog(s1, 'install'))![1];
  assert.match(await readLog(s1, 'install'), new RegExp(`Created cache ${key} `), 'saved under the key it looked for');
  const second = await runKiln(['run', '--dir', dir, '--json']);
  const s2 = parseSummary(second.stdout);
  assert.equal(job(s2, 'install').cache, 'hit');
  assert.match(await readLog(s2, 'install'), /installed-before/);
});

test('a corrupt large blob is never restored: warning, the entry is dropped, the job runs as on a miss', async () => {
  const yaml = `
big:
  cache: { key: big, paths: [c/] }
  script:
    - if [ -f c/big.bin ]; then echo "restored $(cksum < c/big.bin)"; else echo "no cache"; fi
    - mkdir -p c && head -c 3000000 /dev/urandom > c/big.bin && echo "saved $(cksum < c/big.bin)"
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml });
  // runner.cache_pool 0: every restore reads the store (no parked tree).
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, 'kiln.toml'), '[runner]\ncache_pool = 0\n');
  const first = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const saved = /saved (\d+ \d+)/.exec(await readLog(parseSummary(first.stdout), 'big'))![1];
  // The intact blob restores byte for byte.
  const second = await runKiln(['run', '--dir', dir, '--json']);
  const s2 = parseSummary(second.stdout);
  assert.equal(job(s2, 'big').cache, 'hit');
  assert.match(await readLog(s2, 'big'), new RegExp(`restored ${saved}`));
  const blobsDir = join(dir, '.kiln/store/blobs');
  const blobs: string[] = [];
  for (const sub of await readdir(blobsDir))
    for (const b of await readdir(join(blobsDir, sub))) blobs.push(join(blobsDir, sub, b));
  const newest = (await Promise.all(blobs.map(async (b) => ({ b, t: (await stat(b)).mtimeMs })))).sort(
    (x, y) => y.t - x.t,
  )[0].b;
  // Flip one byte in the middle, size and mtime kept.
  const before = await stat(newest);
  const fh = await open(newest, 'r+');
  const one = Buffer.alloc(1);
  await fh.read(one, 0, 1, 1_234_567);
  one[0] ^= 0x01;
  await fh.write(one, 0, 1, 1_234_567);
  await fh.close();
  await utimes(newest, before.atime, before.mtime);
  const third = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(third.code, 0, third.stdout + third.stderr);
  const s3 = parseSummary(third.stdout);
  const log = await readLog(s3, 'big');
  assert.equal(job(s3, 'big').cache, 'miss');
  assert.match(
    log,
    /WARNING: cache big is damaged \(damaged store blob [0-9a-f]{64}: c\/big\.bin does not match its hash\); dropping it/,
  );
  assert.match(log, /no cache/);
  assert.doesNotMatch(log, /Successfully extracted cache/);
});
