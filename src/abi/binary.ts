// Endian- and class-aware field access on a Buffer. 64-bit values become numbers; values beyond 2^53 are
// reported as errors (no real file offset or address kiln needs is that large).
import { ElfError } from './errors.js';

export class Fields {
  constructor(
    readonly file: string,
    readonly littleEndian: boolean,
    readonly is64: boolean,
  ) {}

  u8(b: Buffer, off: number): number {
    return b.readUInt8(off);
  }
  u16(b: Buffer, off: number): number {
    return this.littleEndian ? b.readUInt16LE(off) : b.readUInt16BE(off);
  }
  u32(b: Buffer, off: number): number {
    return this.littleEndian ? b.readUInt32LE(off) : b.readUInt32BE(off);
  }
  u64(b: Buffer, off: number, what: string): number {
    const v = this.littleEndian ? b.readBigUInt64LE(off) : b.readBigUInt64BE(off);
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new ElfError(this.file, `${what}: value 0x${v.toString(16)} is too large`);
    return Number(v);
  }
  /** A 64-bit value kiln only displays or ignores (p_align, p_memsz): clamped instead of rejected. */
  u64loose(b: Buffer, off: number): number {
    const v = this.littleEndian ? b.readBigUInt64LE(off) : b.readBigUInt64BE(off);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }
  /** A signed 64-bit value (d_tag) as a number; huge values are clamped, they only ever mean "unknown tag". */
  i64(b: Buffer, off: number): number {
    const v = this.littleEndian ? b.readBigInt64LE(off) : b.readBigInt64BE(off);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
    if (v < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
    return Number(v);
  }
  /** A word of the file's class: 4 bytes in ELF32, 8 in ELF64. */
  word(b: Buffer, off: number, what: string): number {
    return this.is64 ? this.u64(b, off, what) : this.u32(b, off);
  }
  sword(b: Buffer, off: number): number {
    if (this.is64) return this.i64(b, off);
    return this.littleEndian ? b.readInt32LE(off) : b.readInt32BE(off);
  }
  get wordSize(): number {
    return this.is64 ? 8 : 4;
  }
}
