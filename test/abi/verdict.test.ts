// Verdicts on hand-built files: glibc/libstdc++/libgcc ceilings, GLIBC_PRIVATE, DT_RELR, weak versions,
// musl vs glibc, missing/bundled/allowed libraries, architecture and kernel floor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeBuffer } from '../../src/abi/analyze.js';
import { builtinDb, resolveTargets, withUserTargets } from '../../src/abi/targets.js';
import { judge, type Verdict } from '../../src/abi/verdict.js';
import { abiTagDesc, buildElf, type FixtureSpec } from './helpers/elf-writer.js';

const db = builtinDb();
const noCtx = { bundled: new Set<string>(), allowed: new Set<string>() };

function verdictFor(spec: Partial<FixtureSpec>, target: string, ctx = noCtx, database = db): Verdict {
  const r = analyzeBuffer(
    'fx',
    buildElf({ is64: true, littleEndian: true, machine: 62, interp: '/lib64/ld-linux-x86-64.so.2', ...spec }),
  );
  assert.ok(r);
  return judge(r, resolveTargets(database, [target])[0], database, ctx);
}

const glibcNeeds = (...versions: Array<[string, string[]]>): Partial<FixtureSpec> => ({
  needed: ['libc.so.6'],
  needs: [{ file: 'libc.so.6', versions: versions.map(([name]) => ({ name })) }],
  symbols: versions.flatMap(([name, syms]) => syms.map((s) => ({ name: s, version: `libc.so.6:${name}` }))),
});

test('glibc ceiling: names the highest version, its symbols, the other offending versions and a sysroot', () => {
  const v = verdictFor(
    glibcNeeds(
      ['GLIBC_2.2.5', ['puts']],
      ['GLIBC_2.34', ['__libc_start_main']],
      ['GLIBC_2.33', ['stat']],
      ['GLIBC_2.32', ['pthread_getattr_np']],
    ),
    'rhel-8',
  );
  assert.equal(v.ok, false);
  assert.equal(v.failures.length, 1);
  const f = v.failures[0];
  assert.equal(f.kind, 'glibc');
  assert.equal(
    f.message,
    'needs GLIBC_2.34 (from __libc_start_main); also GLIBC_2.33 (stat), GLIBC_2.32 (pthread_getattr_np); rhel-8 has glibc 2.28',
  );
  assert.deepEqual(f.symbols.sort(), [
    '__libc_start_main@GLIBC_2.34',
    'pthread_getattr_np@GLIBC_2.32',
    'stat@GLIBC_2.33',
  ]);
  assert.match(f.hint ?? '', /buster \(Debian 10\) sysroot for 2\.28/);
  assert.equal(verdictFor(glibcNeeds(['GLIBC_2.28', ['statx']]), 'rhel-8').ok, true);
  assert.equal(verdictFor(glibcNeeds(['GLIBC_2.17', ['clock_gettime']]), 'rhel-7').ok, true);
  assert.match(verdictFor(glibcNeeds(['GLIBC_2.18', ['x']]), 'rhel-7').failures[0].hint ?? '', /CentOS 7/);
});

test('weak version requirements only warn', () => {
  const v = verdictFor(
    {
      needed: ['libc.so.6'],
      needs: [{ file: 'libc.so.6', versions: [{ name: 'GLIBC_2.36', weak: true }] }],
      symbols: [{ name: 'optional_fn', version: 'libc.so.6:GLIBC_2.36' }],
    },
    'debian-11',
  );
  assert.equal(v.ok, true);
  assert.match(v.warnings[0].message, /needs GLIBC_2\.36 \(from optional_fn\).*weak/);
});

test('GLIBCXX, CXXABI and GCC ceilings with their hints', () => {
  const spec: Partial<FixtureSpec> = {
    needed: ['libstdc++.so.6', 'libgcc_s.so.1', 'libc.so.6'],
    needs: [
      { file: 'libstdc++.so.6', versions: [{ name: 'GLIBCXX_3.4.29' }, { name: 'CXXABI_1.3.13' }] },
      { file: 'libgcc_s.so.1', versions: [{ name: 'GCC_12.0.0' }] },
    ],
    symbols: [
      {
        name: '_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE7reserveEv',
        version: 'libstdc++.so.6:GLIBCXX_3.4.29',
      },
      { name: '__cxa_init_primary_exception', version: 'libstdc++.so.6:CXXABI_1.3.13' },
      { name: '__bfloat16', version: 'libgcc_s.so.1:GCC_12.0.0' },
    ],
  };
  const v = verdictFor(spec, 'ubuntu-20.04');
  const kinds = v.failures.map((f) => f.kind).sort();
  assert.deepEqual(kinds, ['cxxabi', 'gcc', 'glibcxx']);
  assert.match(
    v.failures.find((f) => f.kind === 'glibcxx')?.message ?? '',
    /needs GLIBCXX_3\.4\.29 .* ubuntu-20\.04 has libstdc\+\+ 3\.4\.28/,
  );
  assert.match(v.failures.find((f) => f.kind === 'gcc')?.hint ?? '', /-static-libgcc/);
  assert.equal(verdictFor(spec, 'ubuntu-24.04').ok, true);
  // deepin-23 does not list its libstdc++ level: unchecked, reported as a warning.
  const d = verdictFor(spec, 'deepin-23');
  assert.equal(d.ok, true);
  assert.ok(d.warnings.some((w) => /not in the database/.test(w.message)));
});

test('GLIBC_PRIVATE always fails; GLIBC_ABI_DT_RELR fails before glibc 2.36', () => {
  const priv = verdictFor(glibcNeeds(['GLIBC_PRIVATE', ['_dl_x']]), 'debian-13');
  assert.equal(priv.failures[0].kind, 'glibc-private');
  assert.deepEqual(priv.failures[0].symbols, ['_dl_x@GLIBC_PRIVATE']);
  const relr = glibcNeeds(['GLIBC_ABI_DT_RELR', []]);
  assert.equal(verdictFor(relr, 'debian-11').failures[0].kind, 'relr');
  assert.equal(verdictFor(relr, 'debian-12').ok, true);
});

test('musl binaries fail glibc targets and glibc binaries fail alpine; static binaries pass both', () => {
  const musl = verdictFor({ interp: '/lib/ld-musl-x86_64.so.1', needed: ['libc.so'] }, 'debian-12');
  assert.equal(musl.failures[0].kind, 'libc');
  assert.equal(musl.failures.length, 1, 'libc.so is explained by the libc mismatch');
  assert.equal(verdictFor({ interp: '/lib/ld-musl-x86_64.so.1', needed: ['libc.so'] }, 'alpine').ok, true);
  const glibc = verdictFor(glibcNeeds(['GLIBC_2.17', ['x']]), 'alpine');
  assert.deepEqual(
    glibc.failures.map((f) => f.kind),
    ['libc'],
  );
  const staticSpec: Partial<FixtureSpec> = {
    interp: undefined,
    type: 2,
    noDynamic: true,
    notes: [{ name: 'GNU', type: 1, desc: abiTagDesc(true, 3, 2, 0) }],
  };
  assert.equal(verdictFor(staticSpec, 'alpine').ok, true);
  assert.equal(verdictFor(staticSpec, 'rhel-7').ok, true);
});

test('kernel floor from the ABI tag is compared with the target kernel', () => {
  const spec: Partial<FixtureSpec> = {
    interp: undefined,
    type: 2,
    noDynamic: true,
    notes: [{ name: 'GNU', type: 1, desc: abiTagDesc(true, 4, 11, 0) }],
  };
  const v = verdictFor(spec, 'rhel-7');
  assert.equal(v.failures[0].kind, 'kernel');
  assert.match(v.failures[0].message, /needs Linux 4\.11\.0 .* rhel-7 ships 3\.10/);
  assert.equal(verdictFor(spec, 'rhel-8').ok, true);
});

test('needed libraries: missing fails, bundled or allowed passes', () => {
  const spec: Partial<FixtureSpec> = { needed: ['libssl.so.3', 'libc.so.6', 'libz.so.1'] };
  const v = verdictFor(spec, 'debian-12');
  assert.deepEqual(
    v.failures.map((f) => f.message),
    ["needs libssl.so.3, which debian-12's base system does not provide"],
  );
  assert.equal(verdictFor(spec, 'debian-12', { bundled: new Set(['libssl.so.3']), allowed: new Set() }).ok, true);
  assert.equal(verdictFor(spec, 'debian-12', { bundled: new Set(), allowed: new Set(['libssl.so.3']) }).ok, true);
  // zlib is not part of the manylinux whitelist.
  assert.ok(verdictFor({ needed: ['libz.so.1'] }, 'manylinux2014').failures.some((f) => /libz\.so\.1/.test(f.message)));
});

test('architecture: not in the target list, or older than the glibc port', () => {
  const user = withUserTargets(
    db,
    { 'x86-only': { extends: 'debian-11', arches: ['x86_64'] }, ancient: { glibc: '2.12', source: 'test' } },
    'kiln.toml',
  );
  const arm = verdictFor({ machine: 183, interp: '/lib/ld-linux-aarch64.so.1' }, 'x86-only', noCtx, user);
  assert.equal(arm.failures[0].kind, 'arch');
  assert.match(arm.failures[0].message, /aarch64 binary; x86-only runs x86_64/);
  const old = verdictFor({ machine: 183, interp: '/lib/ld-linux-aarch64.so.1' }, 'ancient', noCtx, user);
  assert.match(old.failures[0].message, /aarch64 port starts at 2\.17; ancient has glibc 2\.12/);
});
