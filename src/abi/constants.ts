// Numeric constants of the ELF format used by the reader (System V gABI and the GNU extensions).

export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;

export const SHT_DYNSYM = 11;
export const SHT_PROGBITS = 1;

export const DT_NULL = 0;
export const DT_NEEDED = 1;
export const DT_HASH = 4;
export const DT_STRTAB = 5;
export const DT_SYMTAB = 6;
export const DT_STRSZ = 10;
export const DT_SYMENT = 11;
export const DT_SONAME = 14;
export const DT_RPATH = 15;
export const DT_RUNPATH = 29;
export const DT_FLAGS = 30;
export const DT_RELR = 36;
export const DT_GNU_HASH = 0x6ffffef5;
export const DT_VERSYM = 0x6ffffff0;
export const DT_FLAGS_1 = 0x6ffffffb;
export const DT_VERDEF = 0x6ffffffc;
export const DT_VERDEFNUM = 0x6ffffffd;
export const DT_VERNEED = 0x6ffffffe;
export const DT_VERNEEDNUM = 0x6fffffff;

export const DF_1_PIE = 0x08000000;
export const VER_FLG_WEAK = 0x2;
export const NT_GNU_ABI_TAG = 1;
export const NT_GO_BUILDID = 4;

/** e_machine → the architecture name kiln and the target database use. */
export const MACHINES: Record<number, string> = {
  2: 'sparc',
  3: 'i386',
  8: 'mips',
  18: 'sparc32plus',
  20: 'ppc',
  21: 'ppc64',
  22: 's390x',
  40: 'arm',
  43: 'sparc64',
  50: 'ia64',
  62: 'x86_64',
  183: 'aarch64',
  243: 'riscv64',
  258: 'loongarch64',
};

/** Refines the raw machine name with class and byte order (ppc64 vs ppc64le, mips64el, riscv32 ...). */
export function archName(machine: number, is64: boolean, littleEndian: boolean): string {
  const base = MACHINES[machine];
  if (base === undefined) return `machine-${machine}`;
  if (base === 'ppc64') return littleEndian ? 'ppc64le' : 'ppc64';
  if (base === 'mips') return `${is64 ? 'mips64' : 'mips'}${littleEndian ? 'el' : ''}`;
  if (base === 'riscv64') return is64 ? 'riscv64' : 'riscv32';
  if (base === 's390x') return is64 ? 's390x' : 's390';
  if (base === 'loongarch64') return is64 ? 'loongarch64' : 'loongarch32';
  return base;
}

export const ELF_TYPES: Record<number, string> = { 1: 'relocatable', 2: 'executable', 3: 'shared', 4: 'core' };
