// Hand-built ELF fixtures (written by the small ELF writer in helpers/): big-endian and 32-bit files, Go notes,
// and deliberately broken files that must give a typed ElfError naming the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeBuffer } from '../../src/abi/analyze.js';
import { ElfError } from '../../src/abi/errors.js';
import { abiTagDesc, buildElf, type FixtureSpec } from './helpers/elf-writer.js';

const BASE_SPEC = {
  interp: '/lib/ld.so.1',
  needed: ['libc.so.6', 'libstdc++.so.6'],
  runpath: '$ORIGIN/../lib',
  needs: [
    { file: 'libc.so.6', versions: [{ name: 'GLIBC_2.2' }, { name: 'GLIBC_2.34' }, { name: 'GLIBC_PRIVATE' }] },
    { file: 'libstdc++.so.6', versions: [{ name: 'GLIBCXX_3.4.30', weak: true }, { name: 'CXXABI_1.3.13' }] },
  ],
  symbols: [
    { name: '__libc_start_main', version: 'libc.so.6:GLIBC_2.34' },
    { name: 'puts', version: 'libc.so.6:GLIBC_2.2' },
    { name: '_dl_private', version: 'libc.so.6:GLIBC_PRIVATE' },
    { name: '_ZSt4cout', version: 'libstdc++.so.6:GLIBCXX_3.4.30' },
    { name: '__cxa_guard', version: 'libstdc++.so.6:CXXABI_1.3.13' },
    { name: 'unversioned' },
    { name: 'exported_fn', defined: true },
  ],
};

function analyze(name: string, spec: FixtureSpec) {
  const r = analyzeBuffer(name, buildElf(spec));
  assert.ok(r);
  return r;
}

const VARIANTS: Array<{
  name: string;
  is64: boolean;
  littleEndian: boolean;
  machine: number;
  arch: string;
  hash: 'sysv' | 'gnu';
}> = [
  { name: 'ppc64 big-endian', is64: true, littleEndian: false, machine: 21, arch: 'ppc64', hash: 'gnu' },
  { name: 's390x big-endian', is64: true, littleEndian: false, machine: 22, arch: 's390x', hash: 'gnu' },
  { name: 'mips 32-bit big-endian', is64: false, littleEndian: false, machine: 8, arch: 'mips', hash: 'sysv' },
  { name: 'i386 32-bit little-endian', is64: false, littleEndian: true, machine: 3, arch: 'i386', hash: 'gnu' },
  { name: 'arm 32-bit little-endian', is64: false, littleEndian: true, machine: 40, arch: 'arm', hash: 'sysv' },
  { name: 'riscv64 little-endian', is64: true, littleEndian: true, machine: 243, arch: 'riscv64', hash: 'gnu' },
];

for (const v of VARIANTS) {
  test(`hand-built ${v.name}: header, dynamic entries, versions, weak flags, symbols`, () => {
    const r = analyze(v.name, {
      ...BASE_SPEC,
      is64: v.is64,
      littleEndian: v.littleEndian,
      machine: v.machine,
      hash: v.hash,
      notes: [{ name: 'GNU', type: 1, desc: abiTagDesc(v.littleEndian, 3, 2, 0) }],
    });
    assert.equal(r.arch, v.arch);
    assert.equal(r.elfClass, v.is64 ? 64 : 32);
    assert.equal(r.endian, v.littleEndian ? 'little' : 'big');
    assert.equal(r.interpreter, '/lib/ld.so.1');
    assert.equal(r.libc, 'glibc');
    assert.deepEqual(r.needed, ['libc.so.6', 'libstdc++.so.6']);
    assert.equal(r.runpath, '$ORIGIN/../lib');
    assert.equal(r.hasSectionHeaders, false);
    assert.equal(r.dynamicSymbolCount, 8);
    assert.equal(r.dynamicSymbolCountSource, v.hash === 'sysv' ? 'hash' : 'gnu-hash');
    assert.equal(r.kernelFloor, '3.2.0');
    assert.deepEqual(
      r.requirements.map((q) => [q.library, q.version, q.weak, q.symbols]),
      [
        ['libc.so.6', 'GLIBC_2.2', false, ['puts']],
        ['libc.so.6', 'GLIBC_2.34', false, ['__libc_start_main']],
        ['libc.so.6', 'GLIBC_PRIVATE', false, ['_dl_private']],
        ['libstdc++.so.6', 'GLIBCXX_3.4.30', true, ['_ZSt4cout']],
        ['libstdc++.so.6', 'CXXABI_1.3.13', false, ['__cxa_guard']],
      ],
    );
    assert.equal(r.minGlibc, '2.34');
    assert.equal(r.maxGlibcxx, '3.4.30');
    assert.equal(r.maxCxxabi, '1.3.13');
    assert.equal(r.maxVersions.GLIBCXX?.weak, true);
    assert.deepEqual(r.maxVersions.GLIBC_PRIVATE?.symbols, ['_dl_private']);
  });
}

test('Go binary recognised from its "Go" build-id note (static, no libc)', () => {
  const r = analyze('go', {
    is64: true,
    littleEndian: true,
    machine: 62,
    type: 2,
    noDynamic: true,
    notes: [{ name: 'Go', type: 4, desc: Buffer.from('abc/def') }],
  });
  assert.deepEqual(r.languages, ['go']);
  assert.equal(r.goBuildId, 'abc/def');
  assert.equal(r.linkage, 'static');
  assert.equal(r.libc, 'none');
});

test('musl shared executable recognised from its interpreter', () => {
  const r = analyze('musl', {
    is64: true,
    littleEndian: true,
    machine: 183,
    interp: '/lib/ld-musl-aarch64.so.1',
    needed: ['libc.so'],
  });
  assert.equal(r.libc, 'musl');
  assert.equal(r.arch, 'aarch64');
});

test('static-pie recognised from DF_1_PIE without interpreter or DT_NEEDED', () => {
  const r = analyze('spie', {
    is64: true,
    littleEndian: true,
    machine: 62,
    flags1: 0x08000000,
    notes: [{ name: 'GNU', type: 1, desc: abiTagDesc(true, 4, 4, 0) }],
  });
  assert.equal(r.linkage, 'static-pie');
  assert.equal(r.kernelFloor, '4.4.0');
  assert.equal(r.libc, 'glibc');
});

function expectElfError(name: string, data: Buffer, pattern: RegExp): void {
  assert.throws(
    () => analyzeBuffer(name, data),
    (err: unknown) => {
      assert.ok(err instanceof ElfError, `expected ElfError, got ${String(err)}`);
      assert.equal(err.file, name);
      assert.match(err.message, new RegExp(`^${name}: `));
      assert.match(err.detail, pattern);
      return true;
    },
  );
}

const good = (): Buffer => buildElf({ ...BASE_SPEC, is64: true, littleEndian: true, machine: 62, hash: 'gnu' });

test('truncated files give an ElfError naming the file', () => {
  const b = good();
  expectElfError('trunc-header', b.subarray(0, 30), /ELF header.*past the end/);
  expectElfError('trunc-phdrs', b.subarray(0, 80), /program headers.*truncated/);
  expectElfError('trunc-tables', b.subarray(0, b.length - 40), /past the end/);
});

test('bad class, bad byte order and corrupt offsets are reported, not crashed on', () => {
  const cls = good();
  cls[4] = 7;
  expectElfError('badclass', cls, /unknown ELF class 7/);
  const order = good();
  order[5] = 0;
  expectElfError('badorder', order, /byte order/);
  const phoff = good();
  phoff.writeBigUInt64LE(0xffffffffffn, 32);
  expectElfError('badphoff', phoff, /program headers/);
  const phent = good();
  phent.writeUInt16LE(8, 54);
  expectElfError('badphent', phent, /entry size 8/);
  const huge = good();
  huge.writeBigUInt64LE(0xffffffffffffffffn, 32);
  expectElfError('hugephoff', huge, /too large/);
});

test('huge counts and looping version chains end with an ElfError', () => {
  // DT_VERNEEDNUM far larger than the chain: the reader must not walk off into the rest of the file forever.
  const b = good();
  const r = analyzeBuffer('ok', b);
  assert.ok(r);
  const dynOff = findDynamic(b);
  const setTag = (buf: Buffer, tag: number, value: number) => {
    for (let o = dynOff; o + 16 <= buf.length; o += 16) {
      if (Number(buf.readBigInt64LE(o)) === tag) {
        buf.writeBigUInt64LE(BigInt(value), o + 8);
        return;
      }
    }
    throw new Error(`tag ${tag} not in fixture`);
  };
  const many = Buffer.from(b);
  setTag(many, 0x6fffffff, 1_000_000);
  expectElfError('verneednum', many, /implausibly large/);
  // The last verneed's vn_next no longer ends the chain: the walk runs into other data and must stop with an error.
  const chain = Buffer.from(b);
  setTag(chain, 0x6fffffff, 4000);
  const vn = Number(readTag(chain, dynOff, 0x6ffffffe)) - 0x10000;
  chain.writeUInt32LE(16, vn + 16 * 4 + 12); // second verneed (after 1 + 3 records of the first): vn_next = 16
  assert.throws(() => analyzeBuffer('chain', chain), ElfError);
  // Symbol count far beyond the file.
  const syms = Buffer.from(b);
  const gh = Number(readTag(syms, dynOff, 0x6ffffef5)) - 0x10000;
  syms.writeUInt32LE(0x7fffffff, gh + 16 + 8); // bucket[0] (after the 16-byte header and one 8-byte bloom word)
  expectElfError('gnuhash', syms, /GNU hash chain|past the end|implausibly/);
  // String offsets outside the string table.
  const str = Buffer.from(b);
  setTag(str, 10, 4); // DT_STRSZ
  expectElfError('strsz', str, /outside the string table/);
});

function findDynamic(b: Buffer): number {
  const phoff = Number(b.readBigUInt64LE(32));
  const phnum = b.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * 56;
    if (b.readUInt32LE(o) === 2) return Number(b.readBigUInt64LE(o + 8));
  }
  throw new Error('no PT_DYNAMIC');
}

function readTag(b: Buffer, dynOff: number, tag: number): bigint {
  for (let o = dynOff; o + 16 <= b.length; o += 16)
    if (Number(b.readBigInt64LE(o)) === tag) return b.readBigUInt64LE(o + 8);
  throw new Error(`tag ${tag} missing`);
}
