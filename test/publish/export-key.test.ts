// kiln publish apt --export-key: the repository carries its public key, which gpgv and apt-get accept as is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { aptRoot, kiln, makeKey, run, sampleDeb, tmp } from './helpers.js';

test('--export-key writes a binary keyring (gpgv, apt signed-by) or an armored key, on add and on refresh', async () => {
  const dir = await tmp('apt-key');
  const key = await makeKey(dir, 'repo');
  const deb = await sampleDeb(dir, { name: 'hello-kiln', version: '1.0', content: 'hello\n' });
  const repo = join(dir, 'repo');
  const r = await kiln([
    'publish',
    'apt',
    '--repo',
    repo,
    '--suite',
    'stable',
    '--sign-key',
    key.priv,
    '--export-key',
    'kiln-archive-keyring.gpg',
    '--json',
    deb,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const keyring = join(repo, 'kiln-archive-keyring.gpg');
  assert.equal(JSON.parse(r.stdout).publicKey, keyring);
  const bin = await readFile(keyring);
  assert.ok(bin[0] & 0x80, 'binary OpenPGP packets, not armor');
  const v = run('gpgv', ['--keyring', keyring, join(repo, 'dists/stable/InRelease')]);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stderr, /Good signature/);
  const apt = await aptRoot(join(dir, 'aptroot'), `deb [signed-by=${keyring}] file://${repo} stable main`);
  const up = apt(['update']);
  assert.equal(up.code, 0, up.stdout + up.stderr);
  assert.doesNotMatch(up.stdout + up.stderr, /^(W|E):/m);

  await rm(keyring);
  const ref = await kiln([
    'publish',
    'apt',
    'refresh',
    '--repo',
    repo,
    '--suite',
    'stable',
    '--sign-key',
    key.priv,
    '--export-key',
    join(dir, 'repo-key.asc'),
  ]);
  assert.equal(ref.code, 0, ref.stderr);
  assert.match(ref.stdout, /public key written to .*repo-key\.asc/);
  const armored = await readFile(join(dir, 'repo-key.asc'), 'utf8');
  assert.match(armored, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
  assert.doesNotMatch(armored, /PRIVATE/);

  const bad = await kiln([
    'publish',
    'apt',
    '--repo',
    repo,
    '--suite',
    'stable',
    '--unsigned',
    '--export-key',
    'k.gpg',
    deb,
  ]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--export-key needs a signing key/);
});
