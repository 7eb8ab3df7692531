// Decompresses many small .xz buffers (the control.tar.xz members of many .debs) with one `xz -dc` process per
// batch instead of one per buffer: requests made in the same tick are concatenated (xz decodes concatenated
// streams), and the output is split using each stream's uncompressed size, read from its xz Index.
// Any buffer whose size cannot be read, or a batch that fails, falls back to one process per buffer so errors
// stay attributed to the right input.

/** Reads a multibyte integer (7 bits per byte, little end first). */
function varint(buf: Buffer, pos: number): [number, number] | undefined {
  let value = 0;
  for (let i = 0; i < 9 && pos + i < buf.length; i++) {
    const b = buf[pos + i];
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return [value, pos + i + 1];
  }
  return undefined;
}

const MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** Total uncompressed size of all streams in an .xz buffer, from their Index fields; undefined if unreadable. */
export function xzUncompressedSize(buf: Buffer): number | undefined {
  let pos = buf.length;
  let total = 0;
  let streams = 0;
  while (pos > 0) {
    while (pos >= 4 && buf.readUInt32LE(pos - 4) === 0) pos -= 4; // stream padding
    if (pos < 24 || buf[pos - 2] !== 0x59 || buf[pos - 1] !== 0x5a) return undefined;
    const indexSize = (buf.readUInt32LE(pos - 8) + 1) * 4;
    const indexStart = pos - 12 - indexSize;
    if (indexStart < 12 || buf[indexStart] !== 0) return undefined;
    let p = indexStart + 1;
    const n = varint(buf, p);
    if (!n) return undefined;
    p = n[1];
    let blocks = 0;
    for (let i = 0; i < n[0]; i++) {
      const unpadded = varint(buf, p);
      if (!unpadded) return undefined;
      const unc = varint(buf, unpadded[1]);
      if (!unc) return undefined;
      blocks += Math.ceil(unpadded[0] / 4) * 4;
      total += unc[0];
      p = unc[1];
    }
    const start = indexStart - blocks - 12;
    if (start < 0 || !buf.subarray(start, start + 6).equals(MAGIC)) return undefined;
    pos = start;
    streams++;
  }
  return streams > 0 ? total : undefined;
}

type Run = (input: Buffer) => Promise<Buffer>;

interface Pending {
  data: Buffer;
  size?: number;
  resolve: (b: Buffer) => void;
  reject: (e: unknown) => void;
}

export class XzBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(private readonly run: Run) {}

  decompress(data: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.pending.push({ data, size: xzUncompressedSize(data), resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    const sized = batch.filter((p) => p.size !== undefined);
    const single = batch.filter((p) => p.size === undefined);
    if (sized.length > 1) {
      try {
        const out = await this.run(Buffer.concat(sized.map((p) => p.data)));
        const expected = sized.reduce((a, p) => a + p.size!, 0);
        if (out.length !== expected) throw new Error('size mismatch');
        let off = 0;
        for (const p of sized) {
          p.resolve(out.subarray(off, off + p.size!));
          off += p.size!;
        }
      } catch {
        single.push(...sized);
      }
    } else single.push(...sized);
    await Promise.all(single.map((p) => this.run(p.data).then(p.resolve, p.reject)));
  }
}
