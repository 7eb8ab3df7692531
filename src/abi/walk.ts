// Expands the paths given to `kiln abi check` into regular files: directories are walked recursively,
// symlinks are followed while they stay inside the named trees, and every directory and file is visited once
// (by device and inode), so symlink loops end. A symlink found inside a tree that leads out of every named
// tree (`proc -> /proc`, `host -> ../../..`) is not followed: the check must not walk the whole machine; it is
// listed in `skipped`. The named paths themselves may be symlinks (the user chose them). Problems become
// entries in `errors`, never exceptions.
import { lstatSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, join, sep } from 'node:path';

const MAX_DEPTH = 64;

export interface WalkResult {
  files: string[];
  /** Every file name seen (including symlink names): used to recognise libraries shipped with the binaries. */
  names: Set<string>;
  errors: Array<{ path: string; message: string }>;
  /** Symlinks not followed because they lead out of the named trees. */
  skipped: Array<{ path: string; reason: string }>;
}

function inside(real: string, roots: string[]): boolean {
  return roots.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep));
}

export function walkPaths(paths: string[]): WalkResult {
  const out: WalkResult = { files: [], names: new Set(), errors: [], skipped: [] };
  const seen = new Set<string>();
  const roots: string[] = [];
  for (const p of paths) {
    try {
      roots.push(realpathSync(p));
    } catch {
      /* reported by visit */
    }
  }
  const visit = (p: string, depth: number): void => {
    let st: Stats;
    try {
      if (depth > 0 && lstatSync(p).isSymbolicLink()) {
        const real = realpathSync(p);
        if (!inside(real, roots)) {
          if (statSync(p).isFile()) out.names.add(basename(p));
          out.skipped.push({ path: p, reason: `symlink to ${real}, outside the named paths: not followed` });
          return;
        }
      }
      st = statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      out.errors.push({
        path: p,
        message:
          code === 'ELOOP'
            ? 'symlink loop'
            : code === 'ENOENT'
              ? 'no such file (or dangling symlink)'
              : `cannot stat: ${code ?? String(err)}`,
      });
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
        out.errors.push({
          path: p,
          message: `cannot read directory: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        });
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
