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
import type { RuleSpec } from '../rules/types.js';
import { checkKeys, Problems, readString, readStrings, scalarText } from '../keywords/check.js';
import { readRules } from '../keywords/rules.js';
import { isFile, listFiles, readProjectFile } from './project-file.js';

export { readProjectFile };
import { deepMerge, newMap, type YMap, type YNode } from '../yaml/node.js';
import { readCiText, type CiFileOptions, type ComponentContext } from '../inputs/load.js';
import { inputValue } from '../inputs/reference-values.js';
import { expandIncludeLocation } from './include-vars.js';
import {
  componentFiles,
  componentRest,
  fullVersion,
  integrityOf,
  parseComponent,
  readMeta,
  remoteRest,
  VENDOR_DIR,
  vendorRel,
  type VendoredInclude,
} from './vendored.js';

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

export interface IncludeEnv {
  projectDir: string;
  problems: Problems;
  /** Folder of vendored remote/project/template/component files, relative to projectDir (default .kiln-vendor). */
  vendorDir?: string;
  /** Decides include:rules (true: include the file). */
  includeByRules(rules: RuleSpec[]): boolean;
  /** The variables includes may use (include-vars.ts); none when absent. */
  variables?: Record<string, string>;
  /** Masked variable names (interpolation's expand_vars refuses them). */
  masked?: ReadonlySet<string>;
  /** The command that vendors this pipeline's includes, quoted in "not vendored" errors (default `kiln vendor`). */
  vendorCommand?: string;
  /** Receives every remote/project/template/component include that is not vendored yet (for `kiln vendor`). */
  missing?: VendoredInclude[];
}

interface State {
  count: number;
  files: string[] | undefined;
  stack: string[];
}

/** One file an include item stands for, with what reading it needs. */
interface Target {
  rel: string;
  inputs?: Record<string, unknown>;
  component?: ComponentContext;
  integrity?: string;
  /** Where a vendored target came from (so that a copy failing its integrity check is fetched again). */
  vendored?: VendoredInclude;
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

function remote(
  env: IncludeEnv,
  at: YNode,
  path: string[],
  url: string,
  inputs: Record<string, unknown> | undefined,
  integrity: string | undefined,
): Target[] {
  if (integrity !== undefined && !/^sha256-[A-Za-z0-9+/]{43}=$/.test(integrity)) {
    env.problems.add(at, path, 'include:integrity should be sha256-<base64 of the SHA-256 digest>');
    return [];
  }
  const v = vendored(env, at, path, {
    kind: 'remote',
    rest: remoteRest(url),
    address: url,
    remote: { url },
    integrity,
  });
  return v
    ? [{ rel: v, inputs, integrity, vendored: { kind: 'remote', rel: v, address: url, remote: { url }, integrity } }]
    : [];
}

function component(
  env: IncludeEnv,
  at: YNode,
  path: string[],
  address: string,
  inputs?: Record<string, unknown>,
): Target[] {
  const c = parseComponent(address);
  if (typeof c === 'string') {
    env.problems.add(at, path, `\`${address}\`: ${c}`);
    return [];
  }
  const vars = env.variables ?? {};
  // A component of this very project at this very commit (CI_SERVER_FQDN/CI_PROJECT_PATH/x@CI_COMMIT_SHA, how a
  // components project tests itself) is the working tree's own file.
  if (c.host === vars.CI_SERVER_FQDN && c.project === vars.CI_PROJECT_PATH && c.reference === vars.CI_COMMIT_SHA) {
    const own = componentFiles(c.name).find((f) => isFile(join(env.projectDir, f)));
    if (!own) {
      env.problems.add(
        at,
        path,
        `component \`${address}\` is this project's own: none of ` + `${componentFiles(c.name).join(', ')} exists`,
      );
      return [];
    }
    return [{ rel: own, inputs, component: { name: c.name, reference: c.reference, sha: c.reference, version: null } }];
  }
  const v = vendored(env, at, path, { kind: 'component', rest: componentRest(c), address, component: c });
  if (!v) return [];
  const meta = readMeta(join(env.projectDir, v.replace(/\.yml$/, '.meta.json')));
  return [
    {
      rel: v,
      inputs,
      component: {
        name: c.name,
        reference: c.reference,
        sha: meta.sha ?? (/^[0-9a-f]{40}$/.test(c.reference) ? c.reference : undefined),
        version: meta.version !== undefined ? meta.version : fullVersion(c.reference),
      },
    },
  ];
}

/**
 * The vendored copy's path, or undefined when it is not there: the include is recorded as missing and reported (one
 * error naming the fix), or added to `absent` for the caller to report.
 */
function vendored(
  env: IncludeEnv,
  at: YNode,
  path: string[],
  what: Omit<VendoredInclude, 'rel'> & { rest: string },
  absent?: { address: string; rel: string }[],
): string | undefined {
  const { rest, ...info } = what;
  const rel = vendorRel(env.vendorDir ?? VENDOR_DIR, info.kind, rest);
  if (rel === undefined) {
    env.problems.add(at, path, `include:${info.kind} \`${info.address}\` would be read from outside the vendor folder`);
    return undefined;
  }
  if (isFile(join(env.projectDir, rel))) return rel;
  env.missing?.push({ ...info, rel });
  if (absent) absent.push({ address: info.address, rel });
  else {
    env.problems.add(
      at,
      path,
      `include:${info.kind} \`${info.address}\` is not vendored (no ${rel}); ` +
        `run \`${env.vendorCommand ?? 'kiln vendor'}\` to fetch it`,
    );
  }
  return undefined;
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
