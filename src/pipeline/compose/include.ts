// `include:` — local files (with globs), include:rules, nested includes; remote/project/template/component only
// from the offline vendor folder. GitLab's merge order: included files are deep-merged in order, then the
// including file on top. Vendored files are committed with the project under .kiln-vendor/ (not under the
// git-ignored .kiln/ state dir; LoadOptions.vendorDir changes the folder):
//   project:   .kiln-vendor/project/<group/project>/<ref, or HEAD when no ref>/<file>
//   remote:    .kiln-vendor/remote/<host>/<path>            (https://host/path, query dropped)
//   template:  .kiln-vendor/template/<name>                 (e.g. Security/SAST.gitlab-ci.yml)
//   component: .kiln-vendor/component/<host/path/name>/<version>.yml  (host/path/name@version)
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { ConfigError } from '../../errors.js';
import type { RuleSpec } from '../rules/types.js';
import { checkKeys, Problems, readString, readStrings, scalarText } from '../keywords/check.js';
import { readRules } from '../keywords/rules.js';
import { parseYaml } from '../yaml/read.js';
import { deepMerge, newMap, type YMap, type YNode } from '../yaml/node.js';
import { decodeUtf8Strict } from '../../util/utf8.js';

const MAX_INCLUDES = 150;
const INCLUDE_KEYS = ['local', 'remote', 'project', 'ref', 'file', 'template', 'component', 'rules', 'inputs',
  'cache', 'integrity'];
export const VENDOR_DIR = '.kiln-vendor';

export interface IncludeEnv {
  projectDir: string;
  problems: Problems;
  /** Folder of vendored remote/project/template/component files, relative to projectDir (default .kiln-vendor). */
  vendorDir?: string;
  /** Decides include:rules (true: include the file). */
  includeByRules(rules: RuleSpec[]): boolean;
}

interface State {
  count: number;
  files: string[] | undefined;
  stack: string[];
}

/**
 * Reads and parses a project file (display path relative to the project). Throws ConfigError. The file must be
 * inside the project once symbolic links are followed (the file's own, or a directory's on its path): GitLab reads
 * files from the repository, where a link is only its target's name, so nothing outside the project can ever be
 * read, and a committed `leak.yml -> /etc/shadow` must not show the host's file in kiln's parse errors either.
 */
export function readConfigFile(projectDir: string, rel: string, at?: YNode, path: string[] = [], content?: string): YMap {
  let text: string;
  if (content !== undefined) text = content;
  else {
    const abs = join(projectDir, rel);
    let real: string;
    try {
      real = realpathSync(abs);
    } catch {
      throw new ConfigError(at ? `file \`${rel}\` does not exist` : `${abs}: no such file (is this the project directory? use --dir)`, at?.pos, path);
    }
    if (!isInside(realpathSync(projectDir), real)) {
      throw new ConfigError(`file \`${rel}\` leads outside the project through a symbolic link; kiln reads only files inside the project`, at?.pos, path);
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(real);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ConfigError(code === 'EISDIR' ? `\`${rel}\` is a directory, not a file` : `file \`${rel}\` cannot be read (${code ?? String(err)})`, at?.pos, path);
    }
    const decoded = decodeUtf8Strict(bytes);
    if ('problem' in decoded) {
      const { line, col, byte } = decoded.problem;
      throw new ConfigError(`invalid UTF-8 (byte 0x${byte.toString(16).padStart(2, '0')}): the file must be UTF-8 text`, { file: rel, line, col });
    }
    text = decoded.text;
  }
  const root = parseYaml(text, rel);
  if (root === undefined) return newMap({ file: rel, line: 1, col: 1 });
  if (root.kind !== 'map') throw new ConfigError('invalid configuration format: the file should contain a hash', root.pos);
  return root;
}

/** Whether real path `p` is `dir` or below it (both already resolved with realpath). */
function isInside(dir: string, p: string): boolean {
  const r = relative(dir, p);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** Returns the main file's content with every include merged in and the `include` keys removed. */
export function resolveIncludes(env: IncludeEnv, mainRel: string): YMap {
  return resolveIncludesFrom(env, readConfigFile(env.projectDir, mainRel));
}

/** Same, for a main file already read (its display path is its position's file). */
export function resolveIncludesFrom(env: IncludeEnv, main: YMap): YMap {
  return expand(env, main, { count: 0, files: undefined, stack: [main.pos.file] });
}

function expand(env: IncludeEnv, doc: YMap, st: State): YMap {
  const inc = doc.entries.get('include');
  if (!inc) return doc;
  const own = newMap(doc.pos, [...doc.entries.values()].filter((e) => e.key !== 'include'));
  let merged = newMap(doc.pos);
  const items = inc.value.kind === 'seq' ? inc.value.items : [inc.value];
  items.forEach((item, i) => {
    const path = inc.value.kind === 'seq' ? ['include', String(i)] : ['include'];
    for (const rel of filesOf(env, item, path, st)) {
      if (st.stack.includes(rel)) continue; // an include cycle: GitLab loads each file once
      st.count++;
      if (st.count > MAX_INCLUDES) {
        env.problems.add(item, path, `too many includes (maximum ${MAX_INCLUDES})`);
        return;
      }
      try {
        const sub = readConfigFile(env.projectDir, rel, item, path);
        st.stack.push(rel);
        merged = deepMerge(merged, expand(env, sub, st));
        st.stack.pop();
      } catch (err) {
        if (err instanceof ConfigError) env.problems.push(err);
        else throw err;
      }
    }
  });
  return deepMerge(merged, own);
}

/** The project-relative files one include item stands for ([] when its rules exclude it). */
function filesOf(env: IncludeEnv, item: YNode, path: string[], st: State): string[] {
  const p = env.problems;
  if (item.kind === 'scalar') {
    const s = scalarText(item);
    if (s === undefined) {
      p.add(item, path, 'should be a string or a hash');
      return [];
    }
    if (/^https?:\/\//.test(s)) return vendored(env, item, path, 'remote', remotePath(s));
    return local(env, item, path, s, st);
  }
  if (item.kind !== 'map') {
    p.add(item, path, 'should be a string or a hash');
    return [];
  }
  checkKeys(p, item, path, INCLUDE_KEYS);
  const rulesNode = item.entries.get('rules')?.value;
  if (rulesNode) {
    const rules = readRules(p, rulesNode, [...path, 'rules'], 'include');
    if (!env.includeByRules(rules)) return [];
  }
  const get = (k: string): YNode | undefined => item.entries.get(k)?.value;
  const local_ = get('local');
  if (local_) {
    const s = readString(p, local_, [...path, 'local']);
    return s === undefined ? [] : local(env, local_, [...path, 'local'], s, st);
  }
  const remote = get('remote');
  if (remote) {
    const s = readString(p, remote, [...path, 'remote']);
    return s === undefined ? [] : vendored(env, remote, [...path, 'remote'], 'remote', remotePath(s));
  }
  const template = get('template');
  if (template) {
    const s = readString(p, template, [...path, 'template']);
    return s === undefined ? [] : vendored(env, template, [...path, 'template'], 'template', s);
  }
  const component = get('component');
  if (component) {
    const s = readString(p, component, [...path, 'component']);
    return s === undefined ? [] : vendored(env, component, [...path, 'component'], 'component', `${s.replace('@', '/')}.yml`);
  }
  const project = get('project');
  if (project) {
    const proj = readString(p, project, [...path, 'project']);
    const refNode = get('ref');
    const ref = refNode ? readString(p, refNode, [...path, 'ref']) : 'HEAD';
    const fileNode = get('file');
    if (!fileNode) {
      p.add(item, path, 'include:project needs a file');
      return [];
    }
    const files = readStrings(p, fileNode, [...path, 'file']) ?? [];
    if (proj === undefined || ref === undefined) return [];
    return files.flatMap((f) =>
      vendored(env, project, [...path, 'project'], 'project', `${proj}/${ref}/${f.replace(/^\/+/, '')}`));
  }
  p.add(item, path, 'needs one of local, remote, project, template or component');
  return [];
}

function remotePath(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/[?#].*$/, '');
}

function vendored(env: IncludeEnv, at: YNode, path: string[], kind: string, rest: string): string[] {
  const rel = normalize(join(env.vendorDir ?? VENDOR_DIR, kind, rest)).split(sep).join('/');
  if (rel.startsWith('..') || isFile(join(env.projectDir, rel))) return rel.startsWith('..') ? [] : [rel];
  env.problems.add(at, path, `include:${kind} is not available offline; vendor the file at ${rel}`);
  return [];
}

function local(env: IncludeEnv, at: YNode, path: string[], raw: string, st: State): string[] {
  const clean = raw.replace(/^\/+/, '');
  if (/[*?[{]/.test(clean)) {
    st.files ??= listFiles(env.projectDir);
    const match = picomatch(clean, { dot: true });
    const found = st.files.filter((f) => /\.ya?ml$/.test(f) && match(f));
    if (found.length === 0) env.problems.add(at, path, `local include \`${raw}\` matches no file`);
    return found;
  }
  const rel = normalize(clean).split(sep).join('/');
  if (rel.startsWith('..')) {
    env.problems.add(at, path, `local include \`${raw}\` is outside the project`);
    return [];
  }
  if (!isFile(join(env.projectDir, rel))) {
    env.problems.add(at, path, `local file \`${raw}\` does not exist`);
    return [];
  }
  return [rel];
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name === '.git' || name === 'node_modules' || name === '.kiln' || name === VENDOR_DIR) continue;
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
