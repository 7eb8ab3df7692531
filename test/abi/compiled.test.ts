// The ELF reader on binaries compiled during the test run with the host toolchain, compared with readelf.
import { after, test } from 'node:test';
import { rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyzeFile } from '../../src/abi/analyze.js';
import type { AbiReport } from '../../src/abi/report.js';
import { assertMatchesReadelf } from './helpers/readelf.js';
import {
  compile,
  CXX_SRC,
  EXP_C,
  HELLO_C,
  LIB_C,
  run,
  skipUnless,
  stripSectionHeaders,
  tempDir,
} from './helpers/toolchain.js';

const dir = tempDir('kiln-abi-compiled-');
after(() => rmSync(dir, { recursive: true, force: true }));

function analyze(path: string): AbiReport {
  const r = analyzeFile(path);
  assert.ok(r, `${path} should be ELF`);
  return r;
}

test('host gcc hello: dynamic glibc PIE, GLIBC_2.34 from __libc_start_main, same as readelf', () => {
  const bin = compile(dir, 'hello', 'c', HELLO_C, 'gcc');
  const r = analyze(bin);
  assert.equal(r.arch, 'x86_64');
  assert.equal(r.elfClass, 64);
  assert.equal(r.type, 'pie-executable');
  assert.equal(r.linkage, 'dynamic');
  assert.equal(r.libc, 'glibc');
  assert.match(r.interpreter ?? '', /ld-linux-x86-64\.so\.2$/);
  assert.equal(r.minGlibc, '2.34');
  assert.deepEqual(r.maxVersions.GLIBC?.symbols, ['__libc_start_main']);
  assert.equal(r.kernelFloor, '3.2.0');
  assertMatchesReadelf(bin, r);
});

test('libm exp user needs GLIBC_2.29 from libm.so.6 (exp)', () => {
  const bin = compile(dir, 'useexp', 'c', EXP_C, 'gcc', ['-lm']);
  const r = analyze(bin);
  const exp = r.requirements.find((q) => q.library === 'libm.so.6');
  assert.equal(exp?.version, 'GLIBC_2.29');
  assert.deepEqual(exp?.symbols, ['exp']);
  assertMatchesReadelf(bin, r);
});

test('C++ with libstdc++: GLIBCXX/CXXABI maxima with responsible symbols, same as readelf', () => {
  const bin = compile(dir, 'cxx', 'cc', CXX_SRC, 'g++');
  const r = analyze(bin);
  assert.ok(r.needed.includes('libstdc++.so.6'));
  assert.match(r.maxGlibcxx ?? '', /^3\.4\.\d+$/);
  const top = r.requirements.filter((q) => q.version === `GLIBCXX_${r.maxGlibcxx}`);
  assert.ok(top.length > 0 && top[0].symbols.length > 0, 'the highest GLIBCXX version names its symbols');
  assert.deepEqual(r.maxVersions.GLIBCXX?.symbols, top[0].symbols);
  assert.ok(r.maxCxxabi, 'CXXABI requirement found');
  assertMatchesReadelf(bin, r);
});

test('shared library with SONAME and RUNPATH', () => {
  const lib = join(dir, 'libkiln.so.1');
  compile(dir, 'libsrc', 'c', LIB_C, 'gcc', [
    '-shared',
    '-fPIC',
    '-Wl,-soname,libkiln.so.1',
    '-Wl,-rpath,$ORIGIN/../lib',
    '-Wl,--enable-new-dtags',
  ]);
  run('mv', [join(dir, 'libsrc'), lib]);
  const r = analyze(lib);
  assert.equal(r.type, 'shared-library');
  assert.equal(r.soname, 'libkiln.so.1');
  assert.equal(r.runpath, '$ORIGIN/../lib');
  assert.equal(r.linkage, 'dynamic');
  assertMatchesReadelf(lib, r);
});

test('static and static-pie binaries: linkage, glibc from the ABI tag, kernel floor', () => {
  const st = analyze(compile(dir, 'static', 'c', HELLO_C, 'gcc', ['-static']));
  assert.equal(st.linkage, 'static');
  assert.equal(st.type, 'executable');
  assert.equal(st.libc, 'glibc');
  assert.equal(st.kernelFloor, '3.2.0');
  assert.deepEqual(st.needed, []);
  const sp = analyze(compile(dir, 'staticpie', 'c', HELLO_C, 'gcc', ['-static-pie']));
  assert.equal(sp.linkage, 'static-pie');
  assert.equal(sp.type, 'pie-executable');
  assert.equal(sp.interpreter, undefined);
  assert.equal(sp.kernelFloor, '3.2.0');
});

test('section headers removed: same needs, symbols and counts through PT_DYNAMIC and the hash tables', () => {
  for (const [name, src, cc, args] of [
    ['hello', HELLO_C, 'gcc', []],
    ['cxx', CXX_SRC, 'g++', []],
    ['sysvhash', EXP_C, 'gcc', ['-lm', '-Wl,--hash-style=sysv']],
  ] as const) {
    const bin = compile(dir, `${name}-full`, cc === 'g++' ? 'cc' : 'c', src, cc, [...args]);
    const bare = stripSectionHeaders(bin, `${bin}-noshdr`);
    const full = analyze(bin);
    const r = analyze(bare);
    assert.equal(r.hasSectionHeaders, false);
    assert.equal(full.hasSectionHeaders, true);
    assert.deepEqual(r.requirements, full.requirements, `${name}: requirements`);
    assert.deepEqual(r.needed, full.needed);
    assert.deepEqual(r.maxVersions, full.maxVersions);
    assert.equal(r.dynamicSymbolCount, full.dynamicSymbolCount);
    assert.equal(full.dynamicSymbolCountSource, 'section');
    if (name === 'sysvhash') assert.equal(r.dynamicSymbolCountSource, 'hash');
    else assert.ok(['gnu-hash', 'layout'].includes(r.dynamicSymbolCountSource ?? ''), r.dynamicSymbolCountSource);
    // The symbol count from the hash table equals the SHT_DYNSYM size readelf reports.
    const m = /Symbol table '\.dynsym' contains (\d+) entries/.exec(run('readelf', ['--dyn-syms', '-W', bin]));
    assert.equal(r.dynamicSymbolCount, Number(m?.[1]));
    assertMatchesReadelf(bin, r);
  }
});

test('Rust binary recognised from its .comment producer or its runtime symbols', { skip: skipUnless('rustc') }, () => {
  const bin = compile(dir, 'rusty', 'rs', 'fn main() { println!("hi"); }\n', 'rustc', ['-C', 'opt-level=0']);
  const r = analyze(bin);
  assert.ok(r.languages.includes('rust'), `languages: ${r.languages}`);
  assertMatchesReadelf(bin, r);
  // A C program is not mistaken for Rust.
  assert.deepEqual(analyze(compile(dir, 'not-rust', 'c', HELLO_C, 'gcc')).languages, []);
});

test('musl-gcc binary: musl interpreter, libc musl, no glibc versions', { skip: skipUnless('musl-gcc') }, () => {
  const bin = compile(dir, 'muslhello', 'c', HELLO_C, 'musl-gcc');
  const r = analyze(bin);
  assert.equal(r.libc, 'musl');
  assert.match(r.interpreter ?? '', /ld-musl-x86_64\.so\.1$/);
  assert.equal(r.minGlibc, undefined);
  assert.equal(r.requirements.length, 0);
  assertMatchesReadelf(bin, r);
  const st = analyze(compile(dir, 'muslstatic', 'c', HELLO_C, 'musl-gcc', ['-static']));
  assert.equal(st.linkage, 'static');
  assert.equal(st.kernelFloor, undefined, 'musl static binaries carry no ABI tag');
});

test('non-ELF files are recognised from their first bytes', () => {
  const txt = join(dir, 'readme.txt');
  run('sh', ['-c', `printf 'hello world' > ${txt}; printf '\\177EL' > ${dir}/short`]);
  assert.equal(analyzeFile(txt), null);
  assert.equal(analyzeFile(join(dir, 'short')), null);
});
