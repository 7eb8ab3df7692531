// Unit tests for the small formats: Debian version ordering, ar/tar round trips, durations and policies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareVersions } from '../../src/publish/deb/version.js';
import { readAr, writeAr } from '../../src/publish/deb/ar.js';
import { readTar, writeTar } from '../../src/publish/deb/tar.js';
import { parseDuration, policyFromFile } from '../../src/publish/apt/policy.js';
import { poolPath } from '../../src/publish/apt/packages-index.js';
import { parseSingleParagraph } from '../../src/publish/deb/control.js';
import { run, tmp } from './helpers.js';

test('Debian version comparison matches dpkg --compare-versions', () => {
  const pairs = [
    ['1.0', '1.0-1'],
    ['1.0~rc1', '1.0'],
    ['1:0.1', '2.0'],
    ['1.0a', '1.0+'],
    ['1.10', '1.9'],
    ['2.0-1', '2.0-1ubuntu1'],
    ['1.0~~', '1.0~'],
    ['0.9', '0.9.0'],
    ['1.0-1', '1.0-1'],
    ['7.6p2-4', '7.6-0'],
    ['1.2.3', '1.2.3~beta'],
    ['10', '9a'],
  ];
  for (const [a, b] of pairs) {
    const ours = Math.sign(compareVersions(a, b));
    const lt = run('dpkg', ['--compare-versions', a, 'lt', b]).code === 0;
    const eq = run('dpkg', ['--compare-versions', a, 'eq', b]).code === 0;
    assert.equal(ours, lt ? -1 : eq ? 0 : 1, `${a} vs ${b}`);
  }
});

test('ar and tar round trips, including odd sizes and long names', () => {
  const ar = writeAr([
    { name: 'debian-binary', data: Buffer.from('2.0\n') },
    { name: 'odd', data: Buffer.from('abc') },
    { name: 'z', data: Buffer.from('') },
  ]);
  const back = readAr(ar);
  assert.deepEqual(
    back.map((m) => [m.name, m.data.toString()]),
    [
      ['debian-binary', '2.0\n'],
      ['odd', 'abc'],
      ['z', ''],
    ],
  );
  assert.throws(() => readAr(ar.subarray(0, 70)), /truncated/);

  const long = './' + 'd'.repeat(120) + '/' + 'f'.repeat(120);
  const tar = writeTar([
    { path: './', type: 'dir', mode: 0o755, mtime: 5 },
    { path: long, type: 'file', mode: 0o644, mtime: 5, data: Buffer.from('x') },
    { path: './l', type: 'symlink', mode: 0o777, mtime: 5, linkname: 't'.repeat(150) },
  ]);
  const entries = readTar(tar);
  assert.deepEqual(
    entries.map((e) => [e.path, e.type, e.uname, e.uid]),
    [
      ['./', 'dir', 'root', 0],
      [long, 'file', 'root', 0],
      ['./l', 'symlink', 'root', 0],
    ],
  );
  assert.equal(entries[2].linkname, 't'.repeat(150));
  const corrupt = Buffer.from(tar);
  corrupt[10] ^= 1;
  assert.throws(() => readTar(corrupt), /checksum/);
});

test('durations and Bottlerocket-style expiration policies', async () => {
  assert.equal(parseDuration('14d'), 14 * 86400);
  assert.equal(parseDuration('2 weeks'), 14 * 86400);
  assert.equal(parseDuration('1 week 2 days'), 9 * 86400);
  assert.equal(parseDuration('12h'), 43200);
  assert.equal(parseDuration('fortnight'), undefined);
  assert.equal(parseDuration('14'), undefined);

  const dir = await tmp('policy');
  const toml = join(dir, 'repo-expirations.toml');
  await writeFile(
    toml,
    "snapshot_expiration = '2 weeks'\ntargets_expiration = '1 week'\ntimestamp_expiration = '3 days'\n",
  );
  const p = await policyFromFile(toml);
  assert.equal(p.validForSeconds, 3 * 86400);
  assert.deepEqual(p.roles, { snapshot: 14 * 86400, targets: 7 * 86400, timestamp: 3 * 86400 });
  const json = join(dir, 'p.json');
  await writeFile(
    json,
    JSON.stringify({ snapshot_expiration: '1 day', targets_expiration: '2 days', timestamp_expiration: '3 days' }),
  );
  assert.equal((await policyFromFile(json)).validForSeconds, 86400);
  await writeFile(
    toml,
    "snapshot_expiration = '2 weeks'\ntargets_expiration = 'soon'\ntimestamp_expiration = '3 days'\n",
  );
  await assert.rejects(
    policyFromFile(toml),
    /repo-expirations\.toml:2:1: targets_expiration: "soon" is not a duration/,
  );
  await writeFile(toml, "snapshot_expiration = '2 weeks'\n");
  await assert.rejects(policyFromFile(toml), /targets_expiration: required field is missing/);
  await writeFile(toml, 'snapshot_expiration = \n');
  await assert.rejects(policyFromFile(toml), /cannot parse/);
});

test('pool layout uses the source name and the lib prefix', () => {
  const ctl = (text: string) => parseSingleParagraph(text, 't');
  assert.equal(
    poolPath('main', ctl('Package: libfoo1\nVersion: 1:2.0-1\nArchitecture: arm64\nSource: libfoo (2.0-1)\n')),
    'pool/main/libf/libfoo/libfoo1_2.0-1_arm64.deb',
  );
  assert.equal(
    poolPath('contrib', ctl('Package: hello\nVersion: 1.0\nArchitecture: all\n')),
    'pool/contrib/h/hello/hello_1.0_all.deb',
  );
});

test('aptly prefix encoding for URLs', async () => {
  const { encodePrefix, splitStorage } = await import('../../src/publish/aptly/publish.js');
  assert.equal(encodePrefix('.'), ':.');
  assert.equal(encodePrefix('team/x_y'), ':team_x__y');
  assert.equal(encodePrefix('s3:bucket:ubuntu/trunk'), 's3:bucket:ubuntu_trunk');
  assert.deepEqual(splitStorage('s3:bucket:pre'), { storage: 's3:bucket', prefix: 'pre' });
  assert.deepEqual(splitStorage('pre'), { storage: '', prefix: 'pre' });
});

test('xz: sizes from the xz index, batched decompression, and per-input errors', async () => {
  const { compress, decompress } = await import('../../src/publish/compress.js');
  const { xzUncompressedSize, XzBatcher } = await import('../../src/publish/xz-batch.js');
  const inputs = [Buffer.from('alpha\n'.repeat(100)), Buffer.from(''), Buffer.from('x'.repeat(70000) + 'end')];
  const packed = await Promise.all(inputs.map((b) => compress(b, 'xz')));
  assert.deepEqual(
    packed.map((p) => xzUncompressedSize(p)),
    inputs.map((b) => b.length),
  );
  assert.equal(xzUncompressedSize(Buffer.concat([packed[0], packed[2]])), inputs[0].length + inputs[2].length);
  assert.equal(xzUncompressedSize(Buffer.from('not xz at all, no')), undefined);

  let runs = 0;
  const { spawnSync } = await import('node:child_process');
  const batcher = new XzBatcher(async (input) => {
    runs++;
    const r = spawnSync('xz', ['-dc'], { input });
    if (r.status !== 0) throw new Error(String(r.stderr));
    return r.stdout;
  });
  const out = await Promise.all(packed.map((p) => batcher.decompress(p)));
  assert.deepEqual(out, inputs);
  assert.equal(runs, 1, 'one xz process for the whole batch');

  runs = 0;
  const corrupt = Buffer.from(packed[2]);
  corrupt[corrupt.length - 30] ^= 0xff;
  const results = await Promise.allSettled([batcher.decompress(packed[0]), batcher.decompress(corrupt)]);
  assert.equal(results[0].status, 'fulfilled');
  assert.deepEqual((results[0] as PromiseFulfilledResult<Buffer>).value, inputs[0]);
  assert.equal(results[1].status, 'rejected');
  // And through the module-level decompressor used by .deb reading.
  assert.deepEqual(await decompress(packed[2], 'xz'), inputs[2]);
});
