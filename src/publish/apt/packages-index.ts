// The binary "Packages" index: one paragraph per .deb (its control fields plus Filename, Size and hashes),
// and the pool layout pool/<component>/<prefix>/<source>/<name>_<version>_<arch>.deb.
import { ControlFileError } from '../errors.js';
import { canonicalDebName, getField, parseParagraphs, type Paragraph } from '../deb/control.js';
import { compareVersions } from '../deb/version.js';

export interface PoolPackage {
  name: string;
  version: string;
  arch: string;
  source: string;
  component: string;
  /** Path relative to the repository root, e.g. pool/main/h/hello/hello_1.0_amd64.deb. */
  filename: string;
  size: number;
  /** Only kept when read back from an index that had it; kiln indexes by SHA-256 (what apt verifies). */
  md5?: string;
  sha256: string;
  /** The package's own control fields (without Filename/Size/hashes). */
  control: Paragraph;
}

const INDEX_ONLY = new Set(['filename', 'size', 'md5sum', 'sha1', 'sha256', 'sha512', 'description-md5']);

/** Source package name: the Source field without its "(version)" part, else the binary name. */
export function sourceName(control: Paragraph): string {
  const src = getField(control, 'Source');
  const name = src ? src.split(/\s|\(/)[0] : '';
  return name || getField(control, 'Package')!;
}

export function poolPrefix(source: string): string {
  return source.startsWith('lib') && source.length > 3 ? source.slice(0, 4) : source[0];
}

export function poolPath(component: string, control: Paragraph): string {
  const source = sourceName(control);
  const file = canonicalDebName(
    getField(control, 'Package')!,
    getField(control, 'Version')!,
    getField(control, 'Architecture')!,
  );
  return `pool/${component}/${poolPrefix(source)}/${source}/${file}`;
}

export function packageKey(p: { name: string; version: string; arch: string }): string {
  return `${p.name} ${p.version} ${p.arch}`;
}

export function formatPackagesIndex(pkgs: PoolPackage[]): string {
  const sorted = [...pkgs].sort((a, b) =>
    a.name < b.name
      ? -1
      : a.name > b.name
        ? 1
        : compareVersions(a.version, b.version) || (a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0),
  );
  return sorted
    .map((p) => {
      const lines: string[] = [];
      const fields = p.control.fields.filter((f) => !INDEX_ONLY.has(f.name.toLowerCase()));
      const desc = fields.find((f) => f.name.toLowerCase() === 'description');
      for (const f of fields) if (f !== desc) lines.push(`${f.name}: ${f.value}`);
      lines.push(`Filename: ${p.filename}`, `Size: ${p.size}`);
      if (p.md5) lines.push(`MD5sum: ${p.md5}`);
      lines.push(`SHA256: ${p.sha256}`);
      if (desc) lines.push(`Description: ${desc.value}`);
      return lines.join('\n') + '\n';
    })
    .join('\n');
}

/** Parses a Packages index written by kiln (or another tool) back into pool entries. */
export function parsePackagesIndex(text: string, file: string, component: string): PoolPackage[] {
  return parseParagraphs(text, file).map((p) => {
    const need = (name: string): string => {
      const v = getField(p, name);
      if (v === undefined) throw new ControlFileError('field missing in index', { file, line: p.line, col: 1 }, name);
      return v;
    };
    const control: Paragraph = { line: p.line, fields: p.fields.filter((f) => !INDEX_ONLY.has(f.name.toLowerCase())) };
    return {
      name: need('Package'),
      version: need('Version'),
      arch: need('Architecture'),
      source: sourceName(p),
      component,
      filename: need('Filename'),
      size: Number.parseInt(need('Size'), 10),
      md5: getField(p, 'MD5sum'),
      sha256: need('SHA256'),
      control,
    };
  });
}
