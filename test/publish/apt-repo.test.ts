// kiln publish apt against real clients: apt-get (signed-by, Valid-Until, Check-Date), gpgv, dpkg -x.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { aptRoot, kiln, makeKey, run, sampleDeb, tmp } from './helpers.js';

function dearmor(pubAsc: string, out: string): void {
  const r = run('gpg', ['--batch', '--yes', '--homedir', join(out, '..'), '--dearmor', '-o', out, pubAsc]);
  assert.equal(r.code, 0, r.stderr);
}

test('publish, apt-get update + download with signed-by, gpgv on Release.gpg and InRelease', async () => {
  const dir = await tmp('apt');
  const key = await makeKey(dir, 'repo');
  const hello = await sampleDeb(dir, { name: 'hello-kiln', version: '1.0-1', content: 'hello one\n' });
  const tool = await sampleDeb(dir, { name: 'libkiln-tool', version: '2.0', arch: 'all', content: 'tool\n' });
  const repo = join(dir, 'repo');
  const r = await kiln([
    'publish',
    'apt',
    '--repo',
    repo,
    '--suite',
    'stable',
    '--codename',
    'kiln1',
    '--origin',
    'Kiln',
    '--label',
    'Kiln Test',
    '--valid-for',
    '14d',
    '--sign-key',
    key.priv,
    '--json',
    hello,
    tool,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout);
  assert.deepEqual(res.added.sort(), ['hello-kiln 1.0-1 (amd64)', 'libkiln-tool 2.0 (all)']);
  assert.equal(res.signedBy, key.fingerprint);
  assert.equal(Date.parse(res.validUntil) - Date.parse(res.date), 14 * 86400_000);

  // layout
  await stat(join(repo, 'pool/main/h/hello-kiln/hello-kiln_1.0-1_amd64.deb'));
  await stat(join(repo, 'pool/main/libk/libkiln-tool/libkiln-tool_2.0_all.deb'));
  const rel = await readFile(join(repo, 'dists/stable/Release'), 'utf8');
  for (const re of [
    /^Origin: Kiln$/m,
    /^Label: Kiln Test$/m,
    /^Suite: stable$/m,
    /^Codename: kiln1$/m,
    /^Date: \w{3}, .* UTC$/m,
    /^Valid-Until: .* UTC$/m,
    /^Architectures: amd64$/m,
    /^Components: main$/m,
    /^Acquire-By-Hash: yes$/m,
    /^ [0-9a-f]{32} +\d+ main\/binary-amd64\/Packages$/m,
    /^ [0-9a-f]{64} +\d+ main\/binary-amd64\/Packages\.xz$/m,
  ]) {
    assert.match(rel, re);
  }
  // every listed file matches its SHA256 and has a by-hash copy
  const { createHash } = await import('node:crypto');
  const shaLines = rel.split('SHA256:\n')[1].trim().split('\n');
  assert.equal(shaLines.length, 3);
  for (const line of shaLines) {
    const [sha, size, path] = line.trim().split(/\s+/);
    const data = await readFile(join(repo, 'dists/stable', path));
    assert.equal(createHash('sha256').update(data).digest('hex'), sha);
    assert.equal(data.length, Number(size));
    const byHash = join(repo, 'dists/stable', path.replace(/[^/]+$/, ''), 'by-hash/SHA256', sha);
    assert.deepEqual(await readFile(byHash), data);
  }

  // gpgv with the exported public key
  const keyring = join(dir, 'gpghome', 'repo.gpg');
  await mkdir(join(dir, 'gpghome'), { mode: 0o700 });
  dearmor(key.pub, keyring);
  let v = run('gpgv', [
    '--keyring',
    keyring,
    join(repo, 'dists/stable/Release.gpg'),
    join(repo, 'dists/stable/Release'),
  ]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stderr, /Good signature/);
  v = run('gpgv', ['--keyring', keyring, join(repo, 'dists/stable/InRelease')]);
  assert.equal(v.code, 0, v.stderr);

  // apt-get in a throwaway root
  const apt = await aptRoot(join(dir, 'aptroot'), `deb [signed-by=${key.pub}] file://${repo} stable main`);
  const up = apt(['update']);
  assert.equal(up.code, 0, up.stdout + up.stderr);
  assert.doesNotMatch(up.stdout + up.stderr, /^(W|E):/m);
  const dl = join(dir, 'dl');
  await mkdir(dl);
  const got = apt(['download', 'hello-kiln', 'libkiln-tool'], dl);
  assert.equal(got.code, 0, got.stdout + got.stderr);
  assert.deepEqual((await readdir(dl)).sort(), ['hello-kiln_1.0-1_amd64.deb', 'libkiln-tool_2.0_all.deb']);
  const x = join(dir, 'x');
  assert.equal(run('dpkg', ['-x', join(dl, 'hello-kiln_1.0-1_amd64.deb'), x]).code, 0);
  assert.equal(await readFile(join(x, 'usr/share/hello-kiln/data'), 'utf8'), 'hello one\n');
  const policy = apt(['-q', 'install', '--download-only', '-y', '--no-install-recommends', 'hello-kiln=1.0-1']);
  assert.equal(policy.code, 0, policy.stdout + policy.stderr);
  // The codename works as a suite name too (dists/kiln1 -> stable).
  const byCodename = await aptRoot(join(dir, 'aptroot2'), `deb [signed-by=${key.pub}] file://${repo} kiln1 main`);
  const up2 = byCodename(['update']);
  assert.equal(up2.code, 0, up2.stdout + up2.stderr);
  assert.doesNotMatch(up2.stdout + up2.stderr, /^(W|E):/m);

  // a second version is added next to the first; apt sees both
  const hello2 = await sampleDeb(dir, { name: 'hello-kiln', version: '1.1-1', content: 'hello two\n' });
  const r2 = await kiln([
    'publish',
    'apt',
    '--repo',
    repo,
    '--suite',
    'stable',
    '--valid-for',
    '14d',
    '--sign-key',
    key.priv,
    hello2,
  ]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(r2.stdout, /added\s+hello-kiln 1\.1-1/);
  assert.equal(apt(['update']).code, 0);
  const madison = run('apt-cache', [
    '-o',
    `Dir=${join(dir, 'aptroot')}`,
    '-o',
    `Dir::State=${join(dir, 'aptroot/state')}`,
    '-o',
    `Dir::Cache=${join(dir, 'aptroot/cache')}`,
    '-o',
    `Dir::Etc::SourceList=${join(dir, 'aptroot/etc/apt/sources.list')}`,
    '-o',
    `Dir::State::status=${join(dir, 'aptroot/state/status')}`,
    'madison',
    'hello-kiln',
  ]);
  assert.match(madison.stdout, /1\.1-1/);
  assert.match(madison.stdout, /1\.0-1/);
});

test('Valid-Until in the past: apt refuses; refresh re-signs with byte-identical indexes and apt accepts', async () => {
  const dir = await tmp('apt');
  const key = await makeKey(dir, 'old', { created: new Date(Date.now() - 60 * 86400_000) });
  const deb = await sampleDeb(dir, { name: 'stale', version: '1.0' });
  const repo = join(dir, 'repo');
  const past = new Date(Date.now() - 30 * 86400_000).toISOString();
  const r = await kiln([
    'publish',
    'apt',
    '--repo',
    repo,
    '--suite',
    's',
    '--valid-for',
    '1d',
    '--date',
    past,
    '--sign-key',
    key.priv,
    deb,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const apt = await aptRoot(join(dir, 'aptroot'), `deb [signed-by=${key.pub}] file://${repo} s main`);
  const up = apt(['update']);
  assert.notEqual(up.code, 0);
  assert.match(up.stdout + up.stderr, /is no longer valid|expired/i);

  const before = await readFile(join(repo, 'dists/s/Release'), 'utf8');
  const pkgsBefore = await readFile(join(repo, 'dists/s/main/binary-amd64/Packages.xz'));
  const f = await kiln([
    'publish',
    'apt',
    'refresh',
    '--repo',
    repo,
    '--suite',
    's',
    '--valid-for',
    '7d',
    '--sign-key',
    key.priv,
  ]);
  assert.equal(f.code, 0, f.stderr);
  const after = await readFile(join(repo, 'dists/s/Release'), 'utf8');
  assert.notEqual(after.match(/^Date: .*$/m)![0], before.match(/^Date: .*$/m)![0]);
  assert.equal(after.split('MD5Sum:')[1], before.split('MD5Sum:')[1], 'index hashes unchanged');
  assert.deepEqual(await readFile(join(repo, 'dists/s/main/binary-amd64/Packages.xz')), pkgsBefore);
  const up2 = apt(['update']);
  assert.equal(up2.code, 0, up2.stdout + up2.stderr);
});

test('policy file sets Valid-Until to the shortest role expiration', async () => {
  const dir = await tmp('apt');
  const key = await makeKey(dir, 'p');
  const deb = await sampleDeb(dir, { name: 'pol', version: '1.0' });
  const policy = join(dir, 'repo-expirations.toml');
  await (
    await import('node:fs/promises')
  ).writeFile(
    policy,
    "snapshot_expiration = '2 weeks'\ntargets_expiration = '1 week'\ntimestamp_expiration = '3 days'\n",
  );
  const r = await kiln([
    'publish',
    'apt',
    '--repo',
    join(dir, 'repo'),
    '--suite',
    's',
    '--policy',
    policy,
    '--sign-key',
    key.priv,
    '--json',
    deb,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(Date.parse(j.validUntil) - Date.parse(j.date), 3 * 86400_000);
  const rel = await readFile(join(dir, 'repo/dists/s/Release'), 'utf8');
  assert.equal(
    Date.parse(rel.match(/^Valid-Until: (.*)$/m)![1]) - Date.parse(rel.match(/^Date: (.*)$/m)![1]),
    3 * 86400_000,
  );
});

test('a repository signed by a different key than the client trusts is refused by apt', async () => {
  const dir = await tmp('apt');
  const trusted = await makeKey(dir, 'trusted');
  const other = await makeKey(dir, 'other');
  const deb = await sampleDeb(dir, { name: 'wrongkey', version: '1.0' });
  const repo = join(dir, 'repo');
  assert.equal((await kiln(['publish', 'apt', '--repo', repo, '--suite', 's', '--sign-key', other.priv, deb])).code, 0);
  const apt = await aptRoot(join(dir, 'aptroot'), `deb [signed-by=${trusted.pub}] file://${repo} s main`);
  const up = apt(['update']);
  assert.match(up.stdout + up.stderr, /NO_PUBKEY|not signed|public key is not available/);
  const dl = join(dir, 'dl');
  await mkdir(dl);
  const got = apt(['download', 'wrongkey'], dl);
  assert.notEqual(got.code, 0, 'the package must not be available from an untrusted repository');
  assert.deepEqual(await readdir(dl), []);
});

test('signing keys: expired, protected (env passphrase), wrong passphrase, key from the environment, missing key', async () => {
  const dir = await tmp('apt');
  const deb = await sampleDeb(dir, { name: 'keys', version: '1.0' });
  const repo = join(dir, 'repo');
  const expired = await makeKey(dir, 'expired', { created: new Date(Date.now() - 10 * 86400_000), expiresIn: 86400 });
  let r = await kiln(['publish', 'apt', '--repo', repo, '--suite', 's', '--sign-key', expired.priv, deb]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`signing key ${expired.fingerprint} expired on`));

  const locked = await makeKey(dir, 'locked', { passphrase: 'sesame' });
  r = await kiln(['publish', 'apt', '--repo', repo, '--suite', 's', '--sign-key', locked.priv, deb]);
  assert.match(r.stderr, /the key is protected; set the passphrase in \$KILN_SIGNING_PASSPHRASE/);
  r = await kiln(['publish', 'apt', '--repo', repo, '--suite', 's', '--sign-key', locked.priv, deb], {
    KILN_SIGNING_PASSPHRASE: 'wrong',
  });
  assert.match(r.stderr, /cannot unlock the key with the passphrase from \$KILN_SIGNING_PASSPHRASE/);
  assert.equal(
    await stat(join(repo, 'dists')).then(
      () => true,
      () => false,
    ),
    false,
    'nothing published on key errors',
  );

  r = await kiln(['publish', 'apt', '--repo', repo, '--suite', 's', deb], {
    KILN_SIGNING_KEY: await readFile(locked.priv, 'utf8'),
    KILN_SIGNING_PASSPHRASE: 'sesame',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`signed by ${locked.fingerprint}`));

  r = await kiln(['publish', 'apt', '--repo', repo, '--suite', 's', deb], { KILN_SIGNING_KEY: '' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no signing key: pass --sign-key FILE or set KILN_SIGNING_KEY/);
  await (await import('node:fs/promises')).writeFile(join(dir, 'junk.asc'), 'not a key');
  r = await kiln(['publish', 'apt', '--repo', repo, '--suite', 's', '--sign-key', join(dir, 'junk.asc'), deb]);
  assert.match(r.stderr, /junk\.asc: not an armored OpenPGP private key/);
});

test('duplicates: same content is a no-op, different content refused unless --force; --keep prunes; not-a-deb refused', async () => {
  const dir = await tmp('apt');
  const key = await makeKey(dir, 'dup');
  const repo = join(dir, 'repo');
  const pub = (...args: string[]) =>
    kiln(['publish', 'apt', '--repo', repo, '--suite', 's', '--sign-key', key.priv, ...args]);
  const v1 = await sampleDeb(dir, { name: 'dup', version: '1.0', content: 'first build\n' });
  assert.equal((await pub(v1)).code, 0);
  let r = await pub(v1);
  assert.match(r.stdout, /unchanged dup 1\.0 \(amd64\)/);

  await mkdir(join(dir, 'other'));
  const rebuilt = await sampleDeb(join(dir, 'other'), { name: 'dup', version: '1.0', content: 'second build\n' });
  const releaseBefore = await readFile(join(repo, 'dists/s/Release'), 'utf8');
  r = await pub(rebuilt);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /dup 1\.0 \(amd64\) is already in suite s\/main with different content .* pass --force/);
  assert.equal(await readFile(join(repo, 'dists/s/Release'), 'utf8'), releaseBefore, 'repository untouched');
  r = await pub('--force', rebuilt);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /replaced\s+dup 1\.0/);
  const pool = join(repo, 'pool/main/d/dup/dup_1.0_amd64.deb');
  assert.deepEqual(await readFile(pool), await readFile(rebuilt));

  for (const v of ['1.1', '1.2', '2.0~rc1']) {
    const res = await pub(await sampleDeb(dir, { name: 'dup', version: v }));
    assert.equal(res.code, 0, res.stderr);
  }
  r = await pub('--keep', '2', await sampleDeb(dir, { name: 'dup', version: '2.0' }));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /removed\s+dup 1\.0 /);
  const pkgs = await readFile(join(repo, 'dists/s/main/binary-amd64/Packages'), 'utf8');
  assert.deepEqual(
    [...pkgs.matchAll(/^Version: (.*)$/gm)].map((m) => m[1]),
    ['2.0~rc1', '2.0'],
  );
  assert.deepEqual((await readdir(join(repo, 'pool/main/d/dup'))).sort(), [
    'dup_2.0_amd64.deb',
    'dup_2.0~rc1_amd64.deb',
  ]);

  await (await import('node:fs/promises')).writeFile(join(dir, 'fake.deb'), 'hello');
  r = await pub(join(dir, 'fake.deb'));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /fake\.deb: not a valid \.deb/);
  r = await pub(join(dir, 'missing.deb'));
  assert.match(r.stderr, /missing\.deb: no such file/);
});

test('atomic swap: dists/<suite> is a symlink to a complete generation; older generations are pruned', async () => {
  const dir = await tmp('apt');
  const repo = join(dir, 'repo');
  for (const v of ['1', '2', '3']) {
    const r = await kiln([
      'publish',
      'apt',
      '--repo',
      repo,
      '--suite',
      's',
      '--unsigned',
      await sampleDeb(dir, { name: 'gen', version: v }),
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
  const target = await readlink(join(repo, 'dists/s'));
  assert.match(target, /^\.kiln-snapshots\/s\/\d{8}T\d{6}-[0-9a-f]{8}$/);
  assert.equal((await readdir(join(repo, 'dists/.kiln-snapshots/s'))).length, 2, 'current + previous generation');
  const rel = await readFile(join(repo, 'dists/s/Release'), 'utf8');
  assert.doesNotMatch(rel, /Valid-Until/);
  await assert.rejects(stat(join(repo, 'dists/s/InRelease')), /ENOENT/);
});
