// `kiln image bootstrap`: spec parsing and hashing, mmdebstrap arguments, the docker-load archive layout,
// mirror errors, and (with Docker) the skip-when-built path of the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { execFileSync, spawnSync } from 'node:child_process';
import { defaultTag, parseBootstrapSpec, specArchitectures, specHash } from '../../src/images/spec.js';
import { imageArchive } from '../../src/images/archive.js';
import { checkMirror, mmdebstrapArgs, splitTag } from '../../src/images/bootstrap.js';
import { UsageError } from '../../src/errors.js';
import { AMD64_SPEC, dockerOrSkip, testImage } from '../docker/helpers.js';

test('spec: deterministic tag from the spec hash; order of --include does not matter', () => {
  const a = parseBootstrapSpec({ target: 'debian:bookworm', include: ['busybox,zlib1g-dev:arm64'] });
  const b = parseBootstrapSpec({ target: 'debian:bookworm', include: ['zlib1g-dev:arm64', 'busybox'] });
  assert.equal(specHash(a), specHash(b));
  assert.match(defaultTag(a), /^kiln\/debian-bookworm-amd64:[0-9a-f]{12}$/);
  assert.equal(defaultTag(a), defaultTag(b));
  const arm = parseBootstrapSpec({
    target: 'debian:bookworm',
    arch: 'arm64',
    include: ['busybox', 'zlib1g-dev:arm64'],
  });
  assert.notEqual(specHash(arm), specHash(a));
  assert.match(defaultTag(arm), /^kiln\/debian-bookworm-arm64:/);
  const mirror = parseBootstrapSpec({
    target: 'debian:bookworm',
    include: ['busybox', 'zlib1g-dev:arm64'],
    mirror: 'http://example.org/debian/',
  });
  assert.notEqual(specHash(mirror), specHash(a));
  assert.equal(mirror.mirror, 'http://example.org/debian');
});

test('spec: bad input is a UsageError naming the problem', () => {
  assert.throws(() => parseBootstrapSpec({ target: 'bookworm' }), /"bookworm" is not <distro>:<suite>/);
  assert.throws(
    () => parseBootstrapSpec({ target: 'debian:bookworm', arch: 'mips' }),
    /--arch must be one of amd64, arm64/,
  );
  assert.throws(
    () => parseBootstrapSpec({ target: 'debian:bookworm', include: ['bad pkg'] }),
    /"bad pkg" is not a package name/,
  );
  assert.throws(
    () => parseBootstrapSpec({ target: 'alpine:3.19' }),
    /no mirror for "alpine": the host's apt sources .* give one with --mirror URL/,
  );
  assert.throws(
    () => parseBootstrapSpec({ target: 'debian:bookworm', sources: ['http://x bookworm main'] }),
    UsageError,
  );
});

test('multiarch: pkg:arch adds the foreign architecture to mmdebstrap; extra sources follow the mirror', () => {
  const spec = parseBootstrapSpec({
    target: 'debian:bookworm',
    include: ['zlib1g-dev:arm64,busybox'],
    sources: ['deb http://mirror.example/debian bookworm-updates main'],
    mirror: 'http://mirror.example/debian',
  });
  assert.deepEqual(specArchitectures(spec), ['amd64', 'arm64']);
  assert.deepEqual(mmdebstrapArgs(spec, '/tmp/out.tar'), [
    '--variant=minbase',
    '--format=tar',
    '--architectures=amd64,arm64',
    '--include=busybox,zlib1g-dev:arm64',
    'bookworm',
    '/tmp/out.tar',
    'http://mirror.example/debian',
    'deb http://mirror.example/debian bookworm-updates main',
  ]);
  assert.deepEqual(splitTag('kiln/debian-bookworm-amd64:abc'), ['kiln/debian-bookworm-amd64', 'abc']);
  assert.deepEqual(splitTag('localhost:5000/img'), ['localhost:5000/img', 'latest']);
});

test('image archive: manifest, config with the architecture, layer whose sha256 is the diff id', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-archive-'));
  mkdirSync(join(dir, 'root', 'etc'), { recursive: true });
  writeFileSync(join(dir, 'root', 'etc', 'hostname'), 'kiln\n');
  execFileSync('tar', ['-C', join(dir, 'root'), '-cf', join(dir, 'rootfs.tar'), '.']);
  const { stream, imageId } = await imageArchive(join(dir, 'rootfs.tar'), {
    arch: 'arm64',
    tag: 'kiln/test:1',
    labels: { 'io.kiln.image.spec': 'abc' },
    created: '2024-01-01T00:00:00.000Z',
  });
  await pipeline(stream, createWriteStream(join(dir, 'image.tar')));
  mkdirSync(join(dir, 'x'));
  execFileSync('tar', ['-C', join(dir, 'x'), '-xf', join(dir, 'image.tar')]);
  const manifest = JSON.parse(readFileSync(join(dir, 'x', 'manifest.json'), 'utf8'));
  assert.equal(manifest.length, 1);
  assert.deepEqual(manifest[0].RepoTags, ['kiln/test:1']);
  const configText = readFileSync(join(dir, 'x', manifest[0].Config));
  assert.equal(`sha256:${createHash('sha256').update(configText).digest('hex')}`, imageId);
  const config = JSON.parse(configText.toString());
  assert.equal(config.architecture, 'arm64');
  assert.equal(config.os, 'linux');
  assert.equal(config.config.Labels['io.kiln.image.spec'], 'abc');
  const layer = readFileSync(join(dir, 'x', manifest[0].Layers[0]));
  assert.deepEqual(layer, readFileSync(join(dir, 'rootfs.tar')));
  assert.equal(config.rootfs.diff_ids[0], `sha256:${createHash('sha256').update(layer).digest('hex')}`);
});

test('mirror unreachable or suite missing: clear errors before mmdebstrap runs', async () => {
  const dead = parseBootstrapSpec({ target: 'debian:bookworm', mirror: 'http://127.0.0.1:59999/debian' });
  await assert.rejects(
    checkMirror(dead, 5000),
    /mirror http:\/\/127\.0\.0\.1:59999\/debian is unreachable \(ECONNREFUSED\); check the network or give a reachable mirror with --mirror URL/,
  );
  const missing = parseBootstrapSpec({ target: 'debian:no-such-suite' });
  await assert.rejects(
    checkMirror(missing, 15000),
    /suite "no-such-suite" not found on mirror http:\/\/deb\.debian\.org\/debian|unreachable/,
  );
});

test('bootstrap CLI: an image with the same spec is found and the build is skipped', async (t) => {
  const docker = await dockerOrSkip(t);
  if (!docker) return;
  const tag = await testImage(AMD64_SPEC);
  const r = spawnSync(
    process.execPath,
    [
      'bin/kiln.js',
      'image',
      'bootstrap',
      'debian:bookworm',
      '--include',
      'zlib1g-dev:arm64',
      '--include',
      'busybox',
      '--json',
    ],
    { encoding: 'utf8', env: { ...process.env, KILN_FROM_SOURCE: '1' } },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.skipped, true);
  assert.equal(out.tag, tag);
  const info = await docker.getImage(tag).inspect();
  assert.equal(info.Architecture, 'amd64');
  assert.equal(info.Config.Labels['io.kiln.image.spec'], out.specHash);
  const bad = spawnSync(
    process.execPath,
    [
      'bin/kiln.js',
      'image',
      'bootstrap',
      'debian:bookworm',
      '--include',
      'busybox',
      '--mirror',
      'http://127.0.0.1:59999/debian',
    ],
    { encoding: 'utf8', env: { ...process.env, KILN_FROM_SOURCE: '1' } },
  );
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /kiln: mirror http:\/\/127\.0\.0\.1:59999\/debian is unreachable/);
});
