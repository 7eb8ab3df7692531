// Zip archives of runner artifacts and caches: modes and symlinks survive a round trip; hostile archives (names
// with "..", absolute names, writes through a symlink in the archive or already in the workspace, garbage) are
// refused without writing outside the destination.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { unzipTo, zipPaths } from '../../src/runner/archive.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'kiln-archive-'));

test('round trip: files, modes, empty directories, symlinks inside the tree', async () => {
  const src = tmp();
  mkdirSync(join(src, 'out/empty'), { recursive: true });
  writeFileSync(join(src, 'out/tool'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  writeFileSync(join(src, 'out/data.txt'), 'data\n', { mode: 0o640 });
  symlinkSync('tool', join(src, 'out/link'));
  const zip = await zipPaths(src, ['out', 'out/data.txt', 'out/empty', 'out/link', 'out/tool']);
  const dst = tmp();
  assert.equal(await unzipTo(dst, zip), 3);
  assert.equal(statSync(join(dst, 'out/tool')).mode & 0o777, 0o755);
  assert.equal(statSync(join(dst, 'out/data.txt')).mode & 0o777, 0o640);
  assert.ok(statSync(join(dst, 'out/empty')).isDirectory());
  assert.equal(readlinkSync(join(dst, 'out/link')), 'tool');
  assert.equal(readFileSync(join(dst, 'out/link'), 'utf8'), '#!/bin/sh\necho hi\n');
});

test('hostile archives are refused and write nothing outside the destination', async () => {
  const outside = tmp();
  const dst = join(tmp(), 'ws');
  mkdirSync(dst);
  const cases: [string, Uint8Array][] = [
    ['dot-dot', zipSync({ '../evil.txt': new TextEncoder().encode('x') })],
    ['nested dot-dot', zipSync({ 'a/../../evil.txt': new TextEncoder().encode('x') })],
    ['absolute', zipSync({ [`${outside}/evil.txt`]: new TextEncoder().encode('x') })],
  ];
  for (const [what, zip] of cases) {
    await assert.rejects(unzipTo(dst, Buffer.from(zip)), /outside the project directory/, what);
  }
  // A symlink in the archive pointing out, then an entry written through it.
  const unixLink = zipSync({
    esc: [new TextEncoder().encode(outside), { os: 3, attrs: (0o120777 << 16) >>> 0 }],
    'esc/evil.txt': new TextEncoder().encode('x'),
  });
  await assert.rejects(unzipTo(dst, Buffer.from(unixLink)), /through the symlink "esc"/);
  // A symlink the job left in the workspace.
  symlinkSync(outside, join(dst, 'planted'));
  await assert.rejects(
    unzipTo(dst, Buffer.from(zipSync({ 'planted/evil.txt': new TextEncoder().encode('x') }))),
    /through the symlink "planted"/,
  );
  assert.equal(existsSync(join(outside, 'evil.txt')), false);
  assert.ok(lstatSync(join(dst, 'planted')).isSymbolicLink());
  await assert.rejects(unzipTo(dst, Buffer.from('not a zip at all, just text')), /not a zip archive/);
});
