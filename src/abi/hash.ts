// Number of dynamic symbols: SHT_DYNSYM when section headers exist; without them DT_HASH (nchain),
// DT_GNU_HASH (last hashed symbol + 1) or, when nothing is hashed, the gap up to the next dynamic table.
import type { Fields } from './binary.js';
import * as C from './constants.js';
import { first, type DynamicInfo } from './dynamic.js';
import { ElfError } from './errors.js';
import { vaddrToOffset, type ProgramHeader, type SectionHeader } from './header.js';
import type { ByteSource } from './source.js';

const MAX_SYMBOLS = 4_000_000;
const MAX_BUCKETS = 1 << 24;

export function countDynamicSymbols(
  src: ByteSource,
  f: Fields,
  dyn: DynamicInfo,
  loads: ProgramHeader[],
  sections: SectionHeader[],
  arch: string,
): { count: number; countSource: string } | null {
  const dynsym = sections.find((s) => s.type === C.SHT_DYNSYM);
  if (dynsym && dynsym.entsize > 0)
    return { count: checkCount(src, Math.floor(dynsym.size / dynsym.entsize)), countSource: 'section' };
  const sysv = first(dyn, C.DT_HASH);
  if (sysv !== undefined) {
    const off = vaddrToOffset(loads, sysv);
    if (off === null) throw new ElfError(src.path, 'DT_HASH is not in any PT_LOAD segment');
    // s390x uses 8-byte hash table entries.
    const wide = arch === 's390x' && f.is64;
    const h = src.read(off, wide ? 16 : 8, 'hash table header');
    const nchain = wide ? f.u64(h, 8, 'nchain') : f.u32(h, 4);
    return { count: checkCount(src, nchain), countSource: 'hash' };
  }
  const gnu = first(dyn, C.DT_GNU_HASH);
  if (gnu !== undefined) {
    const n = gnuHashCount(src, f, loads, gnu);
    if (n !== null) return { count: n, countSource: 'gnu-hash' };
  }
  // No hashed symbol (an executable exporting nothing): symoffset is not reliable then, so bound the table by
  // the next table the dynamic section points at (linkers lay them out back to back).
  const n = layoutBound(dyn, loads, f);
  return n === null ? null : { count: checkCount(src, n), countSource: 'layout' };
}

const ADDRESS_TAGS = [3, 4, 5, 7, 12, 13, 17, 23, 25, 26, C.DT_GNU_HASH, C.DT_VERSYM, C.DT_VERNEED, C.DT_VERDEF];

function layoutBound(dyn: DynamicInfo, loads: ProgramHeader[], f: Fields): number | null {
  const sym = first(dyn, C.DT_SYMTAB);
  if (sym === undefined) return null;
  const ent = first(dyn, C.DT_SYMENT) ?? (f.is64 ? 24 : 16);
  const seg = loads.find((p) => sym >= p.vaddr && sym < p.vaddr + p.filesz);
  if (!seg || ent <= 0) return null;
  let end = seg.vaddr + seg.filesz;
  for (const tag of ADDRESS_TAGS) {
    for (const v of dyn.entries.get(tag) ?? []) if (v > sym && v < end) end = v;
  }
  return Math.floor((end - sym) / ent);
}

function checkCount(src: ByteSource, n: number): number {
  if (n > MAX_SYMBOLS) throw new ElfError(src.path, `${n} dynamic symbols is implausibly many`);
  return n;
}

/** Last hashed symbol index + 1, or null when the table hashes no symbol. */
function gnuHashCount(src: ByteSource, f: Fields, loads: ProgramHeader[], addr: number): number | null {
  const off = vaddrToOffset(loads, addr);
  if (off === null) throw new ElfError(src.path, 'DT_GNU_HASH is not in any PT_LOAD segment');
  const h = src.read(off, 16, 'GNU hash header');
  const nbuckets = f.u32(h, 0);
  const symoffset = f.u32(h, 4);
  const bloomSize = f.u32(h, 8);
  if (nbuckets > MAX_BUCKETS || bloomSize > MAX_BUCKETS)
    throw new ElfError(src.path, 'GNU hash table sizes are implausibly large');
  const bucketsOff = off + 16 + bloomSize * f.wordSize;
  const buckets = src.read(bucketsOff, nbuckets * 4, 'GNU hash buckets');
  let maxSym = 0;
  for (let i = 0; i < nbuckets; i++) maxSym = Math.max(maxSym, f.u32(buckets, i * 4));
  if (maxSym === 0) return null;
  if (maxSym < symoffset) throw new ElfError(src.path, `GNU hash bucket ${maxSym} is below symoffset ${symoffset}`);
  const chainsOff = bucketsOff + nbuckets * 4;
  let idx = maxSym;
  const CHUNK = 256;
  for (;;) {
    if (idx > MAX_SYMBOLS) throw new ElfError(src.path, 'GNU hash chain does not terminate');
    const start = chainsOff + (idx - symoffset) * 4;
    const avail = Math.min(CHUNK, Math.floor((src.size - start) / 4));
    if (avail <= 0) throw new ElfError(src.path, 'GNU hash chain runs past the end of the file');
    const chunk = src.read(start, avail * 4, 'GNU hash chain');
    for (let k = 0; k < avail; k++, idx++) {
      if (f.u32(chunk, k * 4) & 1) return checkCount(src, idx + 1);
    }
  }
}
