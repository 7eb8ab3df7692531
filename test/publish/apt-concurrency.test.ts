// Locking and atomic visibility of kiln publish apt: concurrent publishes serialize, a held lock fails
// clearly after the timeout, a stale lock is taken over, and readers never see a mixed state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, readdir, writeFile, mkdir, realpath } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join, dirname } from 'node:path';
import { kiln, makeKey, sampleDeb, tmp } from './helpers.js';

test('concurrent publishes wait for each other and all land', async () => {
  const dir = await tmp('lock');
  const key = await makeKey(dir, 'k');
  const repo = join(dir, 'repo');
  const debs = await Promise.all(['a1', 'b2', 'c3'].map((n) => sampleDeb(dir, { name: n, version: '1.0' })));
  const results = await Promise.all(
    debs.map((d) => kiln(['publish', 'apt', '--repo', repo, '--suite', 's', '--sign-key', key.priv, d])),
  );
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const pkgs = await readFile(join(repo, 'dists/s/main/binary-amd64/Packages'), 'utf8');
  assert.deepEqual(
    [...pkgs.matchAll(/^Package: (.*)$/gm)].map((m) => m[1]),
    ['a1', 'b2', 'c3'],
  );
});

test('a lock held by a live process fails after --lock-timeout naming the holder; a stale lock is taken over', async () => {
  const dir = await tmp('lock');
  const repo = join(dir, 'repo');
  await mkdir(repo);
  const deb = await sampleDeb(dir, { name: 'locked', version: '1.0' });
  const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    await writeFile(
      join(repo, '.kiln-publish.lock'),
      JSON.stringify({ pid: holder.pid, host: hostname(), started: '2026-01-01T00:00:00Z' }),
    );
    const t0 = Date.now();
    const r = await kiln(['publish', 'apt', '--repo', repo, '--suite', 's', '--unsigned', '--lock-timeout', '1', deb]);
    assert.equal(r.code, 4);
    assert.match(
      r.stderr,
      new RegExp(`is locked by another publish \\(pid ${holder.pid} on .* since 2026-01-01T00:00:00Z\\); waited 1s`),
    );
    assert.ok(Date.now() - t0 >= 1000);
  } finally {
    holder.kill();
  }
  await new Promise((r) => holder.once('exit', r));
  // The holder is gone now: its lock is stale and the next publish takes it over. A staging dir left by that
  // (killed) publish is cleaned up too.
  const leftover = join(repo, 'pool', `.kiln-staging-${holder.pid}-deadbeef`);
  await mkdir(leftover, { recursive: true });
  await writeFile(join(leftover, 'half.deb'), 'partial');
  const r = await kiln(['publish', 'apt', '--repo', repo, '--suite', 's', '--unsigned', '--lock-timeout', '1', deb]);
  assert.equal(r.code, 0, r.stderr);
  await assert.rejects(readFile(join(repo, '.kiln-publish.lock')), /ENOENT/, 'lock released');
  assert.deepEqual(await readdir(join(repo, 'pool')), ['main'], 'no staging dirs left');
});

function signedText(inRelease: string): string {
  const body = inRelease
    .split(/\r?\n\r?\n/)
    .slice(1)
    .join('\n\n');
  return body.split('\n-----BEGIN PGP SIGNATURE-----')[0].replace(/^- /gm, '');
}

test('readers during publishes always see a consistent generation and every by-hash index exists', async () => {
  const dir = await tmp('atomic');
  const key = await makeKey(dir, 'k');
  const repo = join(dir, 'repo');
  const first = await sampleDeb(dir, { name: 'atom', version: '0' });
  assert.equal((await kiln(['publish', 'apt', '--repo', repo, '--suite', 's', '--sign-key', key.priv, first])).code, 0);
  const debs = await Promise.all([1, 2, 3, 4].map((v) => sampleDeb(dir, { name: 'atom', version: String(v) })));

  let done = false;
  let checks = 0;
  const suite = join(repo, 'dists/s');
  const reader = (async () => {
    while (!done) {
      // An apt-like client: InRelease first, then indexes by hash.
      const inRelease = await readFile(join(suite, 'InRelease'), 'utf8');
      const text = signedText(inRelease);
      const sha = text
        .split('SHA256:\n')[1]
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/));
      for (const [hash, , path] of sha) {
        const data = await readFile(join(suite, dirname(path), 'by-hash', 'SHA256', hash));
        assert.equal(createHash('sha256').update(data).digest('hex'), hash);
      }
      // Within one generation Release, InRelease and Release.gpg always belong together.
      const gen = await realpath(suite).catch(() => undefined);
      if (gen) {
        const pair = await Promise.all([
          readFile(join(gen, 'Release'), 'utf8'),
          readFile(join(gen, 'InRelease'), 'utf8'),
        ]).catch(() => undefined);
        if (pair) assert.equal(signedText(pair[1]).trimEnd(), pair[0].trimEnd());
      }
      checks++;
      await new Promise((r) => setImmediate(r));
    }
  })();
  try {
    for (const d of debs) {
      const r = await kiln(['publish', 'apt', '--repo', repo, '--suite', 's', '--sign-key', key.priv, d]);
      assert.equal(r.code, 0, r.stderr);
    }
  } finally {
    done = true;
    await reader;
  }
  assert.ok(checks > 10, `reader ran ${checks} times`);
});
