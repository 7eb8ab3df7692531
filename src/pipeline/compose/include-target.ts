// The vendored kinds of include (remote, template, project, component): where each one's file is in the vendor
// folder (vendored.ts has the layout), or the one error that names the `kiln vendor` command when it is not there.
// A component of the project itself at its own commit is the working tree's file. Used by include.ts.
import { join } from 'node:path';
import type { RuleSpec } from '../rules/types.js';
import type { Problems } from '../keywords/check.js';
import type { YNode } from '../yaml/node.js';
import type { ComponentContext } from '../inputs/load.js';
import { isFile } from './project-file.js';
import {
  componentFiles,
  componentRest,
  fullVersion,
  parseComponent,
  readMeta,
  remoteRest,
  VENDOR_DIR,
  vendorRel,
  type VendoredInclude,
} from './vendored.js';

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

/** One file an include item stands for, with what reading it needs. */
export interface Target {
  rel: string;
  inputs?: Record<string, unknown>;
  component?: ComponentContext;
  integrity?: string;
  /** Where a vendored target came from (so that a copy failing its integrity check is fetched again). */
  vendored?: VendoredInclude;
}

export function remote(
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

export function component(
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
export function vendored(
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
