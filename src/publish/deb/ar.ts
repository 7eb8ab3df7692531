// The Unix `ar` archive format as used by .deb files: "!<arch>\n", then per member a 60-byte ASCII header
// (name/16, mtime/12, uid/6, gid/6, mode/8 octal, size/10, "`\n") followed by the data, padded to an even length.

export interface ArMember {
  name: string;
  data: Buffer;
  mtime?: number;
  mode?: number;
}

const MAGIC = '!<arch>\n';

function field(value: string, width: number): string {
  if (value.length > width) throw new Error(`ar header field "${value}" longer than ${width}`);
  return value.padEnd(width, ' ');
}

/** Writes members in order. uid/gid are always 0; mode defaults to 0100644; mtime to 0. */
export function writeAr(members: ArMember[]): Buffer {
  const parts: Buffer[] = [Buffer.from(MAGIC, 'latin1')];
  for (const m of members) {
    const header =
      field(m.name, 16) +
      field(String(m.mtime ?? 0), 12) +
      field('0', 6) +
      field('0', 6) +
      field((m.mode ?? 0o100644).toString(8), 8) +
      field(String(m.data.length), 10) +
      '`\n';
    parts.push(Buffer.from(header, 'latin1'), m.data);
    if (m.data.length % 2 === 1) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** Reads all members; throws an Error with a short reason on malformed input (callers wrap it). */
export function readAr(buf: Buffer): ArMember[] {
  if (buf.length < 8 || buf.toString('latin1', 0, 8) !== MAGIC) throw new Error('missing "!<arch>" magic');
  const out: ArMember[] = [];
  let off = 8;
  while (off < buf.length) {
    if (buf.length - off === 1 && buf[off] === 0x0a) break;
    if (off + 60 > buf.length) throw new Error(`truncated ar header at byte ${off}`);
    const h = buf.toString('latin1', off, off + 60);
    if (h.slice(58, 60) !== '`\n') throw new Error(`bad ar header terminator at byte ${off}`);
    let name = h.slice(0, 16).trimEnd();
    if (name.endsWith('/') && name !== '/') name = name.slice(0, -1);
    const size = Number.parseInt(h.slice(48, 58).trim(), 10);
    if (!Number.isFinite(size) || size < 0) throw new Error(`bad member size for "${name}"`);
    const start = off + 60;
    if (start + size > buf.length) throw new Error(`member "${name}" truncated (${size} bytes declared)`);
    out.push({
      name,
      data: buf.subarray(start, start + size),
      mtime: Number.parseInt(h.slice(16, 28).trim(), 10) || 0,
      mode: Number.parseInt(h.slice(40, 48).trim(), 8) || 0,
    });
    off = start + size + (size % 2);
  }
  return out;
}
