// Debian control-file syntax (deb822): paragraphs of "Field: value" lines, continuation lines start with a
// space or tab, paragraphs separated by blank lines. Errors carry file:line:col and the field name.
import { ControlFileError } from '../errors.js';

export interface ControlField {
  name: string;
  /** The value; multi-line values keep their continuation lines joined by "\n" (leading space kept). */
  value: string;
  line: number;
}

export interface Paragraph {
  fields: ControlField[];
  line: number;
}

export function getField(p: Paragraph, name: string): string | undefined {
  const lower = name.toLowerCase();
  return p.fields.find((f) => f.name.toLowerCase() === lower)?.value;
}

export function fieldLine(p: Paragraph, name: string): number {
  const lower = name.toLowerCase();
  return p.fields.find((f) => f.name.toLowerCase() === lower)?.line ?? p.line;
}

/** Sets (replacing in place) or appends a field. */
export function setField(p: Paragraph, name: string, value: string): void {
  const lower = name.toLowerCase();
  const f = p.fields.find((x) => x.name.toLowerCase() === lower);
  if (f) f.value = value;
  else p.fields.push({ name, value, line: 0 });
}

export function removeField(p: Paragraph, name: string): void {
  const lower = name.toLowerCase();
  p.fields = p.fields.filter((f) => f.name.toLowerCase() !== lower);
}

const FIELD_NAME = /^[!-9;-~][!-9;-~]*$/;

export function parseParagraphs(text: string, file: string, opts: { allowComments?: boolean } = {}): Paragraph[] {
  const out: Paragraph[] = [];
  let cur: Paragraph | undefined;
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const n = i + 1;
    if (opts.allowComments !== false && line.startsWith('#')) return;
    if (line.trim() === '') {
      if (cur) out.push(cur);
      cur = undefined;
      return;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      const last = cur?.fields[cur.fields.length - 1];
      if (!last) throw new ControlFileError('continuation line without a field before it', { file, line: n, col: 1 });
      last.value += '\n' + line;
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      throw new ControlFileError(`expected "Field: value", got "${line.slice(0, 40)}"`, { file, line: n, col: 1 });
    }
    const name = line.slice(0, colon);
    if (!FIELD_NAME.test(name)) {
      throw new ControlFileError(`invalid field name "${name}"`, { file, line: n, col: 1 });
    }
    cur ??= { fields: [], line: n };
    if (cur.fields.some((f) => f.name.toLowerCase() === name.toLowerCase())) {
      throw new ControlFileError('duplicate field', { file, line: n, col: 1 }, name);
    }
    cur.fields.push({ name, value: line.slice(colon + 1).trim(), line: n });
  });
  if (cur) out.push(cur);
  return out;
}

export function parseSingleParagraph(text: string, file: string): Paragraph {
  const ps = parseParagraphs(text, file);
  if (ps.length === 0) throw new ControlFileError('control file is empty', { file, line: 1, col: 1 });
  if (ps.length > 1) {
    throw new ControlFileError('expected one paragraph, found a second one', { file, line: ps[1].line, col: 1 });
  }
  return ps[0];
}

/** Writes a paragraph. A value's continuation lines must start with a space or tab: anything else would be
 * read back as another field (or end the paragraph), so it is refused here as the last line of defence. */
export function formatParagraph(p: Paragraph): string {
  for (const f of p.fields) {
    if (!FIELD_NAME.test(f.name)) throw new ControlFileError(`invalid field name ${JSON.stringify(f.name)}`);
    if (/\r|\0|\n(?![ \t])|\n[ \t]*(?:\n|$)/.test(f.value)) {
      throw new ControlFileError(
        `the value of ${f.name} has a line break that is not a continuation line (it would add fields)`,
        undefined,
        f.name,
      );
    }
  }
  return p.fields.map((f) => `${f.name}: ${f.value}\n`).join('');
}

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const VERSION = /^(?:\d+:)?[0-9][A-Za-z0-9.+~:-]*$/;
const ARCH = /^[a-z0-9][a-z0-9-]*$/;

/** Checks the fields a binary package's control file must have, with their syntax. */
export function validateBinaryControl(p: Paragraph, file: string): void {
  const at = (name: string) => ({ file, line: fieldLine(p, name), col: 1 });
  for (const name of ['Package', 'Version', 'Architecture', 'Maintainer', 'Description']) {
    const v = getField(p, name);
    if (v === undefined || v.trim() === '') {
      throw new ControlFileError(`required field is missing`, { file, line: p.line, col: 1 }, name);
    }
  }
  const pkg = getField(p, 'Package')!;
  if (!PACKAGE_NAME.test(pkg)) {
    throw new ControlFileError(
      `"${pkg}" is not a valid package name (lowercase a-z0-9+.-, at least 2 chars)`,
      at('Package'),
      'Package',
    );
  }
  const version = getField(p, 'Version')!;
  if (!VERSION.test(version) || (version.includes(':') && !/^\d+:/.test(version))) {
    throw new ControlFileError(`"${version}" is not a valid Debian version`, at('Version'), 'Version');
  }
  const arch = getField(p, 'Architecture')!;
  if (!ARCH.test(arch)) {
    throw new ControlFileError(`"${arch}" is not a valid architecture`, at('Architecture'), 'Architecture');
  }
}

/** Version without its epoch, as used in file names. */
export function versionForFilename(version: string): string {
  return version.replace(/^\d+:/, '');
}

export function canonicalDebName(name: string, version: string, arch: string): string {
  return `${name}_${versionForFilename(version)}_${arch}.deb`;
}
