// A small ustar writer and reader, enough for .deb members. The writer is byte-exact reproducible: the caller
// passes entries in the order wanted, owners are always root:root (0/0), mtimes are given explicitly.
// Names longer than the ustar fields use a GNU "././@LongLink" entry, which dpkg reads.

export type TarEntryType = 'file' | 'dir' | 'symlink';

export interface TarEntry {
  /** Path as stored, e.g. "./usr/bin/hello" or "./usr/" for directories. */
  path: string;
  type: TarEntryType;
  mode: number;
  mtime: number;
  data?: Buffer;
  linkname?: string;
}

export interface TarReadEntry {
  path: string;
  type: TarEntryType | 'hardlink' | 'other';
  mode: number;
  size: number;
  mtime: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  linkname: string;
  data: Buffer;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  // width includes the trailing NUL.
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(
  name: string,
  typeflag: string,
  e: { mode: number; size: number; mtime: number; linkname?: string },
  prefix = '',
): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(e.mode & 0o7777, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(e.size, 12), 124, 'latin1');
  h.write(octal(e.mtime, 12), 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(typeflag, 156, 'latin1');
  if (e.linkname) h.write(e.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.write('root', 265, 'latin1');
  h.write('root', 297, 'latin1');
  if (prefix) h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'latin1');
  return h;
}

function pad(len: number): Buffer {
  const rem = len % BLOCK;
  return Buffer.alloc(rem === 0 ? 0 : BLOCK - rem, 0);
}

/** Splits a long name into ustar prefix/name, or returns null if it does not fit. */
function splitName(name: string): [string, string] | null {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const pre = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(pre) <= 155 && Buffer.byteLength(rest) <= 100 && rest.length > 0) return [pre, rest];
  }
  return null;
}

function longLink(kind: 'L' | 'K', value: string): Buffer[] {
  const data = Buffer.from(value + '\0', 'utf8');
  return [header('././@LongLink', kind, { mode: 0o644, size: data.length, mtime: 0 }), data, pad(data.length)];
}

/**
 * The header blocks of one entry (a GNU long-name entry first when the path or link does not fit ustar); a file's
 * `size` bytes and `tarPadding(size)` follow. For writers that stream the content (image build contexts).
 */
export function entryHeaders(e: Omit<TarEntry, 'data'> & { size: number }): Buffer[] {
  const parts: Buffer[] = [];
  const typeflag = e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2';
  let linkname = e.linkname;
  if (linkname && Buffer.byteLength(linkname) > 100) {
    parts.push(...longLink('K', linkname));
    linkname = linkname.slice(0, 100);
  }
  const split = splitName(e.path);
  let name: string;
  let prefix = '';
  if (split) [prefix, name] = split;
  else {
    parts.push(...longLink('L', e.path));
    name = e.path.slice(0, 100);
  }
  parts.push(header(name, typeflag, { mode: e.mode, size: e.size, mtime: e.mtime, linkname }, prefix));
  return parts;
}

/** Zero bytes up to the next 512-byte block after `len` bytes of content. */
export const tarPadding = pad;

/** The two zero blocks that end an archive. */
export function tarEnd(): Buffer {
  return Buffer.alloc(BLOCK * 2, 0);
}

export function writeTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.type === 'file' ? (e.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(...entryHeaders({ ...e, size: data.length }));
    if (data.length) parts.push(data, pad(data.length));
  }
  parts.push(tarEnd());
  return Buffer.concat(parts);
}

function str(buf: Buffer, off: number, len: number): string {
  const s = buf.subarray(off, off + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul === -1 ? len : nul).toString('utf8');
}

function num(buf: Buffer, off: number, len: number): number {
  const s = str(buf, off, len).trim();
  return s ? Number.parseInt(s, 8) : 0;
}

/** Reads ustar/GNU/pax-lite archives (long names via GNU L/K and pax "path"/"linkpath"). */
export function readTar(buf: Buffer): TarReadEntry[] {
  const out: TarReadEntry[] = [];
  let off = 0;
  let longName: string | undefined;
  let longLinkName: string | undefined;
  while (off + BLOCK <= buf.length) {
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (sum !== num(h, 148, 8)) throw new Error(`bad tar header checksum at byte ${off}`);
    const size = num(h, 124, 12);
    const flag = String.fromCharCode(h[156] || 0x30);
    const dataStart = off + BLOCK;
    if (dataStart + size > buf.length) throw new Error(`tar entry at byte ${off} is truncated`);
    const data = buf.subarray(dataStart, dataStart + size);
    off = dataStart + size + pad(size).length;
    if (flag === 'L') {
      longName = str(data, 0, data.length);
      continue;
    }
    if (flag === 'K') {
      longLinkName = str(data, 0, data.length);
      continue;
    }
    if (flag === 'x') {
      for (const line of data.toString('utf8').split('\n')) {
        const m = /^\d+ (path|linkpath)=(.*)$/.exec(line);
        if (m && m[1] === 'path') longName = m[2];
        if (m && m[1] === 'linkpath') longLinkName = m[2];
      }
      continue;
    }
    if (flag === 'g') continue;
    const prefix = h.toString('latin1', 257, 262) === 'ustar' ? str(h, 345, 155) : '';
    const base = str(h, 0, 100);
    const path = longName ?? (prefix ? `${prefix}/${base}` : base);
    const type: TarReadEntry['type'] =
      flag === '0' || flag === '\0' || flag === '7'
        ? 'file'
        : flag === '5'
          ? 'dir'
          : flag === '2'
            ? 'symlink'
            : flag === '1'
              ? 'hardlink'
              : 'other';
    out.push({
      path,
      type,
      size,
      data,
      mode: num(h, 100, 8),
      uid: num(h, 108, 8),
      gid: num(h, 116, 8),
      mtime: num(h, 136, 12),
      uname: str(h, 265, 32),
      gname: str(h, 297, 32),
      linkname: longLinkName ?? str(h, 157, 100),
    });
    longName = undefined;
    longLinkName = undefined;
  }
  return out;
}
