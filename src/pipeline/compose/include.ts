// `include:` — local files (with globs), include:rules, include:inputs, nested includes; remote/project/template/
// component files from the vendor folder (vendored.ts has its layout; `kiln vendor` fills it). GitLab's merge
// order: included files are deep-merged in order, then the including file on top. Each file is read GitLab's way
// (inputs/load.ts): `spec:` header, inputs checked, `$[[ ]]` interpolated in the text, then YAML.
// Locations are expanded with the variables GitLab allows in includes (include-vars.ts) before the lookup.
// An include that cannot be read is one error at the include, naming the `kiln vendor` command that fetches it
// when that is the fix; every file must stay inside the project once symbolic links are followed; the loader stops after the include phase when there is any (as GitLab does), so a missing
// file does not also show up as undefined jobs, stages and extends.
import { join, normalize, relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { ConfigError } from '../../errors.js';
import { checkKeys, Problems, readString, readStrings, scalarText } from '../keywords/check.js';
import { readRules } from '../keywords/rules.js';
import { isFile, listFiles, readProjectFile } from './project-file.js';

export { readProjectFile };
import { deepMerge, newMap, type YMap, type YNode } from '../yaml/node.js';
import { readCiText, type CiFileOptions } from '../inputs/load.js';
import { inputValue } from '../inputs/reference-values.js';
import { expandIncludeLocation } from './include-vars.js';
import { component, remote, vendored, type IncludeEnv, type Target } from './include-target.js';

export type { IncludeEnv };
import { integrityOf, VENDOR_DIR } from './vendored.js';

export { VENDOR_DIR };

const MAX_INCLUDES = 150;
const INCLUDE_KEYS = [
  'local',
  'remote',
  'project',
  'ref',
  'file',
  'template',
  'component',
  'rules',
  'inputs',
  'cache',
  'integrity',
];

interface State {
  count: number;
  files: string[] | undefined;
  stack: string[];
}

/**
 * Reads and parses a project file (display path relative to the project). Input and interpolation problems are
 * one ConfigError at `at` (the include), or at the file's start for the main file. Throws ConfigError. The file must
 * be inside the project once symbolic links are followed (the file's own, or a directory's on its path): GitLab
 * reads files from the repository, where a link is only its target's name, so nothing outside the project can ever
 * be read, and a committed `leak.yml -> /etc/shadow` must not show the host's file in kiln's parse errors either.
 */
export function readConfigFile(
  projectDir: string,
  rel: string,
  at?: YNode,
  path: string[] = [],
  content?: string,
  ci?: CiFileOptions,
): YMap {
  const text = content ?? readProjectFile(projectDir, rel, at, path).text;
  return parseCiFile(text, rel, at, path, ci);
}

function parseCiFile(text: string, rel: string, at: YNode | undefined, path: string[], ci?: CiFileOptions): YMap {
  const f = readCiText(text, rel, ci ?? { env: { variable: () => undefined } });
  if (f.inputErrors.length) {
    // GitLab reports an included file's input problems as one message (its first three joined).
    throw new ConfigError(
      `\`${rel}\`: ${f.inputErrors.slice(0, 3).join(', ')}`,
      at?.pos ?? { file: rel, line: 1, col: 1 },
      path,
    );
  }
  const root = f.root;
  if (root === undefined) return newMap({ file: rel, line: 1, col: 1 });
  if (root.kind !== 'map')
    throw new ConfigError('invalid configuration format: the file should contain a hash', root.pos);
  return root;
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
  const own = newMap(
    doc.pos,
    [...doc.entries.values()].filter((e) => e.key !== 'include'),
  );
  let merged = newMap(doc.pos);
  const items = inc.value.kind === 'seq' ? inc.value.items : [inc.value];
  items.forEach((item, i) => {
    const path = inc.value.kind === 'seq' ? ['include', String(i)] : ['include'];
    for (const t of targetsOf(env, item, path, st)) {
      if (st.stack.includes(t.rel)) continue; // an include cycle: GitLab loads each file once
      st.count++;
      if (st.count > MAX_INCLUDES) {
        env.problems.add(item, path, `too many includes (maximum ${MAX_INCLUDES})`);
        return;
      }
      try {
        const sub = readTarget(env, t, item, path);
        st.stack.push(t.rel);
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

function readTarget(env: IncludeEnv, t: Target, item: YNode, path: string[]): YMap {
  const { bytes: data, text } = readProjectFile(env.projectDir, t.rel, item, path);
  if (t.integrity !== undefined && integrityOf(data) !== t.integrity) {
    if (t.vendored) env.missing?.push(t.vendored);
    throw new ConfigError(
      `\`${t.rel}\`: integrity check failed (content is ${integrityOf(data)}, include:integrity is ` +
        `${t.integrity}); fetch it again with \`${env.vendorCommand ?? 'kiln vendor'}\``,
      item.pos,
      path,
    );
  }
  return parseCiFile(text, t.rel, item, path, {
    inputs: t.inputs,
    component: t.component,
    env: { variable: (n) => env.variables?.[n], masked: env.masked },
  });
}

/** The files one include item stands for ([] when its rules exclude it or it is in error). */
function targetsOf(env: IncludeEnv, item: YNode, path: string[], st: State): Target[] {
  const p = env.problems;
  const vars = env.variables ?? {};
  const loc = (s: string): string => expandIncludeLocation(s, vars);
  if (item.kind === 'scalar') {
    const s = scalarText(item);
    if (s === undefined) {
      p.add(item, path, 'should be a string or a hash');
      return [];
    }
    const where = loc(s);
    if (/^https?:\/\//.test(where)) return remote(env, item, path, where, undefined, undefined);
    return local(env, item, path, where, st).map((rel) => ({ rel }));
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
  const inputsNode = get('inputs');
  let inputs: Record<string, unknown> | undefined;
  if (inputsNode && !(inputsNode.kind === 'scalar' && inputsNode.value === null)) {
    if (inputsNode.kind !== 'map') {
      p.add(inputsNode, [...path, 'inputs'], 'should be a hash');
      return [];
    }
    inputs = inputValue(inputsNode) as Record<string, unknown>;
  }
  const str = (k: string): string | undefined => {
    const n = get(k);
    const s = n ? readString(p, n, [...path, k]) : undefined;
    return s === undefined ? undefined : loc(s);
  };
  const integrity = get('integrity') ? str('integrity') : undefined;
  if (get('local')) {
    const s = str('local');
    return s === undefined ? [] : local(env, get('local')!, [...path, 'local'], s, st).map((rel) => ({ rel, inputs }));
  }
  if (get('remote')) {
    const s = str('remote');
    return s === undefined ? [] : remote(env, get('remote')!, [...path, 'remote'], s, inputs, integrity);
  }
  if (get('template')) {
    const s = str('template');
    if (s === undefined) return [];
    const v = vendored(env, get('template')!, [...path, 'template'], {
      kind: 'template',
      rest: s,
      address: s,
      template: { name: s },
    });
    return v ? [{ rel: v, inputs }] : [];
  }
  if (get('component')) {
    const s = str('component');
    return s === undefined ? [] : component(env, get('component')!, [...path, 'component'], s, inputs);
  }
  if (get('project')) {
    const proj = str('project');
    const ref = get('ref') ? str('ref') : undefined;
    const fileNode = get('file');
    if (!fileNode) {
      p.add(item, path, 'include:project needs a file');
      return [];
    }
    const files = (readStrings(p, fileNode, [...path, 'file']) ?? []).map(loc);
    if (proj === undefined || (get('ref') && ref === undefined)) return [];
    const out: Target[] = [];
    const absent: { address: string; rel: string }[] = [];
    for (const f of files) {
      const file = f.replace(/^\/+/, '');
      const v = vendored(
        env,
        get('project')!,
        [...path, 'project'],
        {
          kind: 'project',
          rest: `${proj}/${ref || 'HEAD'}/${file}`,
          address: `${proj}${ref ? `@${ref}` : ''}:${file}`,
          project: { path: proj, ref: ref || undefined, file },
        },
        absent,
      );
      if (v) out.push({ rel: v, inputs });
    }
    const at = get('project')!;
    const fix = `run \`${env.vendorCommand ?? 'kiln vendor'}\` to fetch`;
    if (absent.length === 1) {
      p.add(
        at,
        [...path, 'project'],
        `include:project \`${absent[0].address}\` is not vendored (no ${absent[0].rel}); ${fix} it`,
      );
    } else if (absent.length > 1) {
      // One include, one error: the missing files of an include:project list are named together.
      p.add(
        at,
        [...path, 'project'],
        `include:project \`${proj}${ref ? `@${ref}` : ''}\`: ${absent.length} files are not ` +
          `vendored (${absent.map((x) => x.address.slice(x.address.lastIndexOf(':') + 1)).join(', ')}); ${fix} them`,
      );
    }
    return out;
  }
  p.add(item, path, 'needs one of local, remote, project, template or component');
  return [];
}

function local(env: IncludeEnv, at: YNode, path: string[], raw: string, st: State): string[] {
  const clean = raw.replace(/^\/+/, '');
  if (/[*?[{]/.test(clean)) {
    st.files ??= listFiles(env.projectDir, env.vendorDir ?? VENDOR_DIR);
    const match = picomatch(clean, { dot: true });
    const found = st.files.filter((f) => /\.ya?ml$/.test(f) && match(f));
    if (found.length === 0) env.problems.add(at, path, `local include \`${raw}\` matches no file`);
    return found;
  }
  const rel = normalize(clean).split(sep).join('/');
  // GitLab docs, include:local: "The YAML file must have the extension `.yml` or `.yaml`" (checked before the file).
  if (!/.\.ya?ml$/i.test(rel)) {
    env.problems.add(at, path, `included file \`${raw}\` does not have YAML extension (.yml or .yaml)`);
    return [];
  }
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
