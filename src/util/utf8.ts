// Strict UTF-8 for text kiln parses: Node's 'utf8' decoding replaces invalid bytes with U+FFFD silently, so a
// damaged .gitlab-ci.yml would run a script that differs from the file. Files are checked first and refused at
// the first invalid byte, with its line and column.
//
// File names are bytes on Linux; Node gives them as strings decoded from UTF-8, with U+FFFD for bytes that are
// not, so such a name cannot be opened again by the string. kiln stores and copies names as strings: it refuses
// a name that is not UTF-8 with an error naming it, instead of failing on an unrelated ENOENT or leaving it out.
import { isUtf8 } from 'node:buffer';
// fs.promises through node:fs: read when first used, so start-up does not load node:fs/promises for a rare case.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { KilnError } from '../errors.js';

export class NonUtf8NameError extends KilnError {
  constructor(shown: string) {
    super(
      `file name "${shown}" is not valid UTF-8; kiln handles only UTF-8 file names (rename the file)`,
      'E_FILE_NAME',
      1,
    );
  }
}

/** Byte offset of the first byte that is not part of a valid UTF-8 sequence, or -1 when `buf` is valid UTF-8. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  if (isUtf8(buf)) return -1;
  for (let i = 0; i < buf.length;) {
    const b = buf[i];
    let len: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [len, min] = [2, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [len, min] = [3, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [len, min] = [4, 0x10000];
    else return i;
    let cp = b & (0xff >> (len + 1));
    for (let k = 1; k < len; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are invalid too.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += len;
  }
  return -1;
}

export interface Utf8Problem {
  /** 1-based line and column (in characters) of the first invalid byte. */
  line: number;
  col: number;
  byte: number;
}

/** Decodes `buf` as UTF-8, or says where it is not (and does not decode). */
export function decodeUtf8Strict(buf: Buffer): { text: string } | { problem: Utf8Problem } {
  const bad = firstInvalidUtf8(buf);
  if (bad < 0) return { text: buf.toString('utf8') };
  const before = buf.subarray(0, bad).toString('utf8');
  const nl = before.lastIndexOf('\n');
  let line = 1;
  for (let k = before.indexOf('\n'); k >= 0; k = before.indexOf('\n', k + 1)) line++;
  return { problem: { line, col: before.length - nl, byte: buf[bad] } };
}

/** A name's bytes for a message: printable ASCII as is, other bytes as \xNN (valid multi-byte UTF-8 kept). */
function showBytes(b: Buffer): string {
  let out = '';
  for (let i = 0; i < b.length;) {
    const bad = firstInvalidUtf8(b.subarray(i));
    const end = bad < 0 ? b.length : i + bad;
    out += b
      .subarray(i, end)
      .toString('utf8')
      .replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    if (end < b.length) out += `\\x${b[end].toString(16).padStart(2, '0')}`;
    i = end + 1;
  }
  return out;
}

/**
 * Throws NonUtf8NameError when directory `dir` (shown as `shownDir`, '' for the top) has an entry whose name is not
 * valid UTF-8. `names` are the entries as readdir gave them: only a name holding U+FFFD can be such a name, so a
 * directory without one costs nothing more.
 */
export async function refuseNonUtf8Names(dir: string, shownDir: string, names: string[]): Promise<void> {
  if (!names.some((n) => n.includes('\ufffd'))) return;
  let raw: Buffer[];
  try {
    raw = await fsp.readdir(dir, { encoding: 'buffer' });
  } catch {
    return;
  }
  for (const b of raw) {
    if (firstInvalidUtf8(b) >= 0) throw new NonUtf8NameError(shownDir ? `${shownDir}/${showBytes(b)}` : showBytes(b));
  }
}

/** The same for a relative path as a string (e.g. from git's listing): checks the first component holding U+FFFD. */
export async function refuseNonUtf8Path(root: string, rel: string): Promise<void> {
  const parts = rel.split('/');
  for (let i = 0; i < parts.length; i++) {
    if (!parts[i].includes('\ufffd')) continue;
    const parent = parts.slice(0, i).join('/');
    await refuseNonUtf8Names(join(root, parent), parent, [parts[i]]);
  }
}
