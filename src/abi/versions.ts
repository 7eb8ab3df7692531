// Symbol version requirements (DT_VERNEED chain) and, through DT_VERSYM and the dynamic symbol table, the
// symbols that use each required version. Works from the dynamic section alone (no section headers needed).
import type { Fields } from './binary.js';
import * as C from './constants.js';
import { first, type DynamicInfo } from './dynamic.js';
import { ElfError } from './errors.js';
import { cString, vaddrToOffset, type ProgramHeader, type SectionHeader } from './header.js';
import { countDynamicSymbols } from './hash.js';
import type { ByteSource } from './source.js';

const MAX_VERNEED_FILES = 4096;
const MAX_VERNAUX_TOTAL = 65536;

export interface VersionRequirement {
  /** The library the version is required from (vn_file). */
  library: string;
  /** The version name, e.g. GLIBC_2.34. */
  version: string;
  /** VER_FLG_WEAK: the loader only warns when the version is missing. */
  weak: boolean;
  /** Version index used by DT_VERSYM entries. */
  index: number;
  /** Dynamic symbols bound to this version (sorted, unique). */
  symbols: string[];
}

export interface SymbolInfo {
  count: number;
  /** How the count was found: 'section' (SHT_DYNSYM), 'hash', 'gnu-hash' or 'layout'. */
  countSource: string;
}

export function readVersionNeeds(
  src: ByteSource,
  f: Fields,
  dyn: DynamicInfo,
  loads: ProgramHeader[],
): VersionRequirement[] {
  const addr = first(dyn, C.DT_VERNEED);
  if (addr === undefined) return [];
  const num = first(dyn, C.DT_VERNEEDNUM) ?? 0;
  if (num > MAX_VERNEED_FILES) throw new ElfError(src.path, `DT_VERNEEDNUM ${num} is implausibly large`);
  const strtab = dyn.strtab;
  if (!strtab) throw new ElfError(src.path, 'DT_VERNEED present but no dynamic string table');
  let off = vaddrToOffset(loads, addr);
  if (off === null)
    throw new ElfError(src.path, `DT_VERNEED address 0x${addr.toString(16)} is not in any PT_LOAD segment`);
  const str = (o: number, what: string): string => {
    if (o >= strtab.length) throw new ElfError(src.path, `${what}: string offset ${o} is outside the string table`);
    return cString(strtab, o);
  };
  const out: VersionRequirement[] = [];
  const seen = new Set<number>();
  let auxTotal = 0;
  for (let i = 0; i < num; i++) {
    if (seen.has(off)) throw new ElfError(src.path, `version needs chain loops back to offset ${off}`);
    seen.add(off);
    const vn = src.read(off, 16, 'version need entry');
    const cnt = f.u16(vn, 2);
    const file = str(f.u32(vn, 4), 'vn_file');
    const auxRel = f.u32(vn, 8);
    const next = f.u32(vn, 12);
    let aoff = off + auxRel;
    const seenAux = new Set<number>();
    for (let j = 0; j < cnt; j++) {
      if (++auxTotal > MAX_VERNAUX_TOTAL) throw new ElfError(src.path, 'too many version need entries');
      if (seenAux.has(aoff)) throw new ElfError(src.path, `version need aux chain loops back to offset ${aoff}`);
      seenAux.add(aoff);
      const a = src.read(aoff, 16, 'version need aux entry');
      out.push({
        library: file,
        version: str(f.u32(a, 8), 'vna_name'),
        weak: (f.u16(a, 4) & C.VER_FLG_WEAK) !== 0,
        index: f.u16(a, 6) & 0x7fff,
        symbols: [],
      });
      const an = f.u32(a, 12);
      if (an === 0) break;
      aoff += an;
    }
    if (next === 0) break;
    off += next;
  }
  return out;
}

/**
 * Fills `symbols` of each requirement from DT_VERSYM + DT_SYMTAB. The symbol count comes from the hash tables
 * (DT_GNU_HASH / DT_HASH), or from SHT_DYNSYM when the file has section headers and no hash table.
 */
export function attachSymbols(
  src: ByteSource,
  f: Fields,
  dyn: DynamicInfo,
  loads: ProgramHeader[],
  sections: SectionHeader[],
  reqs: VersionRequirement[],
  arch: string,
): SymbolInfo | null {
  const versymAddr = first(dyn, C.DT_VERSYM);
  const symAddr = first(dyn, C.DT_SYMTAB);
  if (versymAddr === undefined || symAddr === undefined || !dyn.strtab) return null;
  const counted = countDynamicSymbols(src, f, dyn, loads, sections, arch);
  if (!counted) return null;
  const n = counted.count;
  if (n === 0 || reqs.length === 0) return counted;
  const entSize = first(dyn, C.DT_SYMENT) ?? (f.is64 ? 24 : 16);
  if (entSize < (f.is64 ? 24 : 16) || entSize > 64)
    throw new ElfError(src.path, `DT_SYMENT ${entSize} is not a symbol size`);
  const vOff = vaddrToOffset(loads, versymAddr);
  const sOff = vaddrToOffset(loads, symAddr);
  if (vOff === null || sOff === null)
    throw new ElfError(src.path, 'DT_VERSYM or DT_SYMTAB is not in any PT_LOAD segment');
  const versym = src.read(vOff, n * 2, 'version symbol table');
  const syms = src.read(sOff, n * entSize, 'dynamic symbol table');
  const byIndex = new Map<number, Set<string>>();
  for (const r of reqs) if (!byIndex.has(r.index)) byIndex.set(r.index, new Set());
  const strtab = dyn.strtab;
  for (let i = 1; i < n; i++) {
    const vi = f.u16(versym, i * 2) & 0x7fff;
    const set = byIndex.get(vi);
    if (!set) continue;
    const name = cString(strtab, f.u32(syms, i * entSize));
    if (name) set.add(name);
  }
  for (const r of reqs) r.symbols = [...(byIndex.get(r.index) ?? [])].sort();
  return counted;
}
