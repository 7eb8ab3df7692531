// Where a remote/project/template/component include lives in the vendor folder (committed with the project), and
// what `kiln vendor` needs to fetch it. The layout, under .kiln-vendor/ (LoadOptions.vendorDir changes it):
//   project:   project/<group/project>/<ref, or HEAD when no ref>/<file>
//   remote:    remote/<host[:port]>/<path>                 (query and fragment dropped)
//   template:  template/<name>                              (e.g. Jobs/Build.gitlab-ci.yml)
//   component: component/<host/group/project/name>/<reference>.yml, and beside it <reference>.meta.json
//              ({"sha": ..., "version": ...}: the commit and release `kiln vendor` resolved the reference to)
import { readFileSync } from 'node:fs';
import { normalize, sep } from 'node:path';
import { lazyCrypto } from '../../util/lazy-crypto.js';

export const VENDOR_DIR = '.kiln-vendor';

export type VendorKind = 'remote' | 'project' | 'template' | 'component';

export interface ComponentAddress {
  host: string;
  /** group/project */
  project: string;
  name: string;
  /** What follows `@`: a release (1.2.3, 1.2, 1, ~latest), a branch, a tag or a commit SHA. */
  reference: string;
}

export interface VendoredInclude {
  kind: VendorKind;
  /** Project-relative path of the vendored copy. */
  rel: string;
  /** How the include reads, for messages (a URL, group/project@ref:file, a template name, a component path). */
  address: string;
  remote?: { url: string };
  project?: { path: string; ref?: string; file: string };
  template?: { name: string };
  component?: ComponentAddress;
  /** include:integrity (sha256-<base64>), remote includes only. */
  integrity?: string;
}

/** undefined when the path would leave the vendor folder (a hostile `..` in an include). */
export function vendorRel(vendorDir: string, kind: VendorKind, rest: string): string | undefined {
  const base = normalize(vendorDir).split(sep).join('/').replace(/\/+$/, '');
  const rel = normalize(`${base}/${kind}/${rest}`).split(sep).join('/');
  return rel.startsWith(`${base}/${kind}/`) ? rel : undefined;
}

export function remoteRest(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/[?#].*$/, '');
}

/** `host/group/project/name@reference` (GitLab: the last path segment is the component's name). */
export function parseComponent(address: string): ComponentAddress | string {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return 'component address should end with @<version>';
  const path = address.slice(0, at);
  const reference = address.slice(at + 1);
  const parts = path.split('/');
  if (parts.length < 4 || parts.some((p) => p === '' || p === '.' || p === '..')) {
    return 'component address should be <server>/<group>/<project>/<component name>@<version>';
  }
  if (reference.includes('/') && !/^[\w.~-]+(?:\/[\w.~-]+)*$/.test(reference)) return 'invalid component version';
  return { host: parts[0], project: parts.slice(1, -1).join('/'), name: parts[parts.length - 1], reference };
}

export function componentRest(c: ComponentAddress): string {
  return `${c.host}/${c.project}/${c.name}/${c.reference}.yml`;
}

/** The files GitLab looks for in the component's project, in order (docs: ci/components "Directory structure"). */
export function componentFiles(name: string): string[] {
  return [`templates/${name}.yml`, `templates/${name}/template.yml`];
}

/** `sha256-<base64>` of the content, the form include:integrity takes. */
export function integrityOf(data: Uint8Array | string): string {
  return `sha256-${lazyCrypto().createHash('sha256').update(data).digest('base64')}`;
}

/** A release version kiln can name without asking the server: a full semantic version. */
export function fullVersion(reference: string): string | null {
  return /^\d+\.\d+\.\d+$/.test(reference) ? reference : null;
}

/** A vendored component's `.meta.json` (commit and resolved version); {} when absent or unreadable. */
export function readMeta(file: string): { sha?: string; version?: string | null } {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as { sha?: unknown; version?: unknown };
    return {
      sha: typeof m.sha === 'string' ? m.sha : undefined,
      version: typeof m.version === 'string' || m.version === null ? m.version : undefined,
    };
  } catch {
    return {};
  }
}
