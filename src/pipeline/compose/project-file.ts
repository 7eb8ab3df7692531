// Reading a file of the project for the loader: it must be inside the project once symbolic links are followed
// (GitLab reads files from the repository, where a link is only its target's name), and it must be UTF-8.
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { VENDOR_DIR } from './vendored.js';
import { ConfigError } from '../../errors.js';
import { decodeUtf8Strict } from '../../util/utf8.js';
import type { YNode } from '../yaml/node.js';

/**
 * A file of the project, as bytes and as strict UTF-8 text. It must be inside the project once symbolic links are
 * followed; invalid UTF-8 is an error at its line and column (never replaced by U+FFFD). Throws ConfigError.
 */
export function readProjectFile(
  projectDir: string,
  rel: string,
  at?: YNode,
  path: string[] = [],
): { bytes: Buffer; text: string } {
  const abs = join(projectDir, rel);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    throw new ConfigError(
      at ? `file \`${rel}\` does not exist` : `${abs}: no such file (is this the project directory? use --dir)`,
      at?.pos,
      path,
    );
  }
  if (!isInside(realpathSync(projectDir), real)) {
    throw new ConfigError(
      `file \`${rel}\` leads outside the project through a symbolic link; kiln reads only files inside the project`,
      at?.pos,
      path,
    );
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(real);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'EISDIR'
        ? `\`${rel}\` is a directory, not a file`
        : `file \`${rel}\` cannot be read (${code ?? String(err)})`,
      at?.pos,
      path,
    );
  }
  const decoded = decodeUtf8Strict(bytes);
  if ('problem' in decoded) {
    const { line, col, byte } = decoded.problem;
    throw new ConfigError(`invalid UTF-8 (byte 0x${byte.toString(16).padStart(2, '0')}): the file must be UTF-8 text`, {
      file: rel,
      line,
      col,
    });
  }
  return { bytes, text: decoded.text };
}

/** Whether real path `p` is `dir` or below it (both already resolved with realpath). */
function isInside(dir: string, p: string): boolean {
  const r = relative(dir, p);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** Whether `p` is a regular file (after symbolic links). */
export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The project's files, for `include:local` globs; state and vendor folders are left out. */
export function listFiles(root: string, vendorDir: string): string[] {
  const out: string[] = [];
  const skip = new Set(['.git', 'node_modules', '.kiln', VENDOR_DIR, vendorDir.replace(/\/+$/, '')]);
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (skip.has(name)) continue;
      const abs = join(dir, name);
      let st;
      try {
        st = lstatSync(abs);
      } catch {
        continue;
      }
      // Symbolic links are listed as files and never walked into (GitLab lists the repository's entries, where a
      // link is one entry); where a listed link leads is checked when the file is read.
      if (st.isDirectory()) walk(abs);
      else if (st.isFile() || st.isSymbolicLink()) out.push(relative(root, abs).split(sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}
