// arm64 binaries from Debian's cross gcc: with its default (bookworm) libraries, with a bullseye sysroot made by
// mmdebstrap, and the trap of a bare --sysroot that silently links the cross toolchain's own glibc 2.36.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { analyzeFile } from '../../src/abi/analyze.js';
import { builtinDb, resolveTargets } from '../../src/abi/targets.js';
import { judge } from '../../src/abi/verdict.js';
import type { AbiReport } from '../../src/abi/report.js';
import { assertMatchesReadelf, readelfVersionNeeds } from './helpers/readelf.js';
import {
  bullseyeArm64Sysroot,
  compile,
  EXP_C,
  FS_CXX,
  HELLO_C,
  skipUnless,
  stripSectionHeaders,
  sysrootFlags,
  tempDir,
} from './helpers/toolchain.js';

const CC = 'aarch64-linux-gnu-gcc';
const skip = skipUnless(CC) || skipUnless('mmdebstrap');
const dir = tempDir('kiln-abi-cross-');
after(() => rmSync(dir, { recursive: true, force: true }));
const db = builtinDb();
const ctx = { bundled: new Set<string>(), allowed: new Set<string>() };
let sysroot = '';

before(() => {
  if (!skip) sysroot = bullseyeArm64Sysroot();
});

/** Reads a file and checks the result against readelf on the same file. */
function analyze(path: string): AbiReport {
  const r = analyzeFile(path);
  assert.ok(r);
  if (r.hasSectionHeaders) assertMatchesReadelf(path, r);
  return r;
}

function verdict(r: AbiReport, target: string) {
  return judge(r, resolveTargets(db, [target])[0], db, ctx);
}

test(
  'arm64 with the default bookworm libraries needs GLIBC_2.34 and fails kylin-desktop-v10-sp1 with the explanation',
  { skip },
  () => {
    const bin = compile(dir, 'hello-bookworm', 'c', HELLO_C, CC);
    const r = analyze(bin);
    assert.equal(r.arch, 'aarch64');
    assert.match(r.interpreter ?? '', /ld-linux-aarch64\.so\.1$/);
    assert.equal(r.minGlibc, '2.34');
    const v = verdict(r, 'kylin-desktop-v10-sp1');
    assert.equal(v.ok, false);
    const g = v.failures.find((f) => f.kind === 'glibc');
    assert.ok(g);
    assert.match(g.message, /needs GLIBC_2\.34 \(from __libc_start_main\)/);
    assert.match(g.hint ?? '', /bullseye .*sysroot for 2\.31/);
    assert.deepEqual(g.symbols, ['__libc_start_main@GLIBC_2.34']);
    assert.equal(verdict(r, 'debian-12').ok, true);
  },
);

test('a bare --sysroot still links the cross toolchain glibc: kiln catches it', { skip }, () => {
  const bin = compile(dir, 'hello-bare-sysroot', 'c', HELLO_C, CC, [`--sysroot=${sysroot}`]);
  const r = analyze(bin);
  assert.equal(r.minGlibc, '2.34');
  assert.equal(verdict(r, 'debian-11').ok, false);
});

test('arm64 built against the bullseye sysroot passes debian-11 and kylin-desktop-v10-sp1', { skip }, () => {
  const bin = compile(dir, 'hello-bullseye', 'c', HELLO_C, CC, sysrootFlags(sysroot));
  const r = analyze(bin);
  assert.equal(r.minGlibc, '2.17', 'aarch64 glibc symbols start at 2.17');
  assert.deepEqual(
    readelfVersionNeeds(bin).map((x) => x.version),
    ['GLIBC_2.17'],
  );
  for (const t of ['debian-11', 'kylin-desktop-v10-sp1', 'uos-20', 'rhel-8', 'manylinux2014']) {
    const v = verdict(r, t);
    assert.equal(v.ok, true, `${t}: ${JSON.stringify(v.failures)}`);
  }
});

test(
  'arm64 libm exp user against bullseye needs GLIBC_2.29, fails uos-20 (2.28) with the exp explanation',
  { skip },
  () => {
    const bin = compile(dir, 'exp-bullseye', 'c', EXP_C, CC, [...sysrootFlags(sysroot), '-lm']);
    const r = analyze(bin);
    assert.equal(r.minGlibc, '2.29');
    assert.deepEqual(r.maxVersions.GLIBC?.symbols, ['exp']);
    const v = verdict(r, 'uos-20');
    assert.equal(v.ok, false);
    assert.match(v.failures[0].message, /needs GLIBC_2\.29 \(from exp\)/);
    assert.match(v.failures[0].hint ?? '', /buster .*for 2\.28.*exp\/log\/pow/);
    assert.equal(verdict(r, 'kylin-desktop-v10-sp1').ok, true);
  },
);

test(
  'arm64 C++17 filesystem user needs GLIBCXX_3.4.26: fails kylin-server-v10 (3.4.24), fine for kylin-desktop-v10-sp1',
  { skip },
  () => {
    const bin = compile(dir, 'fs-arm64', 'cc', FS_CXX, 'aarch64-linux-gnu-g++', ['-std=c++17']);
    const r = analyze(bin);
    assert.equal(r.arch, 'aarch64');
    assert.equal(r.maxGlibcxx, '3.4.26');
    const cxx = verdict(r, 'kylin-server-v10').failures.find((f) => f.kind === 'glibcxx');
    assert.ok(cxx, 'GLIBCXX failure reported');
    assert.match(cxx.message, /needs GLIBCXX_3\.4\.26 \(from _ZN\w*filesystem/);
    assert.match(cxx.hint ?? '', /static-libstdc\+\+/);
    assert.ok(cxx.symbols.length > 0 && cxx.symbols.every((s) => /@GLIBCXX_3\.4\.2[56]$/.test(s)), cxx.symbols.join());
    assert.equal(verdict(r, 'kylin-desktop-v10-sp1').failures.filter((f) => f.kind === 'glibcxx').length, 0);
  },
);

test('arm64 without section headers: same requirements and symbols (GNU hash with nothing hashed)', { skip }, () => {
  const bin = compile(dir, 'hello-arm64-ns', 'c', HELLO_C, CC);
  const full = analyze(bin);
  const bare = analyze(stripSectionHeaders(bin, `${bin}-noshdr`));
  assert.equal(bare.hasSectionHeaders, false);
  assert.deepEqual(bare.requirements, full.requirements);
  assert.equal(bare.dynamicSymbolCount, full.dynamicSymbolCount);
  assert.deepEqual(bare.maxVersions.GLIBC?.symbols, ['__libc_start_main']);
});
