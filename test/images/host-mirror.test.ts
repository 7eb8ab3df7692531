// `kiln image bootstrap` without --mirror: the mirror comes from the host's apt sources (one-line and deb822),
// never from a host name built into kiln; Ubuntu's NO_PUBKEY gets a --keyring hint and mmdebstrap's output is
// shown once; a file:// extra source is explained (copy://).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { hostMirror } from '../../src/images/host-mirror.js';
import { parseBootstrapSpec } from '../../src/images/spec.js';
import { keyHint, mmdebstrapArgs } from '../../src/images/bootstrap.js';
import { dockerOrSkip } from '../docker/helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');

function aptRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kiln-aptroot-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

test('the default mirror is read from the host apt sources: sources.list, *.list and deb822 *.sources', () => {
  const deb822 = aptRoot({
    'etc/os-release': 'ID=debian\n',
    'etc/apt/sources.list.d/off.sources':
      'Types: deb\nURIs: http://disabled.invalid/debian\nSuites: bookworm\nEnabled: no\n',
    'etc/apt/sources.list.d/debian.sources':
      'Types: deb\n# comment\nURIs: http://mirror.corp.invalid/debian/\nSuites: bookworm bookworm-updates\n' +
      'Components: main\n\nTypes: deb\nURIs: http://mirror.corp.invalid/debian-security\nSuites: bookworm-security\n',
  });
  assert.deepEqual(hostMirror('debian', deb822), {
    mirror: 'http://mirror.corp.invalid/debian',
    file: join(deb822, 'etc/apt/sources.list.d/debian.sources'),
  });
  assert.equal(
    parseBootstrapSpec({ target: 'debian:bullseye', aptRoot: deb822 }).mirror,
    'http://mirror.corp.invalid/debian',
  );
  assert.equal(hostMirror('ubuntu', deb822), undefined, 'a Debian host names no Ubuntu mirror');
  assert.throws(
    () => parseBootstrapSpec({ target: 'ubuntu:noble', aptRoot: deb822 }),
    /no mirror for "ubuntu": the host's apt sources \(\/etc\/apt\/sources\.list, \/etc\/apt\/sources\.list\.d\/\) name none whose path ends in \/ubuntu; give one with --mirror URL/,
  );
  assert.equal(
    parseBootstrapSpec({ target: 'ubuntu:noble', aptRoot: deb822, mirror: 'http://m.invalid/ubuntu' }).mirror,
    'http://m.invalid/ubuntu',
  );

  const oneLine = aptRoot({
    'etc/os-release': 'ID=ubuntu\n',
    'etc/apt/sources.list':
      '# deb http://commented.invalid/ubuntu jammy main\ndeb [arch=amd64 signed-by=/k.gpg] http://cn.archive.invalid/ubuntu/ jammy main\n',
    'etc/apt/sources.list.d/x.list': 'deb http://apt.corp.invalid/tools stable main\n',
  });
  assert.equal(hostMirror('ubuntu', oneLine)?.mirror, 'http://cn.archive.invalid/ubuntu');
  // The host runs the distro but its mirror has another path: its first non-security source.
  const odd = aptRoot({
    'etc/os-release': 'ID="debian"\n',
    'etc/apt/sources.list':
      'deb http://security.invalid/debian-security bookworm-security main\ndeb http://m.invalid/pub/deb bookworm main\n',
  });
  assert.equal(hostMirror('debian', odd)?.mirror, 'http://m.invalid/pub/deb');
});

test('a file:// extra source is explained (copy://); --keyring reaches mmdebstrap; NO_PUBKEY gets a hint', () => {
  assert.throws(
    () =>
      parseBootstrapSpec({
        target: 'debian:bookworm',
        mirror: 'http://m.invalid/debian',
        sources: ['deb [trusted=yes] file:///srv/repo ./'],
      }),
    /a file:\/\/ source is read from inside the image being built, where \/srv\/repo does not exist; write it as copy:\/\/\/srv\/repo/,
  );
  const spec = parseBootstrapSpec({
    target: 'ubuntu:noble',
    mirror: 'http://m.invalid/ubuntu',
    sources: ['deb [trusted=yes] copy:///srv/repo ./'],
  });
  assert.deepEqual(mmdebstrapArgs(spec, '/o.tar', ['/usr/share/keyrings/ubuntu-archive-keyring.gpg']).slice(0, 4), [
    '--variant=minbase',
    '--format=tar',
    '--architectures=amd64',
    '--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg',
  ]);
  assert.match(
    keyHint(spec, 'W: GPG error: http://m.invalid/ubuntu noble InRelease: NO_PUBKEY 871920D1991BC93C'),
    /install ubuntu-keyring .* --keyring \/usr\/share\/keyrings\/ubuntu-archive-keyring\.gpg/,
  );
  assert.equal(keyHint(spec, 'E: some other failure'), '');
});

test('kiln image bootstrap: a failing mmdebstrap is shown once, with the NO_PUBKEY hint', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const bin = mkdtempSync(join(tmpdir(), 'kiln-fake-mmdebstrap-'));
  // A stand-in mmdebstrap that fails the way Ubuntu's archive does on a host without ubuntu-keyring.
  writeFileSync(
    join(bin, 'mmdebstrap'),
    '#!/bin/sh\n[ "$1" = --version ] && { echo "mmdebstrap 1.3.5"; exit 0; }\n' +
      'echo "I: running apt-get update..."\necho "W: GPG error: noble InRelease: NO_PUBKEY 871920D1991BC93C" >&2\n' +
      'echo "E: apt-get update -oAPT::Status-Fd=<$fd> failed" >&2\nexit 1\n',
  );
  chmodSync(join(bin, 'mmdebstrap'), 0o755);
  const server = createServer((_req, res) => res.writeHead(200).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const mirror = `http://127.0.0.1:${(server.address() as { port: number }).port}/ubuntu`;
  const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'kiln.js'), 'image', 'bootstrap', 'ubuntu:noble', '--mirror', mirror, '--force'],
      {
        env: { ...process.env, KILN_FROM_SOURCE: '1', PATH: `${bin}:${process.env.PATH}` },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(
    r.stderr.match(/NO_PUBKEY 871920D1991BC93C/g)?.length,
    1,
    `mmdebstrap's output is printed once:\n${r.stderr}`,
  );
  assert.match(
    r.stderr,
    /mmdebstrap failed \(exit 1\); its output is above\nhint: .* install ubuntu-keyring .* --keyring \/usr\/share\/keyrings\/ubuntu-archive-keyring\.gpg/,
  );
});
