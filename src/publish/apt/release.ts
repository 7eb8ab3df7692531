// The suite's Release file: metadata fields, then MD5Sum and SHA256 lists of every index file (compressed
// and uncompressed) with their sizes. apt verifies each index it downloads against these hashes.
import { createHash } from 'node:crypto';
import { getField, parseSingleParagraph } from '../deb/control.js';

export interface IndexFile {
  /** Path relative to dists/<suite>/, e.g. main/binary-amd64/Packages.xz. */
  path: string;
  data: Buffer;
  md5: string;
  sha256: string;
}

export interface ReleaseMeta {
  origin?: string;
  label?: string;
  suite: string;
  codename: string;
  date: Date;
  validUntil?: Date;
  architectures: string[];
  components: string[];
  description?: string;
}

export function indexFile(path: string, data: Buffer): IndexFile {
  return {
    path,
    data,
    md5: createHash('md5').update(data).digest('hex'),
    sha256: createHash('sha256').update(data).digest('hex'),
  };
}

/** RFC 2822 date in UTC as Debian archives write it: "Sun, 22 Nov 2026 22:19:24 UTC". */
export function releaseDate(d: Date): string {
  return d.toUTCString().replace(/GMT$/, 'UTC');
}

export function formatRelease(meta: ReleaseMeta, files: IndexFile[]): string {
  const lines: string[] = [];
  if (meta.origin) lines.push(`Origin: ${meta.origin}`);
  if (meta.label) lines.push(`Label: ${meta.label}`);
  lines.push(`Suite: ${meta.suite}`, `Codename: ${meta.codename}`, `Date: ${releaseDate(meta.date)}`);
  if (meta.validUntil) lines.push(`Valid-Until: ${releaseDate(meta.validUntil)}`);
  lines.push(`Architectures: ${meta.architectures.join(' ')}`, `Components: ${meta.components.join(' ')}`);
  if (meta.description) lines.push(`Description: ${meta.description}`);
  lines.push('Acquire-By-Hash: yes');
  const width = Math.max(...files.map((f) => String(f.data.length).length), 1);
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  lines.push('MD5Sum:');
  for (const f of sorted) lines.push(` ${f.md5} ${String(f.data.length).padStart(width)} ${f.path}`);
  lines.push('SHA256:');
  for (const f of sorted) lines.push(` ${f.sha256} ${String(f.data.length).padStart(width)} ${f.path}`);
  return lines.join('\n') + '\n';
}

export interface ParsedRelease {
  origin?: string;
  label?: string;
  codename?: string;
  description?: string;
  date?: Date;
  validUntil?: Date;
  architectures: string[];
  components: string[];
  /** path → sha256 */
  sha256: Map<string, string>;
}

export function parseRelease(text: string, file: string): ParsedRelease {
  const p = parseSingleParagraph(text, file);
  const sha256 = new Map<string, string>();
  for (const line of (getField(p, 'SHA256') ?? '').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length === 3) sha256.set(parts[2], parts[0]);
  }
  const list = (name: string) => (getField(p, name) ?? '').split(/\s+/).filter(Boolean);
  const when = (name: string) => {
    const v = getField(p, name);
    const t = v === undefined ? Number.NaN : Date.parse(v);
    return Number.isNaN(t) ? undefined : new Date(t);
  };
  return {
    origin: getField(p, 'Origin'),
    label: getField(p, 'Label'),
    codename: getField(p, 'Codename'),
    description: getField(p, 'Description'),
    date: when('Date'),
    validUntil: when('Valid-Until'),
    architectures: list('Architectures'),
    components: list('Components'),
    sha256,
  };
}
