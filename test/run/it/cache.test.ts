import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { job, makeProject, parseSummary, readLog, runKiln } from '../helpers/project.js';
import { Store } from '../../../src/store/store.js';
import { projectId } from '../../../src/run/project-id.js';
import { restoreTree } from '../../../src/store/tree.js';

test('cache persists across runs; key:files; fallback_keys; policy pull does not save', async () => {
  const yaml = `
counter:
  cache:
    key: counter-$CI_COMMIT_REF_SLUG
    paths: [state/]
  script:
    - mkdir -p state
    - echo run >> state/runs.txt
    - echo "runs=$(wc -l < state/runs.txt)"
deps:
  cache:
    key:
      files: [lock.txt]
      prefix: deps
    fallback_keys: [deps-base]
    paths: [vendor/]
  script:
    - mkdir -p vendor
    - cat vendor/from.txt 2>/dev/null || echo "no vendor yet"
    - echo "$(cat lock.txt)" > vendor/from.txt
reader:
  cache:
    key: counter-$CI_COMMIT_REF_SLUG
    paths: [state/]
    policy: pull
  script:
    - echo extra >> state/runs.txt
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml, 'lock.txt': 'lock-v1' });
  const r1 = await runKiln(['run', '--dir', dir, '--json', '-j', '1', 'counter', 'deps']);
  assert.equal(r1.code, 0, r1.stderr);
  const s1 = parseSummary(r1.stdout);
  assert.equal(job(s1, 'counter').cache, 'miss');
  assert.match(await readLog(s1, 'counter'), /runs=1/);
  const r2 = await runKiln(['run', '--dir', dir, '--json', '-j', '1']);
  const s2 = parseSummary(r2.stdout);
  assert.equal(job(s2, 'counter').cache, 'hit');
  assert.match(await readLog(s2, 'counter'), /runs=2/);
  assert.equal(job(s2, 'deps').cache, 'hit');
  assert.match(await readLog(s2, 'deps'), /lock-v1/);
  const r3 = await runKiln(['run', '--dir', dir, '--json', 'counter']);
  assert.match(
    await readLog(parseSummary(r3.stdout), 'counter'),
    /runs=3/,
    'the pull-policy reader did not save its change',
  );
  // A changed lock file is a new key: miss (no fallback entry exists yet).
  await writeFile(join(dir, 'lock.txt'), 'lock-v2');
  const r4 = await runKiln(['run', '--dir', dir, '--json', 'deps']);
  const s4 = parseSummary(r4.stdout);
  assert.equal(job(s4, 'deps').cache, 'miss');
  assert.match(await readLog(s4, 'deps'), /no vendor yet/);
});

test('fallback_keys restore when the key misses', async () => {
  const yaml = `
seed:
  cache: { key: base, paths: [c/] }
  script: [mkdir -p c, echo seeded > c/f]
use:
  cache:
    key: feature-$CI_JOB_ID
    fallback_keys: [base]
    paths: [c/]
  script: [test "$(cat c/f)" = seeded]
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml });
  assert.equal((await runKiln(['run', '--dir', dir, '--json', 'seed'])).code, 0);
  const r = await runKiln(['run', '--dir', dir, '--json', 'use']);
  assert.equal(r.code, 0, r.stdout);
  assert.equal(job(parseSummary(r.stdout), 'use').cache, 'fallback');
  // An unreadable entry is a warning and a miss, never a crash.
  await writeFile(
    new Store(join(dir, '.kiln/store'), projectId(dir)).entryPath('cache', 'base'),
    '{"version": 1, "files": [',
  );
  const broken = await runKiln(['run', '--dir', dir, '--json', 'use']);
  assert.equal(broken.code, 1, 'the job itself fails: its script needs the cache');
  const s = parseSummary(broken.stdout);
  assert.equal(job(s, 'use').cache, 'miss');
  assert.match(await readLog(s, 'use'), /WARNING: unreadable cache entry "base" .*; ignoring this cache/);
});

test('8 jobs racing on one cache key leave one complete, consistent entry', async () => {
  const jobs = Array.from(
    { length: 8 },
    (_, i) => `
racer${i}:
  needs: []
  cache: { key: shared, paths: [c/] }
  script:
    - mkdir -p c
    - for f in $(seq 1 40); do echo "racer${i}" > c/f$f; done
`,
  ).join('');
  const check = `
check:
  stage: deploy
  cache: { key: shared, paths: [c/], policy: pull }
  script:
    - test "$(cat c/f* | sort -u | wc -l)" = 1
    - test "$(ls c | wc -l)" = 40
`;
  const dir = await makeProject({ '.gitlab-ci.yml': `stages: [test, deploy]\n${jobs}${check}` });
  const r = await runKiln(['run', '--dir', dir, '--json', '-j', '8']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(parseSummary(r.stdout).status, 'passed');
  assert.deepEqual(await readdir(join(dir, '.kiln/store/tmp')), []);
});

test('kill -9 during cache save leaves the store usable with the old or the new entry', async () => {
  const yaml = `
big:
  cache: { key: big, paths: [c/] }
  script:
    - mkdir -p c
    - s=$(printf '%65536s' '' | tr ' ' "$VERSION")
    - for f in $(seq 1 300); do printf '%s' "$s" > c/f$f; done
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml });
  assert.equal((await runKiln(['run', '--dir', dir, '--json', '--variable', 'VERSION=a'])).code, 0);
  const store = new Store(join(dir, '.kiln/store'), projectId(dir));
  for (const [i, delay] of [5, 60].entries()) {
    const version = 'bc'[i];
    let pid = 0;
    const run = runKiln(['run', '--dir', dir, '--variable', `VERSION=${version}`], { onSpawn: (p) => (pid = p) });
    // Wait for the save to start, then kill kiln outright.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const logs = await readdir(join(dir, '.kiln/pipelines')).catch(() => [] as string[]);
      const latest = Math.max(...logs.filter((n) => /^\d+$/.test(n)).map(Number));
      const text = await readFile(join(dir, `.kiln/pipelines/${latest}/big.log`), 'utf8').catch(() => '');
      if (latest >= i + 2 && text.includes('Creating cache big')) break;
      if (Date.now() > deadline) throw new Error('the save never started');
      await new Promise((res) => setTimeout(res, 5));
    }
    await new Promise((res) => setTimeout(res, delay));
    process.kill(pid, 'SIGKILL');
    await run;
    const entry = await store.readEntry('cache', 'big');
    assert.ok(entry, 'an entry is still there');
    const out = await mkdtemp(join(tmpdir(), 'kiln-kill-'));
    await restoreTree(store, entry!.files, out);
    const contents = new Set<string>();
    for (const f of await readdir(join(out, 'c'))) contents.add((await readFile(join(out, 'c', f), 'utf8'))[0]);
    assert.equal(contents.size, 1, `one version in the entry (delay ${delay})`);
    assert.equal((await readdir(join(out, 'c'))).length, 300);
  }
  // The next run sweeps dead writers' temp files and works.
  const r = await runKiln(['run', '--dir', dir, '--json', '--variable', 'VERSION=z']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(job(parseSummary(r.stdout), 'big').cache, 'hit');
  assert.deepEqual(await readdir(join(dir, '.kiln/store/tmp')), []);
});

test('disk full during cache save: clear error, previous entry intact', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { mkdirSync, rmSync } = await import('node:fs');
  const storeDir = await mkdtemp(join(tmpdir(), 'kiln-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', storeDir], { stdio: 'ignore' });
  } catch {
    t.skip('cannot mount a small tmpfs here (needs root)');
    return;
  }
  try {
    mkdirSync(join(storeDir, 'store'));
    const yaml = `
fill:
  cache: { key: k, paths: [c/] }
  script:
    - mkdir -p c
    - cat c/small 2>/dev/null || echo "no cache"
    - echo "$VERSION" > c/small
    - head -c "$SIZE" /dev/urandom > c/big
    - for i in 1 2 3; do head -c "$PART" /dev/urandom > c/part$i; done
`;
    const dir = await makeProject({ '.gitlab-ci.yml': yaml });
    const run = (version: string, size: number, part = 10) =>
      runKiln([
        'run',
        '--dir',
        dir,
        '--json',
        '--store',
        join(storeDir, 'store'),
        '--variable',
        `VERSION=${version}`,
        '--variable',
        `SIZE=${size}`,
        '--variable',
        `PART=${part}`,
      ]);
    assert.equal((await run('v1', 1000)).code, 0);
    // One large file (a blob of its own), then several small ones that overflow the pack.
    for (const [version, size, part] of [
      ['v2', 4 * 1024 * 1024, 10],
      ['v2b', 10, 900 * 1024],
    ] as const) {
      const full = await run(version, size, part);
      assert.equal(full.code, 0, 'a failed cache save does not fail the job');
      const log = await readLog(parseSummary(full.stdout), 'fill');
      assert.match(
        log,
        /ERROR: cannot save cache k: .*(no space left|ENOSPC).*\(the previous entry is intact\)/i,
        `${version}: ${log}`,
      );
      assert.deepEqual(await readdir(join(storeDir, 'store/tmp')), [], 'no temp file left behind');
      // The failed save's tree is no entry's content: nothing was parked for it.
      const parked = await readdir(join(storeDir, 'store/pool'), { recursive: true }).catch(() => [] as string[]);
      assert.deepEqual(
        parked.filter((p) => p.endsWith('meta.json')),
        [],
      );
    }
    const after = await run('v3', 10);
    assert.match(await readLog(parseSummary(after.stdout), 'fill'), /O v1$/m, 'the previous entry is restored');
  } finally {
    execFileSync('umount', [storeDir]);
    rmSync(storeDir, { recursive: true, force: true });
  }
});

test('a damaged cache entry is dropped with a warning and the job runs as on a miss', async () => {
  const yaml = `
gen:
  cache: { key: gen, paths: [c/] }
  script:
    - test -f c/data && echo "had=$(cat c/data | head -c 5)" || echo "had=nothing"
    - mkdir -p c && printf 'fresh-content' > c/data
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml });
  assert.equal((await runKiln(['run', '--dir', dir, '--json'])).code, 0);
  const store = new Store(join(dir, '.kiln/store'), projectId(dir));
  const entry = (await store.readEntry('cache', 'gen'))!;
  const rec = entry.files.find((f) => f.path === 'c/data')!;
  // Overwrite the stored bytes behind the store's back (and drop the parked tree, which would be taken first).
  await writeFile(store.packPath(rec.pack!), 'XXXXXXXXXXXXX');
  await rm(join(dir, '.kiln/store/pool'), { recursive: true, force: true });
  const r2 = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(r2.code, 0, r2.stderr);
  const s2 = parseSummary(r2.stdout);
  const log2 = await readLog(s2, 'gen');
  assert.match(
    log2,
    /WARNING: cache gen is damaged \(damaged store pack .* c\/data does not match its hash\); dropping it/,
  );
  assert.match(log2, /had=nothing/, 'damaged content was not restored');
  assert.equal(job(s2, 'gen').cache, 'miss');
  const r3 = await runKiln(['run', '--dir', dir, '--json']);
  const s3 = parseSummary(r3.stdout);
  assert.equal(job(s3, 'gen').cache, 'hit', 'the next save wrote a good entry');
  assert.match(await readLog(s3, 'gen'), /had=fresh/);
});

test('a cache tree is parked after the job and moved into the next job that restores it', async () => {
  const yaml = `
stages: [a, b]
fill:
  stage: a
  cache: { key: tree, paths: [t/] }
  script:
    - test -d t || (mkdir -p t/x && for i in $(seq 1 30); do echo "v$i" > t/x/f$i; done)
use:
  stage: b
  cache: { key: tree, paths: [t/], policy: pull }
  script:
    - test "$(cat t/x/f7)" = v7
    - echo changed > t/x/f7
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml });
  const r1 = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(r1.code, 0, r1.stdout + r1.stderr);
  assert.match(
    await readLog(parseSummary(r1.stdout), 'use'),
    /Successfully extracted cache tree \(30 files, a parked tree moved in\)/,
    'the tree fill saved was parked and taken',
  );
  // `use` changed its copy: that one was not parked, so the next run's first job writes the files from the store.
  const r2 = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(r2.code, 0, r2.stdout + r2.stderr);
  const s2 = parseSummary(r2.stdout);
  assert.match(await readLog(s2, 'fill'), /Successfully extracted cache tree \(30 files\)/);
  assert.match(await readLog(s2, 'use'), /a parked tree moved in/, 'fill returned its unchanged tree');
});

test('runner.cache_pool = 0 in kiln.toml turns parking off', async () => {
  const yaml = `
stages: [a, b]
fill:
  stage: a
  cache: { key: p, paths: [t/] }
  script: [mkdir -p t, echo x > t/f]
use:
  stage: b
  cache: { key: p, paths: [t/], policy: pull }
  script: [test "$(cat t/f)" = x]
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml, 'kiln.toml': '[runner]\ncache_pool = 0\n' });
  const r = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(await readLog(parseSummary(r.stdout), 'use'), /Successfully extracted cache p \(1 files\)$/m);
  assert.deepEqual(await readdir(join(dir, '.kiln/store/pool')).catch(() => [] as string[]), []);
});
