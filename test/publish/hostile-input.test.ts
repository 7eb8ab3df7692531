// Hostile or unlucky input to deb build/show and publish apt/aptly: names that would escape the repository,
// line breaks that would inject control or Release fields, crafted control files, devices and FIFOs instead of
// .deb files. Each is refused with a clear message (no stack trace), before anything is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { kiln, sampleDeb, tmp } from './helpers.js';
import { writeAr } from '../../src/publish/deb/ar.js';
import { writeTar } from '../../src/publish/deb/tar.js';

/** A .deb whose control member is exactly `control` (no validation on the way). */
async function craftedDeb(path: string, control: string): Promise<string> {
  const ctl = writeTar([
    { path: './', type: 'dir', mode: 0o755, mtime: 0 },
    { path: './control', type: 'file', mode: 0o644, mtime: 0, data: Buffer.from(control) },
  ]);
  const data = writeTar([{ path: './', type: 'dir', mode: 0o755, mtime: 0 }]);
  await writeFile(
    path,
    writeAr([
      { name: 'debian-binary', data: Buffer.from('2.0\n') },
      { name: 'control.tar.gz', data: gzipSync(ctl) },
      { name: 'data.tar.gz', data: gzipSync(data) },
    ]),
  );
  return path;
}

const noStack = (stderr: string) =>
  assert.doesNotMatch(stderr, /^\s+at .*\(.*:\d+:\d+\)$|Node\.js v\d/m, 'no stack trace');

test('--architectures and --suite must be Debian names: nothing is written outside the repository', async () => {
  const dir = await tmp('hostile');
  const repo = join(dir, 'repo');
  const deb = await sampleDeb(dir, { name: 'hello', version: '1.0' });
  const escape = join(dir, 'escaped');
  for (const arches of [`/../../../..${escape}`, '../x', 'amd64,Arm64', 'arm64\nValid-Until: never']) {
    const r = await kiln([
      'publish',
      'apt',
      '--repo',
      repo,
      '--suite',
      's',
      '--unsigned',
      '--architectures',
      arches,
      deb,
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--architectures ".*": not a Debian architecture name/);
    noStack(r.stderr);
  }
  for (const suite of ['../up', 'a/b', '.hidden']) {
    const r = await kiln(['publish', 'apt', '--repo', repo, '--suite', suite, '--unsigned', deb]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--suite ".*": use letters, digits/);
  }
  assert.equal(existsSync(escape), false);
  assert.equal(existsSync(join(dir, 'x')), false);
  assert.equal(existsSync(join(repo, 'dists')), false, 'nothing published');
});

test('a line break in publish --origin/--label/--description/--codename is refused (no injected Release fields)', async () => {
  const dir = await tmp('hostile');
  const deb = await sampleDeb(dir, { name: 'hello', version: '1.0' });
  for (const flag of ['--origin', '--label', '--description', '--codename']) {
    const r = await kiln([
      'publish',
      'apt',
      '--repo',
      join(dir, 'repo'),
      '--suite',
      's',
      '--unsigned',
      flag,
      'x\nValid-Until: Sat, 01 Jan 2100 00:00:00 UTC',
      deb,
    ]);
    assert.equal(r.code, 2, `${flag}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${flag}.*(one line|letters, digits)`));
    noStack(r.stderr);
  }
  assert.equal(existsSync(join(dir, 'repo', 'dists')), false);
});

test('a line break in deb build --depends/--maintainer/--section/--priority/--homepage is refused', async () => {
  const dir = await tmp('hostile');
  const root = join(dir, 'root');
  await mkdir(join(root, 'usr/share/x'), { recursive: true });
  await writeFile(join(root, 'usr/share/x/f'), 'x');
  const base = [
    'deb',
    'build',
    '--root',
    root,
    '--name',
    'inj',
    '--version',
    '1.0',
    '--arch',
    'amd64',
    '--maintainer',
    'M <m@x.invalid>',
    '--description',
    'd',
    '-o',
    join(dir, 'out.deb'),
  ];
  for (const [flag, value] of [
    ['--depends', 'libc6\nEssential: yes'],
    ['--maintainer', 'M <m@x.invalid>\nEssential: yes'],
    ['--section', 'utils\nEssential: yes'],
    ['--priority', 'optional\nEssential: yes'],
    ['--homepage', 'https://x.invalid/\nEssential: yes'],
  ]) {
    const r = await kiln([...base, flag, value]);
    assert.equal(r.code, 2, `${flag}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${flag} ".*": the value must be one line`));
    noStack(r.stderr);
  }
  assert.equal(existsSync(join(dir, 'out.deb')), false);

  await writeFile(join(root, 'usr/share/x/two\nlines'), 'x');
  const r = await kiln(base);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /two\nlines: a file name with a line break cannot go into a \.deb \(dpkg refuses it\)/);
});

test('a crafted .deb with Package: ../../evil is refused with a clear error by show, publish apt and publish aptly', async () => {
  const dir = await tmp('hostile');
  const evil = await craftedDeb(
    join(dir, 'evil.deb'),
    'Package: ../../evil\nVersion: 1.0\nArchitecture: amd64\nMaintainer: M <m@x.invalid>\nDescription: d\n',
  );
  const repo = join(dir, 'repo');
  for (const args of [
    ['deb', 'show', evil],
    ['publish', 'apt', '--repo', repo, '--suite', 's', '--unsigned', evil],
    ['publish', 'aptly', '--url', 'http://127.0.0.1:9', '--repo', 'r', '--distribution', 'd', '--skip-signing', evil],
  ]) {
    const r = await kiln(args);
    assert.equal(r.code, 1, `${args[1]}: ${r.stderr}`);
    assert.match(r.stderr, /^kiln: .*evil\.deb:control:1:1: Package: "\.\.\/\.\.\/evil" is not a valid package name/m);
    noStack(r.stderr);
  }
  assert.deepEqual(existsSync(repo) ? (await readdir(repo)).filter((n) => n !== 'pool' && !n.startsWith('.')) : [], []);
});

test('deb show and publish refuse devices and FIFOs without reading them', async () => {
  const dir = await tmp('hostile');
  const fifo = join(dir, 'pipe.deb');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  for (const [file, kind] of [
    ['/dev/zero', 'a device'],
    [fifo, 'a FIFO'],
    [dir, 'a directory'],
  ]) {
    const r = await kiln(['deb', 'show', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim(), `kiln: ${file}: is ${kind}, not a .deb file`);
  }
  const r = await kiln(['publish', 'apt', '--repo', join(dir, 'repo'), '--suite', 's', '--unsigned', '/dev/zero']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /\/dev\/zero: is a device, not a \.deb file/);
});
