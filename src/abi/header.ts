// ELF file header, program headers and (when present) section headers, with every count and offset checked.
import { Fields } from './binary.js';
import { archName, PT_LOAD } from './constants.js';
import { ElfError } from './errors.js';
import type { ByteSource } from './source.js';

export interface ElfHeader {
  is64: boolean;
  littleEndian: boolean;
  osabi: number;
  type: number;
  machine: number;
  arch: string;
  entry: number;
  phoff: number;
  shoff: number;
  flags: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
}

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

export interface SectionHeader {
  nameOff: number;
  name: string;
  type: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

const MAX_PHNUM = 4096;
const MAX_SHNUM = 65535;

export function readHeader(src: ByteSource): { header: ElfHeader; f: Fields } {
  const ident = src.read(0, 16, 'ELF identification');
  const cls = ident[4];
  const data = ident[5];
  if (cls !== 1 && cls !== 2) throw new ElfError(src.path, `unknown ELF class ${cls}`);
  if (data !== 1 && data !== 2) throw new ElfError(src.path, `unknown ELF byte order ${data}`);
  const is64 = cls === 2;
  const f = new Fields(src.path, data === 1, is64);
  const b = src.read(0, is64 ? 64 : 52, 'ELF header');
  const machine = f.u16(b, 18);
  const header: ElfHeader = is64
    ? {
        is64,
        littleEndian: f.littleEndian,
        osabi: ident[7],
        type: f.u16(b, 16),
        machine,
        arch: archName(machine, is64, f.littleEndian),
        entry: f.u64(b, 24, 'e_entry'),
        phoff: f.u64(b, 32, 'e_phoff'),
        shoff: f.u64(b, 40, 'e_shoff'),
        flags: f.u32(b, 48),
        phentsize: f.u16(b, 54),
        phnum: f.u16(b, 56),
        shentsize: f.u16(b, 58),
        shnum: f.u16(b, 60),
        shstrndx: f.u16(b, 62),
      }
    : {
        is64,
        littleEndian: f.littleEndian,
        osabi: ident[7],
        type: f.u16(b, 16),
        machine,
        arch: archName(machine, is64, f.littleEndian),
        entry: f.u32(b, 24),
        phoff: f.u32(b, 28),
        shoff: f.u32(b, 32),
        flags: f.u32(b, 36),
        phentsize: f.u16(b, 42),
        phnum: f.u16(b, 44),
        shentsize: f.u16(b, 46),
        shnum: f.u16(b, 48),
        shstrndx: f.u16(b, 50),
      };
  return { header, f };
}

export function readProgramHeaders(src: ByteSource, h: ElfHeader, f: Fields): ProgramHeader[] {
  if (h.phnum === 0) return [];
  const want = h.is64 ? 56 : 32;
  if (h.phentsize < want)
    throw new ElfError(src.path, `program header entry size ${h.phentsize} is smaller than ${want}`);
  if (h.phnum > MAX_PHNUM) throw new ElfError(src.path, `${h.phnum} program headers is implausibly many`);
  const b = src.read(h.phoff, h.phnum * h.phentsize, 'program headers');
  const out: ProgramHeader[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const o = i * h.phentsize;
    out.push(
      h.is64
        ? {
            type: f.u32(b, o),
            flags: f.u32(b, o + 4),
            offset: f.u64(b, o + 8, 'p_offset'),
            vaddr: f.u64(b, o + 16, 'p_vaddr'),
            filesz: f.u64(b, o + 32, 'p_filesz'),
            memsz: f.u64loose(b, o + 40),
            align: f.u64loose(b, o + 48),
          }
        : {
            type: f.u32(b, o),
            offset: f.u32(b, o + 4),
            vaddr: f.u32(b, o + 8),
            filesz: f.u32(b, o + 16),
            memsz: f.u32(b, o + 20),
            flags: f.u32(b, o + 24),
            align: f.u32(b, o + 28),
          },
    );
  }
  return out;
}

/** Section headers, or [] when the file has none (stripped of section headers, or e_shoff/e_shnum zero). */
export function readSectionHeaders(src: ByteSource, h: ElfHeader, f: Fields): SectionHeader[] {
  if (h.shoff === 0 || h.shnum === 0) return [];
  const want = h.is64 ? 64 : 40;
  if (h.shentsize < want)
    throw new ElfError(src.path, `section header entry size ${h.shentsize} is smaller than ${want}`);
  if (h.shnum > MAX_SHNUM) throw new ElfError(src.path, `${h.shnum} section headers is implausibly many`);
  const b = src.read(h.shoff, h.shnum * h.shentsize, 'section headers');
  const out: SectionHeader[] = [];
  for (let i = 0; i < h.shnum; i++) {
    const o = i * h.shentsize;
    out.push(
      h.is64
        ? {
            nameOff: f.u32(b, o),
            name: '',
            type: f.u32(b, o + 4),
            addr: f.u64loose(b, o + 16),
            offset: f.u64(b, o + 24, 'sh_offset'),
            size: f.u64(b, o + 32, 'sh_size'),
            link: f.u32(b, o + 40),
            entsize: f.u64loose(b, o + 56),
          }
        : {
            nameOff: f.u32(b, o),
            name: '',
            type: f.u32(b, o + 4),
            addr: f.u32(b, o + 12),
            offset: f.u32(b, o + 16),
            size: f.u32(b, o + 20),
            link: f.u32(b, o + 24),
            entsize: f.u32(b, o + 36),
          },
    );
  }
  const strtab = out[h.shstrndx];
  if (strtab && h.shstrndx !== 0 && strtab.type !== 8 /* SHT_NOBITS */) {
    const names = src.read(strtab.offset, strtab.size, 'section name table');
    for (const s of out) s.name = cString(names, s.nameOff);
  }
  return out;
}

/** Maps a virtual address to a file offset through the PT_LOAD segments; null when no segment holds it. */
export function vaddrToOffset(loads: ProgramHeader[], vaddr: number): number | null {
  for (const p of loads) {
    if (p.type === PT_LOAD && vaddr >= p.vaddr && vaddr < p.vaddr + p.filesz) return p.offset + (vaddr - p.vaddr);
  }
  return null;
}

/** The NUL-terminated string at `off` (bounded by the buffer); '' when out of range. */
export function cString(b: Buffer, off: number, max = 4096): string {
  if (off < 0 || off >= b.length) return '';
  let end = b.indexOf(0, off);
  if (end < 0 || end - off > max) end = Math.min(b.length, off + max);
  return b.toString('latin1', off, end);
}
