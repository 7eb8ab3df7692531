// The target database: the versions the issue names, sources on every row, aliases, user targets from kiln.toml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AbiTargetError } from '../../src/abi/errors.js';
import { builtinDb, findTarget, resolveTargets, withUserTargets } from '../../src/abi/targets.js';

const db = builtinDb();

test('known glibc versions of the named targets', () => {
  const expect: Record<string, string> = {
    'uos-20': '2.28',
    'kylin-desktop-v10-sp1': '2.31',
    'kylin-server-v10': '2.28',
    'rhel-8': '2.28',
    'rhel-7': '2.17',
    'rhel-9': '2.34',
    'openeuler-20.03': '2.28',
    'openeuler-22.03': '2.34',
    'openeuler-24.03': '2.38',
    'debian-9': '2.24',
    'debian-10': '2.28',
    'debian-11': '2.31',
    'debian-12': '2.36',
    'debian-13': '2.41',
    'ubuntu-16.04': '2.23',
    'ubuntu-18.04': '2.27',
    'ubuntu-20.04': '2.31',
    'ubuntu-22.04': '2.35',
    'ubuntu-24.04': '2.39',
    'amazonlinux-2': '2.26',
    'amazonlinux-2023': '2.34',
    manylinux2014: '2.17',
    manylinux_2_28: '2.28',
    manylinux_2_31: '2.31',
    manylinux_2_34: '2.34',
    'deepin-20': '2.28',
  };
  for (const [id, glibc] of Object.entries(expect)) assert.equal(findTarget(db, id)?.glibc, glibc, id);
  assert.equal(findTarget(db, 'alpine')?.libc, 'musl');
  assert.equal(findTarget(db, 'deepin-23')?.glibc, '2.38');
});

test('every row names its source; base sonames expanded; aliases resolve', () => {
  for (const t of db.targets) {
    assert.ok(t.source.length > 10, `${t.id} has a source`);
    assert.ok(t.sonames.length > 0, `${t.id} has sonames`);
    assert.ok(!t.sonames.some((s) => s.startsWith('@')), `${t.id} soname sets expanded`);
  }
  assert.ok(findTarget(db, 'debian-12')?.sonames.includes('libstdc++.so.6'));
  assert.ok(findTarget(db, 'debian-12')?.sonames.includes('ld-linux-aarch64.so.1'));
  assert.equal(findTarget(db, 'centos-7')?.id, 'rhel-7');
  assert.equal(findTarget(db, 'Rocky-8')?.id, 'rhel-8');
  assert.equal(findTarget(db, 'alma-9')?.id, 'rhel-9');
  assert.equal(findTarget(db, 'bullseye')?.id, 'debian-11');
  assert.equal(db.archBaselines.aarch64, '2.17');
  assert.throws(
    () => resolveTargets(db, ['nosuch-os']),
    (e: unknown) => e instanceof AbiTargetError && /unknown target "nosuch-os"/.test(e.message),
  );
});

test('user targets: extends, overrides, extra sonames, validation errors name the key', () => {
  const user = withUserTargets(
    db,
    {
      'corp-os': { extends: 'kylin-desktop-v10-sp1', glibc: '2.30', extra_sonames: ['libssl.so.1.1'] },
      tiny: { glibc: '2.36', source: 'our appliance', sonames: ['libc.so.6'] },
    },
    '/p/kiln.toml',
  );
  const corp = findTarget(user, 'corp-os');
  assert.equal(corp?.glibc, '2.30');
  assert.equal(corp?.glibcxx, '3.4.28');
  assert.ok(corp?.sonames.includes('libssl.so.1.1') && corp.sonames.includes('libc.so.6'));
  assert.match(corp?.source ?? '', /extends kylin-desktop-v10-sp1/);
  assert.equal(corp?.origin, '/p/kiln.toml');
  assert.deepEqual(findTarget(user, 'tiny')?.sonames, ['libc.so.6']);
  assert.equal(findTarget(db, 'corp-os'), undefined, 'the built-in database is not modified');
  const bad = (row: Record<string, unknown>, re: RegExp) =>
    assert.throws(
      () => withUserTargets(db, { x: row }, 'k.toml'),
      (e: unknown) => e instanceof AbiTargetError && re.test(e.message),
    );
  bad({ extends: 'nope' }, /k\.toml: abi:targets:x:extends: unknown target "nope"/);
  bad({ glibc: 2.3, source: 's' }, /abi:targets:x:glibc: write the version as a quoted string/);
  bad({ glibc: 'two', source: 's' }, /abi:targets:x:glibc: must be a version/);
  bad({ source: 's' }, /needs its glibc version/);
  bad({ glibc: '2.31', source: 's', libc: 'bionic' }, /libc: must be "glibc" or "musl"/);
  assert.throws(() => withUserTargets(db, { x: 'str' }, 'k.toml'), /abi:targets:x: must be a table/);
});
