// Expands the paths given to `kiln abi check` into regular files: directories are walked recursively,
// symlinks are followed, and every directory and file is visited once (by device and inode), so symlink
// loops end. Problems become entries in `errors`, never exceptions.
import { readdirSync, statSync, type Stats } from 'node:fs';
import { basename, join } from 'node:path';

const MAX_DEPTH = 64;

export interface WalkResult {
  files: string[];
  /** Every file name seen (including symlink names): used to recognise libraries shipped with the binaries. */
  names: Set<string>;
  errors: Array<{ path: string; message: string }>;
}

export function walkPaths(paths: string[]): WalkResult {
  const out: WalkResult = { files: [], names: new Set(), errors: [] };
  const seen = new Set<string>();
  const visit = (p: string, depth: number): void => {
    let st: Stats;
    try {
      st = statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      out.errors.push({ path: p, message: code === 'ELOOP' ? 'symlink loop' : code === 'ENOENT' ? 'no such file (or dangling symlink)' : `cannot stat: ${code ?? String(err)}` });
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (st.isFile()) out.names.add(basename(p));
    if (seen.has(key)) return;
    seen.add(key);
    if (st.isDirectory()) {
      if (depth >= MAX_DEPTH) {
        out.errors.push({ path: p, message: `directory nesting deeper than ${MAX_DEPTH}` });
        return;
      }
      let names: string[];
      try {
        names = readdirSync(p).sort();
      } catch (err) {
        out.errors.push({ path: p, message: `cannot read directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
        return;
      }
      for (const n of names) visit(join(p, n), depth + 1);
    } else if (st.isFile()) {
      out.files.push(p);
    }
  };
  for (const p of paths) visit(p, 0);
  return out;
}
