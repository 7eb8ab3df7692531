// The dynamic section (found through PT_DYNAMIC, so it works without section headers) and its string table.
import type { Fields } from './binary.js';
import * as C from './constants.js';
import { ElfError } from './errors.js';
import { cString, vaddrToOffset, type ProgramHeader } from './header.js';
import type { ByteSource } from './source.js';

const MAX_DYN_ENTRIES = 100_000;

export interface DynamicInfo {
  /** tag → values in file order (DT_NEEDED repeats). */
  entries: Map<number, number[]>;
  /** The dynamic string table, or null when DT_STRTAB/DT_STRSZ are missing or unmapped. */
  strtab: Buffer | null;
  needed: string[];
  soname?: string;
  rpath?: string;
  runpath?: string;
  flags: number;
  flags1: number;
}

export function first(d: DynamicInfo, tag: number): number | undefined {
  return d.entries.get(tag)?.[0];
}

export function readDynamic(src: ByteSource, f: Fields, dyn: ProgramHeader, phdrs: ProgramHeader[]): DynamicInfo {
  const entSize = f.is64 ? 16 : 8;
  const count = Math.min(Math.floor(dyn.filesz / entSize), MAX_DYN_ENTRIES);
  const b = src.read(dyn.offset, count * entSize, 'dynamic section');
  const entries = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const o = i * entSize;
    const tag = f.sword(b, o);
    if (tag === C.DT_NULL) break;
    // d_val may legitimately be huge for unknown tags; keep it only when it fits.
    let val: number;
    try {
      val = f.word(b, o + f.wordSize, 'd_val');
    } catch {
      continue;
    }
    const list = entries.get(tag);
    if (list) list.push(val);
    else entries.set(tag, [val]);
  }
  const info: DynamicInfo = {
    entries,
    strtab: null,
    needed: [],
    flags: entries.get(C.DT_FLAGS)?.[0] ?? 0,
    flags1: entries.get(C.DT_FLAGS_1)?.[0] ?? 0,
  };
  const strAddr = entries.get(C.DT_STRTAB)?.[0];
  const strSize = entries.get(C.DT_STRSZ)?.[0];
  if (strAddr === undefined || strSize === undefined) {
    if (entries.has(C.DT_NEEDED)) throw new ElfError(src.path, 'DT_NEEDED present but DT_STRTAB/DT_STRSZ missing');
    return info;
  }
  const strOff = vaddrToOffset(phdrs, strAddr);
  if (strOff === null)
    throw new ElfError(src.path, `DT_STRTAB address 0x${strAddr.toString(16)} is not in any PT_LOAD segment`);
  info.strtab = src.read(strOff, strSize, 'dynamic string table');
  const str = (off: number, what: string): string => {
    if (off >= strSize)
      throw new ElfError(src.path, `${what}: string offset ${off} is outside the string table (${strSize} bytes)`);
    return cString(info.strtab as Buffer, off);
  };
  for (const v of entries.get(C.DT_NEEDED) ?? []) info.needed.push(str(v, 'DT_NEEDED'));
  const so = first(info, C.DT_SONAME);
  if (so !== undefined) info.soname = str(so, 'DT_SONAME');
  const rp = first(info, C.DT_RPATH);
  if (rp !== undefined) info.rpath = str(rp, 'DT_RPATH');
  const rup = first(info, C.DT_RUNPATH);
  if (rup !== undefined) info.runpath = str(rup, 'DT_RUNPATH');
  return info;
}
