// The build context of a Dockerfile image: which files are sent to the engine (the context directory minus
// `.dockerignore`) and a digest of their names, modes and contents, which goes into the image's content tag.
//
// `.dockerignore` as Docker documents it: one pattern per line, `#` comments, a leading `/` is ignored, `**`
// matches any number of directories, `!` re-includes, the last matching line decides, and a pattern that matches a
// directory excludes everything below it. The Dockerfile and `.dockerignore` themselves are always sent.
// Symbolic links are sent and hashed as links (their target text), never followed, so a link cannot pull files
// from outside the context into the build.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import picomatch from 'picomatch';

export interface ContextFile {
  /** Path relative to the context, with `/` separators. */
  path: string;
  kind: 'file' | 'symlink';
  executable: boolean;
  /** sha256 of the content (file) or of the link target text (symlink). */
  digest: string;
}

export interface BuildContext {
  dir: string;
  files: ContextFile[];
  /** sha256 over every file's path, kind, mode and digest. */
  digest: string;
}

interface IgnoreRule {
  negate: boolean;
  match: (path: string) => boolean;
}

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    line = posix.normalize(line.replace(/^\/+/, '')).replace(/\/+$/, '');
    if (line === '' || line === '.') continue;
    rules.push({ negate, match: picomatch(line, { dot: true }) });
  }
  return rules;
}

/** Docker's rule: the last pattern that matches the path or one of its parent directories decides. */
export function isIgnored(path: string, rules: IgnoreRule[]): boolean {
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (prefixes.some((p) => rule.match(p))) ignored = !rule.negate;
  }
  return ignored;
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Lists and hashes the context. `dockerfile` (absolute) must lie inside `dir`. */
export async function readBuildContext(dir: string, dockerfile: string): Promise<BuildContext> {
  const dockerfileRel = relative(dir, dockerfile).split(sep).join('/');
  let rules: IgnoreRule[] = [];
  try {
    rules = parseDockerignore(await readFile(join(dir, '.dockerignore'), 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const always = new Set([dockerfileRel, '.dockerignore']);
  const files: ContextFile[] = [];
  async function walk(rel: string): Promise<void> {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      const abs = join(dir, path);
      if (e.isDirectory()) {
        // A directory is walked even when ignored: a later `!` line may re-include something below it.
        await walk(path);
        continue;
      }
      if (!always.has(path) && isIgnored(path, rules)) continue;
      if (e.isSymbolicLink()) {
        files.push({
          path,
          kind: 'symlink',
          executable: false,
          digest: createHash('sha256')
            .update(await readlink(abs))
            .digest('hex'),
        });
      } else if (e.isFile()) {
        const st = await lstat(abs);
        files.push({ path, kind: 'file', executable: (st.mode & 0o111) !== 0, digest: await fileDigest(abs) });
      }
      // Sockets, fifos and devices are not sent (Docker refuses them too).
    }
  }
  await walk('');
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.kind}\0${f.executable ? 'x' : '-'}\0${f.path}\0${f.digest}\n`);
  return { dir, files, digest: hash.digest('hex') };
}
