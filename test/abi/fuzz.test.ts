// Mutation fuzzing: real binaries and hand-built fixtures with random byte changes, field overwrites and
// truncations (seeded PRNG, so failures reproduce). Every outcome must be a report or an ElfError.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { analyzeBuffer } from '../../src/abi/analyze.js';
import { ElfError } from '../../src/abi/errors.js';
import { buildElf } from './helpers/elf-writer.js';
import { compile, CXX_SRC, HELLO_C, tempDir } from './helpers/toolchain.js';

const dir = tempDir('kiln-abi-fuzz-');
after(() => rmSync(dir, { recursive: true, force: true }));

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffff];

function mutate(base: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(base);
  // Most of the structure the reader follows lives in the first pages; aim most mutations there.
  const hot = Math.min(b.length, 8192);
  const n = 1 + Math.floor(rnd() * 8);
  for (let i = 0; i < n; i++) {
    const kind = rnd();
    const pos = Math.floor(rnd() * (rnd() < 0.8 ? hot : b.length));
    if (kind < 0.5) b[pos] = Math.floor(rnd() * 256);
    else if (kind < 0.9 && pos + 4 <= b.length)
      b.writeUInt32LE(INTERESTING[Math.floor(rnd() * INTERESTING.length)] >>> 0, pos);
    else {
      b = b.subarray(0, Math.max(4, pos)); // truncation
      break;
    }
  }
  b.writeUInt32BE(0x7f454c46, 0); // keep the magic so the reader goes past the first 4 bytes
  return b;
}

function fuzz(name: string, base: Buffer, seed: number, rounds: number): { ok: number; errors: number } {
  const rnd = mulberry32(seed);
  let ok = 0;
  let errors = 0;
  for (let i = 0; i < rounds; i++) {
    const data = mutate(base, rnd);
    try {
      const r = analyzeBuffer(`${name}#${i}`, data);
      assert.ok(r, 'ELF magic kept, so a report or an error');
      ok++;
    } catch (err) {
      if (!(err instanceof ElfError))
        assert.fail(`${name} round ${i} (seed ${seed}): ${String((err as Error)?.stack ?? err)}`);
      assert.equal(err.file, `${name}#${i}`);
      errors++;
    }
  }
  return { ok, errors };
}

test('fuzz: mutated host binaries give a report or an ElfError, never a crash or hang', () => {
  const c = readFileSync(compile(dir, 'hello', 'c', HELLO_C, 'gcc'));
  const cxx = readFileSync(compile(dir, 'cxx', 'cc', CXX_SRC, 'g++'));
  const a = fuzz('hello', c, 1, 400);
  const b = fuzz('cxx', cxx, 2, 400);
  // Both outcomes must actually occur, or the mutations are not reaching the reader.
  assert.ok(a.ok > 0 && a.errors > 0, JSON.stringify(a));
  assert.ok(b.ok > 0 && b.errors > 0, JSON.stringify(b));
});

test('fuzz: mutated big-endian and 32-bit fixtures', () => {
  for (const [i, spec] of [
    { is64: true, littleEndian: false, machine: 21 },
    { is64: false, littleEndian: true, machine: 3 },
    { is64: false, littleEndian: false, machine: 8 },
  ].entries()) {
    const base = buildElf({
      ...spec,
      interp: '/lib/ld.so.1',
      needed: ['libc.so.6'],
      hash: i === 2 ? 'sysv' : 'gnu',
      needs: [{ file: 'libc.so.6', versions: [{ name: 'GLIBC_2.2' }, { name: 'GLIBC_2.34', weak: true }] }],
      symbols: [
        { name: 'puts', version: 'libc.so.6:GLIBC_2.2' },
        { name: 'f', defined: true },
      ],
    });
    const r = fuzz(`fx${i}`, base, 100 + i, 300);
    assert.ok(r.ok + r.errors === 300);
    assert.ok(r.errors > 0);
  }
});
