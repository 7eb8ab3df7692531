// `kiln abi check|show|targets` end to end through bin/kiln.js: exit codes, JSON, directory walking with
// symlink loops, bundled libraries, user targets from kiln.toml.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, HELLO_C, LIB_C, run, tempDir } from './helpers/toolchain.js';

const root = tempDir('kiln-abi-cli-');
after(() => rmSync(root, { recursive: true, force: true }));

function kiln(args: string[], cwd = root): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin/kiln.js'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, KILN_FROM_SOURCE: '1' },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let pkg = '';
before(() => {
  // A package tree: a binary linked against a bundled library, a text file, a symlink loop, a dangling link.
  pkg = join(root, 'pkg');
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  mkdirSync(join(pkg, 'lib'), { recursive: true });
  compile(root, 'libkiln', 'c', LIB_C, 'gcc', ['-shared', '-fPIC', '-Wl,-soname,libkiln.so.1']);
  copyFileSync(join(root, 'libkiln'), join(pkg, 'lib', 'libkiln.so.1'));
  writeFileSync(
    join(root, 'app.c'),
    'int kiln_answer(void);\nint main(void) { return kiln_answer() == 42 ? 0 : 1; }\n',
  );
  run('gcc', [
    join(root, 'app.c'),
    '-o',
    join(pkg, 'bin', 'app'),
    `-L${root}`,
    '-l:libkiln',
    '-Wl,-rpath,$ORIGIN/../lib',
  ]);
  writeFileSync(join(pkg, 'README'), 'not a binary\n');
  symlinkSync('..', join(pkg, 'lib', 'loop'));
  symlinkSync('nowhere', join(pkg, 'bin', 'dangling'));
});

test('abi check: fails kylin-desktop-v10-sp1 with exit 1 and the explanation; passes debian-12 with exit 0', () => {
  const bad = kiln(['abi', 'check', pkg, '--target', 'kylin-desktop-v10-sp1', '--target', 'debian-12']);
  assert.equal(bad.status, 1, bad.stderr);
  assert.match(
    bad.stdout,
    /FAIL {2}kylin-desktop-v10-sp1: needs GLIBC_2\.34 \(from __libc_start_main\).*link against an older sysroot, e.g\. a bullseye \(Debian 11\) sysroot for 2\.31/,
  );
  assert.match(bad.stdout, /ok {4}debian-12/);
  assert.match(bad.stdout, /dangling\s+ERROR: no such file/);
  const good = kiln([
    'abi',
    'check',
    join(pkg, 'bin', 'app'),
    join(pkg, 'lib', 'libkiln.so.1'),
    '-t',
    'debian-12,bookworm',
  ]);
  assert.equal(good.status, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /2 ELF file\(s\) checked against debian-12: all pass/);
});

test('abi check --json: per-file facts, verdicts, skipped and errors; the symlink loop is walked once', () => {
  const r = kiln(['abi', 'check', pkg, '-t', 'rhel-8', '--json']);
  assert.equal(r.status, 1);
  const j = JSON.parse(r.stdout) as {
    ok: boolean;
    files: Array<{
      file: string;
      arch: string;
      libc: string;
      minGlibc: string;
      verdicts: Array<{
        target: string;
        ok: boolean;
        missingLibraries: string[];
        failures: Array<{ kind: string; symbols: string[] }>;
      }>;
    }>;
    skipped: Array<{ path: string }>;
    errors: Array<{ path: string; message: string }>;
  };
  assert.equal(j.ok, false);
  const names = j.files.map((f) => f.file.slice(pkg.length + 1)).sort();
  assert.deepEqual(names, ['bin/app', 'lib/libkiln.so.1'], 'each file once, despite lib/loop -> ..');
  const app = j.files.find((f) => f.file.endsWith('bin/app'));
  assert.equal(app?.arch, 'x86_64');
  assert.equal(app?.libc, 'glibc');
  assert.equal(app?.minGlibc, '2.34');
  assert.deepEqual(app?.verdicts[0].missingLibraries, [], 'libkiln.so.1 is bundled in the tree');
  assert.deepEqual(
    app?.verdicts[0].failures.map((f) => f.kind),
    ['glibc'],
  );
  assert.deepEqual(app?.verdicts[0].failures[0].symbols, ['__libc_start_main@GLIBC_2.34']);
  assert.deepEqual(
    j.skipped.map((s) => s.path.slice(pkg.length + 1)),
    ['README'],
  );
  assert.deepEqual(
    j.errors.map((e) => e.path.slice(pkg.length + 1)),
    ['bin/dangling'],
  );
  // Checked alone, the binary's library is not bundled any more.
  const alone = JSON.parse(
    kiln(['abi', 'check', join(pkg, 'bin', 'app'), '-t', 'debian-12', '--json']).stdout,
  ) as typeof j;
  assert.deepEqual(alone.files[0].verdicts[0].missingLibraries, ['libkiln.so.1']);
});

test('abi check: usage errors for missing or unknown targets', () => {
  const none = kiln(['abi', 'check', pkg]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /give at least one --target/);
  const unknown = kiln(['abi', 'check', pkg, '-t', 'windows-95']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown target "windows-95"/);
});

test('kiln.toml [abi.targets] adds user targets to check and targets', () => {
  const proj = join(root, 'proj');
  mkdirSync(proj);
  writeFileSync(
    join(proj, 'kiln.toml'),
    '[abi.targets.corp-os]\nextends = "debian-12"\nextra_sonames = ["libkiln.so.1"]\n' +
      '[abi.targets.old-corp]\nglibc = "2.17"\nsource = "our 2013 appliance"\nsonames = ["libc.so.6"]\n',
  );
  const list = kiln(['abi', 'targets', '--json'], proj);
  assert.equal(list.status, 0, list.stderr);
  const targets = JSON.parse(list.stdout) as Array<{ id: string; glibc: string; origin: string; source: string }>;
  const corp = targets.find((t) => t.id === 'corp-os');
  assert.equal(corp?.glibc, '2.36');
  assert.match(corp?.origin ?? '', /kiln\.toml/);
  assert.ok(targets.some((t) => t.id === 'uos-20'));
  const r = kiln(['abi', 'check', join(pkg, 'bin', 'app'), '-t', 'corp-os'], proj);
  assert.equal(r.status, 0, r.stdout);
  const old = kiln(['abi', 'check', join(pkg, 'bin', 'app'), '-t', 'old-corp'], proj);
  assert.equal(old.status, 1);
  assert.match(old.stdout, /old-corp: needs GLIBC_2\.34.*CentOS 7/);
  const human = kiln(['abi', 'targets'], proj);
  assert.match(human.stdout, /^kylin-desktop-v10-sp1\s+glibc\s+2\.31\s+3\.4\.28/m);
  assert.match(human.stdout, /^old-corp\s+glibc\s+2\.17.*our 2013 appliance/m);
});

test('abi show prints the dynamic section, version needs with symbols, and --json the report', () => {
  const app = join(pkg, 'bin', 'app');
  const r = kiln(['abi', 'show', app]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Type: pie-executable {2}Machine: x86_64 \(62\)/);
  assert.match(r.stdout, /NEEDED {3}libkiln\.so\.1/);
  assert.match(r.stdout, /RUNPATH {2}\$ORIGIN\/\.\.\/lib|RPATH {4}\$ORIGIN\/\.\.\/lib/);
  assert.match(r.stdout, /GLIBC_2\.34\s+__libc_start_main/);
  const j = JSON.parse(kiln(['abi', 'show', app, '--json']).stdout) as { needed: string[]; minGlibc: string };
  assert.deepEqual(j.needed, ['libkiln.so.1', 'libc.so.6']);
  const notElf = kiln(['abi', 'show', join(pkg, 'README')]);
  assert.equal(notElf.status, 2);
  assert.match(notElf.stderr, /README: not an ELF file/);
});
