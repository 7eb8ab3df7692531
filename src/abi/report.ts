// The result of reading one ELF file: everything the verdicts and `kiln abi show` need.
import type { Family } from './families.js';
import type { VersionRequirement } from './versions.js';

export type Linkage = 'dynamic' | 'static' | 'static-pie' | 'none';
export type LibcKind = 'glibc' | 'musl' | 'none' | 'unknown';

/** The highest version of one family that a file requires, and who requires it. */
export interface FamilyMax {
  family: Family;
  /** Full version name, e.g. GLIBC_2.34. */
  name: string;
  /** Numeric part, e.g. 2.34 (absent for GLIBC_PRIVATE / GLIBC_ABI_DT_RELR). */
  number?: string;
  libraries: string[];
  /** Symbols bound to that version (empty when the file has no symbol versions table). */
  symbols: string[];
  /** True when every requirement of this version is VER_FLG_WEAK. */
  weak: boolean;
}

export interface AbiReport {
  file: string;
  size: number;
  elfClass: 32 | 64;
  endian: 'little' | 'big';
  type: 'executable' | 'pie-executable' | 'shared-library' | 'relocatable' | 'core' | 'unknown';
  machine: number;
  arch: string;
  interpreter?: string;
  linkage: Linkage;
  libc: LibcKind;
  /** Toolchain languages recognised: 'go', 'rust'. */
  languages: string[];
  /** Producer strings from .comment (when section headers are present). */
  compilers: string[];
  needed: string[];
  soname?: string;
  rpath?: string;
  runpath?: string;
  requirements: VersionRequirement[];
  maxVersions: Partial<Record<Family, FamilyMax>>;
  /** Minimum glibc the file needs (its highest GLIBC_x.y requirement). */
  minGlibc?: string;
  maxGlibcxx?: string;
  maxCxxabi?: string;
  maxGcc?: string;
  /** Kernel floor from NT_GNU_ABI_TAG. */
  kernelFloor?: string;
  buildId?: string;
  goBuildId?: string;
  usesRelr: boolean;
  hasSectionHeaders: boolean;
  dynamicSymbolCount?: number;
  dynamicSymbolCountSource?: string;
  warnings: string[];
}
