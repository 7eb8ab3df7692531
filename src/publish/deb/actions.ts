// The work behind `kiln deb build` and `kiln deb show`, kept out of the CLI module so it loads lazily.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildDeb, formatDescription } from './build.js';
import { canonicalDebName, getField, parseSingleParagraph, type Paragraph } from './control.js';
import { readDebFile } from './read.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { UsageError } from '../../errors.js';
import type { Compression } from '../compress.js';

export interface DebBuildFlags {
  root: string;
  control?: string;
  name?: string;
  pkgVersion?: string;
  arch?: string;
  maintainer?: string;
  description?: string;
  depends?: string[];
  section?: string;
  priority?: string;
  homepage?: string;
  scripts?: string;
  compression?: string;
  preserveModes?: boolean;
  output: string;
}

/** Control fields given as flags are one line each: a newline would add fields (`Essential: yes`, ...). */
function checkOneLine(f: DebBuildFlags): void {
  const flags: [string, string | undefined][] = [
    ['--name', f.name],
    ['--version', f.pkgVersion],
    ['--arch', f.arch],
    ['--maintainer', f.maintainer],
    ['--section', f.section],
    ['--priority', f.priority],
    ['--homepage', f.homepage],
    ...(f.depends ?? []).map((d): [string, string] => ['--depends', d]),
  ];
  for (const [flag, v] of flags) {
    if (v !== undefined && /[\r\n\0]/.test(v))
      throw new UsageError(`${flag} ${JSON.stringify(v)}: the value must be one line`);
  }
  if (f.description !== undefined && /[\r\0]/.test(f.description))
    throw new UsageError('--description: carriage return or NUL in the text');
}

function paragraphFromFlags(f: DebBuildFlags): Paragraph {
  checkOneLine(f);
  const missing = (['name', 'pkgVersion', 'arch', 'maintainer', 'description'] as const).filter((k) => !f[k]);
  if (missing.length) {
    throw new UsageError(
      `without --control, these flags are required: ${missing.map((m) => (m === 'pkgVersion' ? '--version' : `--${m}`)).join(', ')}`,
    );
  }
  const fields: [string, string | undefined][] = [
    ['Package', f.name],
    ['Version', f.pkgVersion],
    ['Architecture', f.arch],
    ['Maintainer', f.maintainer],
    ['Depends', f.depends?.length ? f.depends.join(', ') : undefined],
    ['Section', f.section],
    ['Priority', f.priority],
    ['Homepage', f.homepage],
    ['Description', formatDescription(f.description!)],
  ];
  return {
    line: 1,
    fields: fields.filter(([, v]) => v !== undefined).map(([name, value]) => ({ name, value: value!, line: 0 })),
  };
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

export async function debBuild(f: DebBuildFlags): Promise<{ path: string; control: Paragraph; size: number }> {
  let control: Paragraph;
  let controlFile = '<command line>';
  let scripts = f.scripts;
  if (f.control) {
    controlFile = f.control;
    const text = await readFile(f.control, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new UsageError(`--control ${f.control}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    });
    control = parseSingleParagraph(text, f.control);
  } else if (
    !f.name &&
    (await readFile(join(f.root, 'DEBIAN', 'control'), 'utf8').then(
      () => true,
      () => false,
    ))
  ) {
    controlFile = join(f.root, 'DEBIAN', 'control');
    control = parseSingleParagraph(await readFile(controlFile, 'utf8'), controlFile);
    scripts ??= join(f.root, 'DEBIAN');
  } else control = paragraphFromFlags(f);

  const compression = (f.compression ?? undefined) as Compression | undefined;
  if (compression && !['gz', 'xz', 'zst', 'none'].includes(compression)) {
    throw new UsageError(`--compression must be gz, xz, zst or none, got "${compression}"`);
  }
  const built = await buildDeb({
    root: f.root,
    control,
    controlFile,
    scriptsDir: scripts,
    compression,
    preserveModes: f.preserveModes,
  });
  let out = f.output;
  if ((await isDir(out)) || out.endsWith('/')) {
    out = join(
      out,
      canonicalDebName(
        getField(built.control, 'Package')!,
        getField(built.control, 'Version')!,
        getField(built.control, 'Architecture')!,
      ),
    );
  }
  await writeFileAtomic(out, built.data);
  return { path: out, control: built.control, size: built.data.length };
}

export interface DebShowResult {
  file: string;
  fields: Record<string, string>;
  controlMember: string;
  dataMember: string;
  controlFiles: string[];
  contents: { path: string; type: string; mode: string; size: number; owner: string; linkname?: string }[];
}

export async function debShow(file: string): Promise<DebShowResult> {
  const info = await readDebFile(file, { withContents: true });
  const fields: Record<string, string> = {};
  for (const fl of info.control.fields) fields[fl.name] = fl.value;
  return {
    file,
    fields,
    controlMember: info.controlMember,
    dataMember: info.dataMember,
    controlFiles: ['control', ...info.controlMembers.keys()],
    contents: (info.contents ?? []).map((e) => ({
      path: e.path,
      type: e.type,
      mode: (e.mode & 0o7777).toString(8).padStart(4, '0'),
      size: e.size,
      owner: `${e.uname || e.uid}/${e.gname || e.gid}`,
      ...(e.linkname ? { linkname: e.linkname } : {}),
    })),
  };
}
