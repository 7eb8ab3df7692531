// A small ELF writer for hand-built fixtures: ELF32/ELF64, little or big endian, one PT_LOAD covering the
// file, optional PT_INTERP and PT_NOTE, a PT_DYNAMIC with DT_NEEDED/SONAME/RUNPATH, a dynamic symbol table,
// DT_VERSYM, a DT_VERNEED chain and a DT_HASH or DT_GNU_HASH table. No section headers.

export interface FixtureVersion {
  name: string;
  weak?: boolean;
}
export interface FixtureNeed {
  file: string;
  versions: FixtureVersion[];
}
export interface FixtureSymbol {
  name: string;
  /** "FILE:VERSION" of a required version, or undefined for an unversioned (global) symbol. */
  version?: string;
  /** Defined (exported) symbols go after the undefined ones in GNU hash order. */
  defined?: boolean;
}
export interface FixtureNote {
  name: string;
  type: number;
  desc: Buffer;
}
export interface FixtureSpec {
  is64: boolean;
  littleEndian: boolean;
  machine: number;
  type?: number;
  interp?: string;
  needed?: string[];
  soname?: string;
  runpath?: string;
  needs?: FixtureNeed[];
  symbols?: FixtureSymbol[];
  hash?: 'sysv' | 'gnu';
  notes?: FixtureNote[];
  flags1?: number;
  /** Skip PT_DYNAMIC entirely (a static executable). */
  noDynamic?: boolean;
}

const BASE = 0x10000;

export function buildElf(spec: FixtureSpec): Buffer {
  const { is64, littleEndian: le } = spec;
  const W = is64 ? 8 : 4;
  const u16 = (v: number) => {
    const b = Buffer.alloc(2);
    le ? b.writeUInt16LE(v) : b.writeUInt16BE(v);
    return b;
  };
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    le ? b.writeUInt32LE(v >>> 0) : b.writeUInt32BE(v >>> 0);
    return b;
  };
  const word = (v: number) => {
    if (!is64) return u32(v);
    const b = Buffer.alloc(8);
    le ? b.writeBigUInt64LE(BigInt(v)) : b.writeBigUInt64BE(BigInt(v));
    return b;
  };

  // String table.
  const strs: string[] = [''];
  const strOff = new Map<string, number>([['', 0]]);
  let strLen = 1;
  const addStr = (s: string): number => {
    const have = strOff.get(s);
    if (have !== undefined) return have;
    strOff.set(s, strLen);
    strs.push(s);
    strLen += Buffer.byteLength(s) + 1;
    return strOff.get(s) as number;
  };
  const needed = spec.needed ?? [];
  needed.forEach(addStr);
  if (spec.soname) addStr(spec.soname);
  if (spec.runpath) addStr(spec.runpath);
  const needs = spec.needs ?? [];
  // Version indexes start at 2 (0 local, 1 global).
  const versionIndex = new Map<string, number>();
  let next = 2;
  for (const n of needs) {
    addStr(n.file);
    for (const v of n.versions) {
      addStr(v.name);
      versionIndex.set(`${n.file}:${v.name}`, next++);
    }
  }
  const symbols = [...(spec.symbols ?? [])].sort((a, b) => Number(!!a.defined) - Number(!!b.defined));
  symbols.forEach((s) => addStr(s.name));
  const dynstr = Buffer.concat([Buffer.from(strs.join('\0')), Buffer.from([0])]);

  // Symbols (index 0 is the null symbol).
  const symEnt = is64 ? 24 : 16;
  const dynsym = Buffer.alloc(symEnt * (symbols.length + 1));
  const versym = Buffer.alloc(2 * (symbols.length + 1));
  symbols.forEach((s, i) => {
    const o = (i + 1) * symEnt;
    const nameOff = strOff.get(s.name) as number;
    const info = (1 << 4) | 2; // STB_GLOBAL, STT_FUNC
    const shndx = s.defined ? 1 : 0;
    const value = s.defined ? BASE + 0x100 : 0;
    if (is64) {
      u32(nameOff).copy(dynsym, o);
      dynsym[o + 4] = info;
      u16(shndx).copy(dynsym, o + 6);
      word(value).copy(dynsym, o + 8);
    } else {
      u32(nameOff).copy(dynsym, o);
      u32(value).copy(dynsym, o + 4);
      dynsym[o + 12] = info;
      u16(shndx).copy(dynsym, o + 14);
    }
    const vi = s.version ? versionIndex.get(s.version) : 1;
    if (vi === undefined) throw new Error(`fixture symbol ${s.name}: unknown version ${s.version}`);
    u16(vi).copy(versym, (i + 1) * 2);
  });

  // Version needs.
  const vparts: Buffer[] = [];
  needs.forEach((n, i) => {
    const last = i === needs.length - 1;
    vparts.push(
      Buffer.concat([
        u16(1),
        u16(n.versions.length),
        u32(strOff.get(n.file) as number),
        u32(16),
        u32(last ? 0 : 16 + 16 * n.versions.length),
      ]),
    );
    n.versions.forEach((v, j) => {
      const lastAux = j === n.versions.length - 1;
      vparts.push(
        Buffer.concat([
          u32(elfHash(v.name)),
          u16(v.weak ? 2 : 0),
          u16(versionIndex.get(`${n.file}:${v.name}`) as number),
          u32(strOff.get(v.name) as number),
          u32(lastAux ? 0 : 16),
        ]),
      );
    });
  });
  const verneed = Buffer.concat(vparts);

  // Hash table.
  const nsyms = symbols.length + 1;
  let hash: Buffer;
  if (spec.hash === 'sysv') {
    hash = Buffer.concat([u32(1), u32(nsyms), u32(0), ...Array.from({ length: nsyms }, () => u32(0))]);
  } else {
    const firstDefined = symbols.findIndex((s) => s.defined);
    const symoffset = firstDefined < 0 ? nsyms : firstDefined + 1;
    const chain = Array.from({ length: nsyms - symoffset }, (_, k) => u32(k === nsyms - symoffset - 1 ? 1 : 0));
    hash = Buffer.concat([
      u32(1),
      u32(symoffset),
      u32(1),
      u32(6),
      word(0),
      u32(firstDefined < 0 ? 0 : symoffset),
      ...chain,
    ]);
  }

  // Notes.
  const notes = Buffer.concat(
    (spec.notes ?? []).map((n) => {
      const name = Buffer.concat([Buffer.from(n.name), Buffer.from([0])]);
      return Buffer.concat([u32(name.length), u32(n.desc.length), u32(n.type), pad4(name), pad4(n.desc)]);
    }),
  );

  const interp = spec.interp ? Buffer.concat([Buffer.from(spec.interp), Buffer.from([0])]) : Buffer.alloc(0);
  const ehsize = is64 ? 64 : 52;
  const phentsize = is64 ? 56 : 32;
  const phnum = 1 + (spec.interp ? 1 : 0) + (spec.noDynamic ? 0 : 1) + (notes.length ? 1 : 0);

  // Layout.
  let off = ehsize + phnum * phentsize;
  const place = (b: Buffer): number => {
    off = align(off, 8);
    const at = off;
    off += b.length;
    return at;
  };
  const interpOff = place(interp);
  const strOffFile = place(dynstr);
  const symOff = place(dynsym);
  const versymOff = place(versym);
  const verneedOff = place(verneed);
  const hashOff = place(hash);
  const notesOff = place(notes);
  const dynEntries: Array<[number, number]> = [];
  for (const n of needed) dynEntries.push([1, strOff.get(n) as number]);
  if (spec.soname) dynEntries.push([14, strOff.get(spec.soname) as number]);
  if (spec.runpath) dynEntries.push([29, strOff.get(spec.runpath) as number]);
  dynEntries.push([5, BASE + strOffFile], [10, dynstr.length], [6, BASE + symOff], [11, symEnt]);
  dynEntries.push([spec.hash === 'sysv' ? 4 : 0x6ffffef5, BASE + hashOff]);
  if (symbols.length) dynEntries.push([0x6ffffff0, BASE + versymOff]);
  if (needs.length) dynEntries.push([0x6ffffffe, BASE + verneedOff], [0x6fffffff, needs.length]);
  if (spec.flags1) dynEntries.push([0x6ffffffb, spec.flags1]);
  dynEntries.push([0, 0]);
  const dynamic = Buffer.concat(dynEntries.flatMap(([t, v]) => [word(t), word(v)]));
  const dynOff = spec.noDynamic ? 0 : place(dynamic);
  const total = off;

  const phdr = (type: number, flags: number, o: number, size: number, alignment: number): Buffer =>
    is64
      ? Buffer.concat([
          u32(type),
          u32(flags),
          word(o),
          word(BASE + o),
          word(BASE + o),
          word(size),
          word(size),
          word(alignment),
        ])
      : Buffer.concat([
          u32(type),
          u32(o),
          u32(BASE + o),
          u32(BASE + o),
          u32(size),
          u32(size),
          u32(flags),
          u32(alignment),
        ]);
  const phdrs: Buffer[] = [phdr(1, 5, 0, total, 0x1000)];
  if (spec.interp) phdrs.push(phdr(3, 4, interpOff, interp.length, 1));
  if (!spec.noDynamic) phdrs.push(phdr(2, 6, dynOff, dynamic.length, W));
  if (notes.length) phdrs.push(phdr(4, 4, notesOff, notes.length, 4));

  const ident = Buffer.alloc(16);
  ident.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1, 0]);
  const type = spec.type ?? 3;
  const header = is64
    ? Buffer.concat([
        ident,
        u16(type),
        u16(spec.machine),
        u32(1),
        word(BASE + 0x100),
        word(ehsize),
        word(0),
        u32(0),
        u16(ehsize),
        u16(phentsize),
        u16(phnum),
        u16(64),
        u16(0),
        u16(0),
      ])
    : Buffer.concat([
        ident,
        u16(type),
        u16(spec.machine),
        u32(1),
        u32(BASE + 0x100),
        u32(ehsize),
        u32(0),
        u32(0),
        u16(ehsize),
        u16(phentsize),
        u16(phnum),
        u16(40),
        u16(0),
        u16(0),
      ]);

  const out = Buffer.alloc(total);
  header.copy(out, 0);
  Buffer.concat(phdrs).copy(out, ehsize);
  interp.copy(out, interpOff);
  dynstr.copy(out, strOffFile);
  dynsym.copy(out, symOff);
  versym.copy(out, versymOff);
  verneed.copy(out, verneedOff);
  hash.copy(out, hashOff);
  notes.copy(out, notesOff);
  if (!spec.noDynamic) dynamic.copy(out, dynOff);
  return out;
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function pad4(b: Buffer): Buffer {
  const n = align(b.length, 4);
  return n === b.length ? b : Buffer.concat([b, Buffer.alloc(n - b.length)]);
}

/** The System V ELF hash (vna_hash). */
export function elfHash(name: string): number {
  let h = 0;
  for (const c of Buffer.from(name)) {
    h = ((h << 4) + c) >>> 0;
    const g = h & 0xf0000000;
    if (g) h ^= g >>> 24;
    h &= ~g >>> 0;
  }
  return h >>> 0;
}

/** The NT_GNU_ABI_TAG descriptor for Linux x.y.z. */
export function abiTagDesc(le: boolean, x: number, y: number, z: number): Buffer {
  const b = Buffer.alloc(16);
  [0, x, y, z].forEach((v, i) => (le ? b.writeUInt32LE(v, i * 4) : b.writeUInt32BE(v, i * 4)));
  return b;
}
