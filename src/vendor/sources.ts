// Where `kiln vendor` gets each kind of include, and what it records:
// - remote:    the URL itself (plain HTTP(S));
// - project:   GitLab's API, GET <server>/api/v4/projects/<path>/repository/files/<file>/raw?ref=<ref> (no ref: the
//              project's default branch), with the token in PRIVATE-TOKEN;
// - template:  <templates_url>/<name>, GitLab's template names (default: gitlab-org/gitlab's
//              lib/gitlab/ci/templates on gitlab.com);
// - component: the API on the component's server: the reference resolved (`~latest` and partial versions such as
//              `1` or `1.2` to the newest matching release, pre-releases never), templates/<name>.yml or
//              templates/<name>/template.yml at it, and the commit SHA; the version and SHA are recorded beside the
//              copy for `$[[ component.version ]]` / `$[[ component.sha ]]`.
import { VendorError } from '../errors.js';
import { componentFiles, type ComponentAddress, type VendoredInclude } from '../pipeline/compose/vendored.js';
import { httpGet, httpJson, type HttpOptions } from './http.js';

export const DEFAULT_TEMPLATES_URL = 'https://gitlab.com/gitlab-org/gitlab/-/raw/master/lib/gitlab/ci/templates';

export interface SourceSettings {
  /** The project's GitLab server, e.g. https://gitlab.example.com (API for project includes). */
  serverUrl: string;
  templatesUrl?: string;
  /** GitLab token (project and component includes of private projects). */
  token?: string;
  timeoutMs?: number;
}

export interface Fetched {
  data: Buffer;
  /** For components: what the reference resolved to. */
  meta?: { sha: string; version: string | null; ref: string };
}

export async function fetchInclude(inc: VendoredInclude, s: SourceSettings): Promise<Fetched> {
  const http: HttpOptions = { timeoutMs: s.timeoutMs };
  const api: HttpOptions = { ...http, headers: s.token ? { 'PRIVATE-TOKEN': s.token } : {} };
  switch (inc.kind) {
    case 'remote':
      return { data: await httpGet(inc.remote!.url, http) };
    case 'template':
      return {
        data: await httpGet(
          `${(s.templatesUrl ?? DEFAULT_TEMPLATES_URL).replace(/\/+$/, '')}/${inc
            .template!.name.split('/')
            .map(encodeURIComponent)
            .join('/')}`,
          http,
        ),
      };
    case 'project': {
      const p = inc.project!;
      return { data: await httpGet(rawFileUrl(s.serverUrl, p.path, p.file, p.ref), api) };
    }
    case 'component':
      return fetchComponent(inc.component!, componentServer(inc.component!.host, s.serverUrl), api);
  }
}

function rawFileUrl(server: string, project: string, file: string, ref?: string): string {
  const q = ref ? `?ref=${encodeURIComponent(ref)}` : '';
  return `${apiBase(server)}/projects/${encodeURIComponent(project)}/repository/files/${encodeURIComponent(file)}/raw${q}`;
}

function apiBase(server: string): string {
  return `${server.replace(/\/+$/, '')}/api/v4`;
}

/** The component's server: the configured one when the host is its host (keeps its scheme and port), else https. */
export function componentServer(host: string, serverUrl: string): string {
  try {
    const u = new URL(serverUrl);
    if (u.host === host) return `${u.protocol}//${u.host}`;
  } catch {
    // not a URL: fall through
  }
  return `https://${host}`;
}

async function fetchComponent(c: ComponentAddress, server: string, api: HttpOptions): Promise<Fetched> {
  const { ref, version } = await resolveReference(c, server, api);
  const commit = (await httpJson(
    `${apiBase(server)}/projects/${encodeURIComponent(c.project)}/repository/commits/` + `${encodeURIComponent(ref)}`,
    api,
  )) as { id?: unknown };
  if (typeof commit.id !== 'string') throw new VendorError(`component ${c.project}: no commit for ${ref}`);
  let lastError: unknown;
  for (const file of componentFiles(c.name)) {
    try {
      const data = await httpGet(rawFileUrl(server, c.project, file, commit.id), api);
      return { data, meta: { sha: commit.id, version, ref } };
    } catch (err) {
      if (!(err instanceof VendorError) || err.code !== 'E_VENDOR_HTTP') throw err;
      lastError = err;
    }
  }
  throw new VendorError(
    `component ${c.name} of ${c.project}@${ref}: neither ${componentFiles(c.name).join(' nor ')} ` +
      `exists (${(lastError as Error).message})`,
  );
}

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;

/** GitLab's component version rules (docs: ci/components "Component versions"). */
async function resolveReference(
  c: ComponentAddress,
  server: string,
  api: HttpOptions,
): Promise<{ ref: string; version: string | null }> {
  const partial = /^\d+(?:\.\d+)?$/.test(c.reference);
  if (c.reference !== '~latest' && !partial) {
    return { ref: c.reference, version: SEMVER.test(c.reference) ? c.reference : null };
  }
  const releases = await httpJson(
    `${apiBase(server)}/projects/${encodeURIComponent(c.project)}/releases?per_page=100`,
    api,
  );
  const tags = (Array.isArray(releases) ? releases : [])
    .map((r) => (r as { tag_name?: unknown }).tag_name)
    .filter((t): t is string => typeof t === 'string')
    .map((t) => ({ t, m: SEMVER.exec(t) }))
    .filter((x) => x.m && !x.m[4])
    .filter((x) => c.reference === '~latest' || `${x.t}.`.startsWith(`${c.reference}.`))
    .sort((a, b) => compare(b.m!, a.m!));
  if (tags.length === 0) throw new VendorError(`component ${c.project}: no release matches ${c.reference}`);
  return { ref: tags[0].t, version: tags[0].t };
}

function compare(a: RegExpExecArray, b: RegExpExecArray): number {
  for (let i = 1; i <= 3; i++) if (Number(a[i]) !== Number(b[i])) return Number(a[i]) - Number(b[i]);
  return 0;
}
