// Reads one ELF file into an AbiReport: header, segments, dynamic section, version needs, symbols, notes.
import * as C from './constants.js';
import { readDynamic, type DynamicInfo } from './dynamic.js';
import { ElfError } from './errors.js';
import { compareVersions, parseVersionName, type Family } from './families.js';
import { readHeader, readProgramHeaders, readSectionHeaders, type SectionHeader } from './header.js';
import { readNotes } from './notes.js';
import type { AbiReport, FamilyMax, LibcKind, Linkage } from './report.js';
import { ByteSource } from './source.js';
import { attachSymbols, readVersionNeeds, type VersionRequirement } from './versions.js';

/** Reads a file; returns null when it is not ELF (decided from its first 4 bytes). */
export function analyzeFile(path: string): AbiReport | null {
  const src = ByteSource.openElf(path);
  if (!src) return null;
  try {
    return analyzeSource(src);
  } finally {
    src.close();
  }
}

export function analyzeBuffer(name: string, data: Buffer): AbiReport | null {
  if (data.length < 4 || data.readUInt32BE(0) !== 0x7f454c46) return null;
  return analyzeSource(ByteSource.fromBuffer(name, data));
}

export function analyzeSource(src: ByteSource): AbiReport {
  try {
    return analyze(src);
  } catch (err) {
    if (err instanceof ElfError) throw err;
    // Buffer range errors and the like: the bounds checks above should catch everything, but never crash.
    throw new ElfError(src.path, `malformed ELF: ${(err as Error).message}`, { cause: err });
  }
}

function analyze(src: ByteSource): AbiReport {
  const { header: h, f } = readHeader(src);
  const phdrs = readProgramHeaders(src, h, f);
  const warnings: string[] = [];
  let sections: SectionHeader[] = [];
  try {
    sections = readSectionHeaders(src, h, f);
  } catch (err) {
    if (!(err instanceof ElfError)) throw err;
    warnings.push(`section headers ignored: ${err.detail}`);
  }
  const loads = phdrs.filter((p) => p.type === C.PT_LOAD);

  let interpreter: string | undefined;
  const interpPh = phdrs.find((p) => p.type === C.PT_INTERP);
  if (interpPh) {
    const b = src.read(interpPh.offset, Math.min(interpPh.filesz, 4096), 'PT_INTERP');
    const nul = b.indexOf(0);
    interpreter = b.toString('latin1', 0, nul < 0 ? b.length : nul);
  }

  const dynPh = phdrs.find((p) => p.type === C.PT_DYNAMIC);
  let dyn: DynamicInfo | undefined;
  let requirements: VersionRequirement[] = [];
  let symInfo: { count: number; countSource: string } | null = null;
  if (dynPh) {
    dyn = readDynamic(src, f, dynPh, loads);
    requirements = readVersionNeeds(src, f, dyn, loads);
    symInfo = attachSymbols(src, f, dyn, loads, sections, requirements, h.arch);
  }
  const notes = readNotes(src, f, phdrs);
  const comments = readComments(src, sections);
  const languages: string[] = [];
  if (notes.goBuildId !== undefined || sections.some((s) => s.name === '.go.buildinfo' || s.name === '.gopclntab')) {
    languages.push('go');
  }
  if (
    comments.some((c) => c.startsWith('rustc version')) ||
    sections.some((s) => s.name === '.rustc') ||
    symtabMentionsRust(src, sections)
  ) {
    languages.push('rust');
  }

  const needed = dyn?.needed ?? [];
  const type = fileType(h.type, dyn, interpreter);
  const linkage = linkageOf(h.type, interpreter, dyn);
  const maxVersions = familyMaxima(requirements);
  const report: AbiReport = {
    file: src.path,
    size: src.size,
    elfClass: h.is64 ? 64 : 32,
    endian: h.littleEndian ? 'little' : 'big',
    type,
    machine: h.machine,
    arch: h.arch,
    interpreter,
    linkage,
    libc: libcOf(interpreter, needed, requirements, linkage, notes.abiTagKernel, languages),
    languages,
    compilers: comments.filter((c) => !c.startsWith('Linker:')),
    needed,
    soname: dyn?.soname,
    rpath: dyn?.rpath,
    runpath: dyn?.runpath,
    requirements,
    maxVersions,
    minGlibc: maxVersions.GLIBC?.number,
    maxGlibcxx: maxVersions.GLIBCXX?.number,
    maxCxxabi: maxVersions.CXXABI?.number,
    maxGcc: maxVersions.GCC?.number,
    kernelFloor: notes.abiTagKernel,
    buildId: notes.buildId,
    goBuildId: notes.goBuildId,
    usesRelr: dyn?.entries.has(C.DT_RELR) ?? false,
    hasSectionHeaders: sections.length > 0,
    dynamicSymbolCount: symInfo?.count,
    dynamicSymbolCountSource: symInfo?.countSource,
    warnings,
  };
  if (notes.abiTagOs) warnings.push(`ABI tag names another OS: ${notes.abiTagOs}`);
  if (dyn && !dyn.strtab && dynPh) warnings.push('dynamic section has no string table');
  return report;
}

function fileType(t: number, dyn: DynamicInfo | undefined, interp: string | undefined): AbiReport['type'] {
  if (t === C.ET_EXEC) return 'executable';
  if (t === C.ET_REL) return 'relocatable';
  if (t === C.ET_CORE) return 'core';
  if (t !== C.ET_DYN) return 'unknown';
  if (dyn && dyn.flags1 & C.DF_1_PIE) return 'pie-executable';
  if (interp && !dyn?.soname) return 'pie-executable';
  return 'shared-library';
}

function linkageOf(t: number, interp: string | undefined, dyn: DynamicInfo | undefined): Linkage {
  if (t !== C.ET_EXEC && t !== C.ET_DYN) return 'none';
  if (interp) return 'dynamic';
  if (!dyn) return 'static';
  if (dyn.needed.length === 0 && t === C.ET_DYN && (dyn.flags1 & C.DF_1_PIE) !== 0) return 'static-pie';
  if (dyn.needed.length === 0 && t === C.ET_EXEC) return 'static';
  return 'dynamic';
}

function libcOf(
  interp: string | undefined,
  needed: string[],
  reqs: VersionRequirement[],
  linkage: Linkage,
  abiTag: string | undefined,
  languages: string[],
): LibcKind {
  if (interp) {
    if (/ld-musl/.test(interp)) return 'musl';
    if (/ld-linux|ld64\.so|\/ld\.so\.1$|ld-2\./.test(interp)) return 'glibc';
  }
  if (needed.some((n) => n.startsWith('libc.musl-')) || needed.includes('libc.so')) return 'musl';
  if (needed.includes('libc.so.6') || reqs.some((r) => r.version.startsWith('GLIBC_'))) return 'glibc';
  if (linkage === 'dynamic' && !interp && needed.length === 0) return 'none';
  if (linkage === 'static' || linkage === 'static-pie') {
    if (abiTag) return 'glibc';
    if (languages.includes('go')) return 'none';
  }
  return 'unknown';
}

export function familyMaxima(reqs: VersionRequirement[]): Partial<Record<Family, FamilyMax>> {
  const out: Partial<Record<Family, FamilyMax>> = {};
  for (const r of reqs) {
    const p = parseVersionName(r.version);
    if (p.family === 'other') continue;
    const cur = out[p.family];
    const cmp = cur === undefined ? 1 : p.number && cur.number ? compareVersions(p.number, cur.number) : 0;
    if (cmp > 0 || cur === undefined) {
      out[p.family] = {
        family: p.family,
        name: r.version,
        number: p.number,
        libraries: [r.library],
        symbols: [...r.symbols],
        weak: r.weak,
      };
    } else if (cmp === 0 && cur) {
      if (!cur.libraries.includes(r.library)) cur.libraries.push(r.library);
      cur.symbols = [...new Set([...cur.symbols, ...r.symbols])].sort();
      cur.weak = cur.weak && r.weak;
    }
  }
  return out;
}

const RUST_MARKERS = ['rust_begin_unwind', '__rust_alloc', 'rust_panic'];

/** Older rustc releases write no .comment: look for the Rust runtime's symbols in .strtab (unstripped files). */
function symtabMentionsRust(src: ByteSource, sections: SectionHeader[]): boolean {
  const s = sections.find((x) => x.name === '.strtab' && x.type === 3 /* SHT_STRTAB */);
  if (!s || s.size === 0 || s.size > 16 * 1024 * 1024 || s.offset + s.size > src.size) return false;
  const b = src.read(s.offset, s.size, '.strtab section');
  return RUST_MARKERS.some((m) => b.includes(m));
}

/** Producer strings from .comment; only read when section headers exist (it is not in a loaded segment). */
function readComments(src: ByteSource, sections: SectionHeader[]): string[] {
  const s = sections.find((x) => x.name === '.comment' && x.type === C.SHT_PROGBITS);
  if (!s || s.size === 0 || s.size > 65536 || s.offset + s.size > src.size) return [];
  const b = src.read(s.offset, s.size, '.comment section');
  return [
    ...new Set(
      b
        .toString('latin1')
        .split('\0')
        .map((x) => x.trim())
        .filter(Boolean),
    ),
  ];
}
