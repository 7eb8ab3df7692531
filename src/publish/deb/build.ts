// Builds a reproducible binary .deb from a directory tree and a control paragraph: entries sorted by name,
// owners root:root, every mtime = SOURCE_DATE_EPOCH (or the given epoch), file modes normalised to 0755 for
// executables and 0644 otherwise, directories included, Installed-Size and md5sums computed.
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeAr } from './ar.js';
import { writeTar, type TarEntry } from './tar.js';
import { compress, memberSuffix, haveTool, type Compression } from '../compress.js';
import { formatParagraph, getField, setField, validateBinaryControl, type Paragraph } from './control.js';
import { UsageError } from '../../errors.js';

export interface BuildDebOptions {
  root: string;
  control: Paragraph;
  /** Name used in error messages for the control paragraph. */
  controlFile: string;
  /** Maintainer scripts and control extras (preinst, postinst, prerm, postrm, conffiles, triggers, shlibs). */
  scriptsDir?: string;
  compression?: Compression;
  /** Seconds since the epoch for every mtime. Default: SOURCE_DATE_EPOCH or 0. */
  mtime?: number;
  /** Keep permission bits (incl. setuid/setgid/sticky) from the tree instead of normalising to 0755/0644. */
  preserveModes?: boolean;
}

export interface BuiltDeb {
  data: Buffer;
  control: Paragraph;
  fileCount: number;
}

const SCRIPTS = ['preinst', 'postinst', 'prerm', 'postrm', 'config'];
const EXTRAS = ['conffiles', 'triggers', 'shlibs', 'symbols', 'templates'];

export function defaultMtime(): number {
  const v = process.env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return 0;
  if (!/^\d+$/.test(v)) throw new UsageError(`SOURCE_DATE_EPOCH must be a number of seconds, got "${v}"`);
  return Number.parseInt(v, 10);
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function walk(root: string, rel: string, mtime: number, out: TarEntry[], keepModes: boolean): Promise<void> {
  const names = (await readdir(join(root, rel))).sort(byteOrder);
  for (const name of names) {
    if (rel === '' && name === 'DEBIAN') continue;
    const relPath = rel ? `${rel}/${name}` : name;
    const abs = join(root, relPath);
    if (/[\n\r]/.test(name)) {
      // md5sums and dpkg's file lists are line based: dpkg refuses packages with such names.
      throw new UsageError(`${abs}: a file name with a line break cannot go into a .deb (dpkg refuses it); rename it`);
    }
    const st = await lstat(abs);
    if (st.isDirectory()) {
      out.push({ path: `./${relPath}/`, type: 'dir', mode: keepModes ? st.mode & 0o7777 : 0o755, mtime });
      await walk(root, relPath, mtime, out, keepModes);
    } else if (st.isSymbolicLink()) {
      out.push({ path: `./${relPath}`, type: 'symlink', mode: 0o777, mtime, linkname: await readlink(abs) });
    } else if (st.isFile()) {
      // Default: only the executable bit matters (what git keeps), so checkouts with different umasks agree.
      const mode = keepModes ? st.mode & 0o7777 : st.mode & 0o111 ? 0o755 : 0o644;
      out.push({ path: `./${relPath}`, type: 'file', mode, mtime, data: await readFile(abs) });
    } else {
      throw new UsageError(`${abs}: only regular files, directories and symlinks can go into a .deb`);
    }
  }
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function buildDeb(opts: BuildDebOptions): Promise<BuiltDeb> {
  const mtime = opts.mtime ?? defaultMtime();
  const compression = opts.compression ?? (haveTool('xz') ? 'xz' : 'gz');
  const rootStat = await lstat(opts.root).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw new UsageError(`--root ${opts.root}: not a directory`);

  const data: TarEntry[] = [{ path: './', type: 'dir', mode: 0o755, mtime }];
  await walk(opts.root, '', mtime, data, !!opts.preserveModes);

  let sizeKb = 0;
  const md5Lines: string[] = [];
  for (const e of data) {
    if (e.type === 'file') {
      sizeKb += Math.ceil((e.data?.length ?? 0) / 1024);
      md5Lines.push(
        `${createHash('md5')
          .update(e.data ?? Buffer.alloc(0))
          .digest('hex')}  ${e.path.slice(2)}\n`,
      );
    } else sizeKb += 1;
  }

  const control: Paragraph = { line: opts.control.line, fields: opts.control.fields.map((f) => ({ ...f })) };
  if (getField(control, 'Installed-Size') === undefined) {
    // Keep the conventional position: right after Maintainer.
    const idx = control.fields.findIndex((f) => f.name.toLowerCase() === 'maintainer');
    control.fields.splice(idx + 1, 0, { name: 'Installed-Size', value: String(sizeKb), line: 0 });
  } else setField(control, 'Installed-Size', String(sizeKb));
  validateBinaryControl(control, opts.controlFile);

  const ctl: TarEntry[] = [
    { path: './', type: 'dir', mode: 0o755, mtime },
    { path: './control', type: 'file', mode: 0o644, mtime, data: Buffer.from(formatParagraph(control)) },
  ];
  const extras: TarEntry[] = [];
  const scriptsDir = opts.scriptsDir;
  if (scriptsDir) {
    for (const name of [...SCRIPTS, ...EXTRAS]) {
      const buf = await readOptional(join(scriptsDir, name));
      if (buf)
        extras.push({
          path: `./${name}`,
          type: 'file',
          mode: SCRIPTS.includes(name) ? 0o755 : 0o644,
          mtime,
          data: buf,
        });
    }
  }
  if (md5Lines.length)
    ctl.push({ path: './md5sums', type: 'file', mode: 0o644, mtime, data: Buffer.from(md5Lines.join('')) });
  ctl.push(...extras);
  ctl.sort((a, b) => (a.path === './' ? -1 : b.path === './' ? 1 : byteOrder(a.path, b.path)));

  const suffix = memberSuffix(compression);
  const [controlTar, dataTar] = await Promise.all([
    compress(writeTar(ctl), compression),
    compress(writeTar(data), compression),
  ]);
  const deb = writeAr([
    { name: 'debian-binary', data: Buffer.from('2.0\n'), mtime },
    { name: `control.tar${suffix}`, data: controlTar, mtime },
    { name: `data.tar${suffix}`, data: dataTar, mtime },
  ]);
  return { data: deb, control, fileCount: md5Lines.length };
}

/** Formats a Description value: first line is the synopsis, further lines become " text" / " ." lines. */
export function formatDescription(text: string): string {
  const [synopsis, ...rest] = text.replace(/\r/g, '').split('\n');
  const body = rest.map((l) => (l.trim() === '' ? ' .' : ` ${l}`));
  return [synopsis.trim(), ...body].join('\n');
}
