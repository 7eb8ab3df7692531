// .deb writing and reading: reproducibility, dpkg-deb/lintian acceptance, interop with dpkg-built debs,
// and clear errors for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile, chmod, symlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { kiln, run, tmp, have } from './helpers.js';
import { readDebFile } from '../../src/publish/deb/read.js';

async function tree(dir: string): Promise<string> {
  const root = join(dir, 'root');
  await mkdir(join(root, 'usr/bin'), { recursive: true });
  await mkdir(join(root, 'usr/share/doc/kiln-hello'), { recursive: true });
  await writeFile(join(root, 'usr/bin/kiln-hello'), '#!/bin/sh\necho hello\n');
  await chmod(join(root, 'usr/bin/kiln-hello'), 0o775);
  await writeFile(join(root, 'usr/share/doc/kiln-hello/notes.txt'), 'x'.repeat(5000));
  await symlink('kiln-hello', join(root, 'usr/bin/kh'));
  const deep = join(root, 'usr/share/kiln-hello', 'a'.repeat(60), 'b'.repeat(60));
  await mkdir(deep, { recursive: true });
  await writeFile(join(deep, 'c'.repeat(90) + '.txt'), 'deep\n');
  return root;
}

const FLAGS = [
  '--name',
  'kiln-hello',
  '--pkg-version',
  '1:2.0-1',
  '--arch',
  'amd64',
  '--maintainer',
  'Kiln <kiln@example.com>',
  '--description',
  'says hello\nA longer description.\n\nSecond paragraph.',
  '--depends',
  'libc6 (>= 2.28)',
  '--depends',
  'bash',
  '--section',
  'utils',
  '--priority',
  'optional',
];

test('deb build: reproducible output accepted by dpkg-deb, with modes, owners, md5sums and Installed-Size', async () => {
  const dir = await tmp('deb');
  const root = await tree(dir);
  const env = { SOURCE_DATE_EPOCH: '1700000000' };
  const a = await kiln(['deb', 'build', '--root', root, ...FLAGS, '-o', join(dir, 'a.deb')], env);
  assert.equal(a.code, 0, a.stderr);
  await mkdir(join(dir, 'out'));
  const b = await kiln(['deb', 'build', '--root', root, ...FLAGS, '-o', join(dir, 'out')], env);
  assert.equal(b.code, 0, b.stderr);
  const canonical = join(dir, 'out', 'kiln-hello_2.0-1_amd64.deb');
  assert.deepEqual(await readFile(join(dir, 'a.deb')), await readFile(canonical), 'two builds are byte-identical');

  const info = run('dpkg-deb', ['-I', canonical]);
  assert.equal(info.code, 0, info.stderr);
  const field = (n: string) => run('dpkg-deb', ['-f', canonical, n]).stdout.trim();
  assert.equal(field('Package'), 'kiln-hello');
  assert.equal(field('Version'), '1:2.0-1');
  assert.equal(field('Depends'), 'libc6 (>= 2.28), bash');
  // 1 KiB script + 5 KiB notes + 1 KiB deep file + 8 dirs + symlink
  const listing = run('dpkg-deb', ['-c', canonical]);
  assert.equal(listing.code, 0, listing.stderr);
  const lines = listing.stdout.trim().split('\n');
  const dirs = lines.filter((l) => l.startsWith('d')).length;
  assert.equal(Number(field('Installed-Size')), 1 + 5 + 1 + dirs + 1);
  assert.ok(
    lines.every((l) => l.includes(' root/root ')),
    'all entries owned by root/root',
  );
  assert.ok(
    lines.every((l) => l.includes('2023-11-14')),
    'mtimes from SOURCE_DATE_EPOCH',
  );
  assert.match(listing.stdout, /-rwxr-xr-x root\/root\s+21 \S+ \S+ \.\/usr\/bin\/kiln-hello/);
  assert.match(listing.stdout, /-rw-r--r-- root\/root\s+5000 /);
  assert.match(listing.stdout, /lrwxrwxrwx .* \.\/usr\/bin\/kh -> kiln-hello/);
  assert.ok(listing.stdout.includes('c'.repeat(90) + '.txt'), 'long path kept');
  const paths = lines.map((l) => l.split(/\s+/)[5]);
  assert.deepEqual(
    paths,
    [...paths].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
    'entries sorted',
  );

  // md5sums verified against the extracted files
  const x = join(dir, 'x');
  assert.equal(run('dpkg-deb', ['-R', canonical, x]).code, 0);
  const sums = await readFile(join(x, 'DEBIAN', 'md5sums'), 'utf8');
  assert.equal(sums.trim().split('\n').length, 3);
  for (const line of sums.trim().split('\n')) {
    const [sum, path] = line.split(/\s+/);
    assert.equal(
      createHash('md5')
        .update(await readFile(join(x, path)))
        .digest('hex'),
      sum,
      path,
    );
  }

  // --preserve-modes keeps the tree's bits (0775 script, 0600 secret) instead of normalising them
  await writeFile(join(root, 'usr/share/doc/kiln-hello/secret'), 's');
  await chmod(join(root, 'usr/share/doc/kiln-hello/secret'), 0o600);
  const p = await kiln(['deb', 'build', '--root', root, ...FLAGS, '--preserve-modes', '-o', join(dir, 'p.deb')], env);
  assert.equal(p.code, 0, p.stderr);
  const pl = run('dpkg-deb', ['-c', join(dir, 'p.deb')]).stdout;
  assert.match(pl, /-rwxrwxr-x root\/root\s+21 .* \.\/usr\/bin\/kiln-hello/);
  assert.match(pl, /-rw------- root\/root\s+1 .* \.\/usr\/share\/doc\/kiln-hello\/secret/);

  // a different SOURCE_DATE_EPOCH changes the bytes
  const c = await kiln(['deb', 'build', '--root', root, ...FLAGS, '-o', join(dir, 'c.deb')], {
    SOURCE_DATE_EPOCH: '1700000001',
  });
  assert.equal(c.code, 0, c.stderr);
  assert.notDeepEqual(await readFile(join(dir, 'c.deb')), await readFile(canonical));
});

test('deb build: --control file, DEBIAN/ scripts, and every compression dpkg-deb reads', async () => {
  const dir = await tmp('deb');
  const root = await tree(dir);
  await mkdir(join(root, 'DEBIAN'));
  await writeFile(
    join(root, 'DEBIAN', 'control'),
    'Package: kiln-hello\nVersion: 3.0\nArchitecture: all\nMaintainer: Kiln <k@example.com>\nDescription: hi\n more\n',
  );
  await writeFile(join(root, 'DEBIAN', 'postinst'), '#!/bin/sh\nexit 0\n');
  for (const comp of ['gz', 'xz', 'zst', 'none']) {
    const out = join(dir, `p-${comp}.deb`);
    const r = await kiln(['deb', 'build', '--root', root, '--compression', comp, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const members = run('ar', ['t', out]).stdout.trim().split('\n');
    const suffix = comp === 'none' ? '' : `.${comp}`;
    assert.deepEqual(members, ['debian-binary', `control.tar${suffix}`, `data.tar${suffix}`]);
    const i = run('dpkg-deb', ['-I', out]);
    assert.equal(i.code, 0, i.stderr);
    assert.match(i.stdout, /postinst/);
    assert.doesNotMatch(run('dpkg-deb', ['-c', out]).stdout, /DEBIAN/);
    const info = await readDebFile(out);
    assert.ok(info.controlMembers.has('postinst'));
  }
});

test('deb show reads packages built by dpkg-deb (xz, gzip, zstd) and prints JSON', async () => {
  const dir = await tmp('deb');
  const root = await tree(dir);
  await mkdir(join(root, 'DEBIAN'));
  await writeFile(
    join(root, 'DEBIAN', 'control'),
    'Package: from-dpkg\nVersion: 0.1\nArchitecture: arm64\nMaintainer: X <x@example.com>\nDescription: built by dpkg\n',
  );
  for (const z of ['xz', 'gzip', 'zstd']) {
    const out = join(dir, `d-${z}.deb`);
    const b = run('dpkg-deb', ['--root-owner-group', `-Z${z}`, '--build', root, out]);
    assert.equal(b.code, 0, b.stderr);
    const r = await kiln(['deb', 'show', '--json', out]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.fields.Package, 'from-dpkg');
    assert.equal(j.fields.Architecture, 'arm64');
    assert.ok(
      j.contents.some((c: { path: string; mode: string }) => c.path === './usr/bin/kiln-hello' && c.mode === '0775'),
    );
  }
  const human = await kiln(['deb', 'show', join(dir, 'd-xz.deb')]);
  assert.match(human.stdout, /^Package: from-dpkg$/m);
  assert.match(human.stdout, /0775 root\/root\s+21 \.\/usr\/bin\/kiln-hello/);
});

test(
  'lintian accepts the archive structure of a built package',
  { skip: !have('lintian') && process.env.CI !== 'true' && 'lintian not installed' },
  async () => {
    const dir = await tmp('deb');
    const root = join(dir, 'root');
    await mkdir(join(root, 'usr/share/doc/kiln-lint'), { recursive: true });
    await mkdir(join(root, 'usr/share/kiln-lint'), { recursive: true });
    await writeFile(join(root, 'usr/share/kiln-lint/data.txt'), 'some data\n');
    await writeFile(
      join(root, 'usr/share/doc/kiln-lint/copyright'),
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n' +
        'Upstream-Name: kiln-lint\n\nFiles: *\nCopyright: 2026 Kiln\nLicense: MIT\n',
    );
    const r = await kiln(
      [
        'deb',
        'build',
        '--root',
        root,
        '--name',
        'kiln-lint',
        '--version',
        '1.0',
        '--arch',
        'all',
        '--maintainer',
        'Kiln Maintainers <maint@debian.org>',
        '--description',
        'lint test\nA package used to test kiln.',
        '--section',
        'misc',
        '--priority',
        'optional',
        '-o',
        dir,
      ],
      { SOURCE_DATE_EPOCH: '1700000000' },
    );
    assert.equal(r.code, 0, r.stderr);
    const l = run('lintian', ['--no-tag-display-limit', join(dir, 'kiln-lint_1.0_all.deb')]);
    // Content-policy tags (no changelog for a native test package) are not about the archive format.
    const tags = l.stdout
      .split('\n')
      .filter((x) => /^[EW]: /.test(x))
      .filter((x) => !/no-changelog|debian-changelog-file-missing|extended-description-is-probably-too-short/.test(x));
    assert.deepEqual(tags, [], l.stdout);
  },
);

test('bad input: not a .deb, broken control files (with file:line), missing flags', async () => {
  const dir = await tmp('deb');
  await writeFile(join(dir, 'text.deb'), 'this is not an archive\n');
  let r = await kiln(['deb', 'show', join(dir, 'text.deb')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /text\.deb: not a valid \.deb: missing "!<arch>" magic/);

  // An ar archive without debian-binary first
  run('ar', ['rc', join(dir, 'wrong.deb'), join(dir, 'text.deb')]);
  r = await kiln(['deb', 'show', join(dir, 'wrong.deb')]);
  assert.match(r.stderr, /not a valid \.deb: first member is not "debian-binary"/);

  const root = join(dir, 'root');
  await mkdir(root);
  const cases: [string, RegExp][] = [
    [
      'Package: x1\nVersion: 1.0\nArchitecture: amd64\nDescription: d\n',
      /control:1:1: Maintainer: required field is missing/,
    ],
    ['Package: ok\nVersion: 1.0\n  stray\nbroken line\n', /control:4:1: expected "Field: value", got "broken line"/],
    [' leading\n', /control:1:1: continuation line without a field/],
    [
      'Package: Bad_Name\nVersion: 1.0\nArchitecture: amd64\nMaintainer: m\nDescription: d\n',
      /control:1:1: Package: "Bad_Name" is not a valid package name/,
    ],
    [
      'Package: ok\nVersion: one\nArchitecture: amd64\nMaintainer: m\nDescription: d\n',
      /control:2:1: Version: "one" is not a valid Debian version/,
    ],
    ['Package: ok\nPackage: again\n', /control:2:1: Package: duplicate field/],
  ];
  for (const [text, re] of cases) {
    await writeFile(join(dir, 'control'), text);
    r = await kiln(['deb', 'build', '--root', root, '--control', join(dir, 'control'), '-o', join(dir, 'o.deb')]);
    assert.equal(r.code, 1, text);
    assert.match(r.stderr, re);
  }
  r = await kiln(['deb', 'build', '--root', root, '--name', 'x1', '-o', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /required: --version, --arch, --maintainer, --description/);
  await writeFile(
    join(dir, 'control'),
    'Package: ok\nVersion: 1.0\nArchitecture: amd64\nMaintainer: m\nDescription: d\n',
  );
  r = await kiln(['deb', 'build', '--root', join(dir, 'nope'), '--control', join(dir, 'control'), '-o', dir]);
  assert.match(r.stderr, /not a directory|no such file/);
});

test(
  'reprepro and dpkg accept kiln-built packages',
  { skip: !have('reprepro') && 'reprepro not installed' },
  async () => {
    const dir = await tmp('deb');
    const root = await tree(dir);
    const r = await kiln(['deb', 'build', '--root', root, ...FLAGS, '-o', dir]);
    assert.equal(r.code, 0, r.stderr);
    const deb = join(dir, 'kiln-hello_2.0-1_amd64.deb');
    const rr = join(dir, 'rr');
    await mkdir(join(rr, 'conf'), { recursive: true });
    await writeFile(join(rr, 'conf/distributions'), 'Codename: s\nArchitectures: amd64\nComponents: main\n');
    const inc = run('reprepro', ['-b', rr, 'includedeb', 's', deb]);
    assert.equal(inc.code, 0, inc.stderr);
    const list = run('reprepro', ['-b', rr, 'list', 's']);
    assert.match(list.stdout, /s\|main\|amd64: kiln-hello 1:2\.0-1/);
    // dpkg itself installs it into a scratch admin dir and instdir, then verifies the md5sums.
    const admin = join(dir, 'admin');
    await mkdir(join(admin, 'info'), { recursive: true });
    await mkdir(join(admin, 'updates'), { recursive: true });
    await writeFile(join(admin, 'status'), '');
    const inst = join(dir, 'inst');
    await mkdir(inst);
    const dpkg = [
      '--admindir',
      admin,
      '--instdir',
      inst,
      '--force-not-root',
      '--force-bad-path',
      '--force-depends',
      '--log=/dev/null',
    ];
    const i = run('dpkg', [...dpkg, '-i', deb]);
    assert.equal(i.code, 0, i.stderr);
    assert.equal(await readFile(join(inst, 'usr/bin/kiln-hello'), 'utf8'), '#!/bin/sh\necho hello\n');
    const v = run('dpkg', [...dpkg, '--verify', 'kiln-hello']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.equal(v.stdout.trim(), '');
  },
);
