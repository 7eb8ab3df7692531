// What `kiln publish aptly` can learn from the server before it changes anything: which of the packages the
// repo already has (compared by content: aptly's SHA256 of each package, never by file name, since aptly's own
// identity of a package includes the uploaded file name, so the same bytes uploaded earlier by curl as
// `datahook-1.0.0-Linux.deb` and now as `datahook_1.0.0_amd64.deb` would otherwise be a "conflict"), and
// whether another publication under the same prefix already has a pool file of the same name with other bytes
// (aptly keeps one pool per prefix; publishing then fails half-way with "file already exists and is different").
import { AptlyHttp, aptlyErrorText, type AptlyResponse } from './http.js';
import { AptlyError } from '../errors.js';

export interface AptlyDeb {
  name: string;
  version: string;
  arch: string;
  file: string;
  sha256: string;
}

/** A package as aptly's `?format=details` lists it (the fields used here). */
export interface AptlyPackage {
  Package: string;
  Version: string;
  Architecture: string;
  SHA256?: string;
  Filename?: string;
}

export interface Publication {
  Prefix?: string;
  Storage?: string;
  Distribution?: string;
  SourceKind?: string;
  Sources?: { Name?: string; Component?: string }[];
}

export function requestFailed(what: string, r: AptlyResponse, hint = ''): AptlyError {
  return new AptlyError(
    `aptly: ${what} failed: ${r.method} ${r.url}: HTTP ${r.status}: ${aptlyErrorText(r.body, r.text)}${hint}`,
    r.status,
    r.text,
  );
}

const key = (p: { name: string; version: string; arch: string }) => `${p.name} ${p.version} ${p.arch}`;

/** The packages named like `debs` in a local repo (`repos`) or snapshot (`snapshots`), by name+version+arch. */
export async function packagesIn(
  http: AptlyHttp,
  kind: 'repos' | 'snapshots',
  name: string,
  debs: AptlyDeb[],
): Promise<Map<string, AptlyPackage>> {
  const q = [...new Set(debs.map((d) => d.name))].join(' | ');
  const path = `/api/${kind}/${encodeURIComponent(name)}/packages?format=details&q=${encodeURIComponent(q)}`;
  const r = await http.request('GET', path);
  if (r.status !== 200) throw requestFailed(`listing packages of ${kind === 'repos' ? 'repo' : 'snapshot'} ${name}`, r);
  const out = new Map<string, AptlyPackage>();
  for (const p of (Array.isArray(r.body) ? r.body : []) as AptlyPackage[]) {
    out.set(key({ name: p.Package, version: p.Version, arch: p.Architecture }), p);
  }
  return out;
}

export interface RepoComparison {
  /** Already in the repo with the same bytes: nothing to upload. */
  present: AptlyDeb[];
  /** Not in the repo. */
  missing: AptlyDeb[];
  /** In the repo under the same name+version+arch with other bytes. */
  different: { deb: AptlyDeb; existing: AptlyPackage }[];
}

export function compareWithRepo(debs: AptlyDeb[], inRepo: Map<string, AptlyPackage>): RepoComparison {
  const c: RepoComparison = { present: [], missing: [], different: [] };
  for (const d of debs) {
    const existing = inRepo.get(key(d));
    if (!existing) c.missing.push(d);
    else if (existing.SHA256 === d.sha256) c.present.push(d);
    else c.different.push({ deb: d, existing });
  }
  return c;
}

export interface PoolConflict {
  deb: AptlyDeb;
  publication: string;
  source: string;
  existing: AptlyPackage;
}

/**
 * Packages that another publication under the same storage+prefix and component already publishes with other
 * bytes: their pool files would collide.
 */
export async function poolConflicts(
  http: AptlyHttp,
  pubs: Publication[],
  target: { storage: string; prefix: string; distribution: string; component: string; repo: string },
  debs: AptlyDeb[],
): Promise<PoolConflict[]> {
  const out: PoolConflict[] = [];
  for (const p of pubs) {
    if (
      (p.Prefix || '.') !== target.prefix ||
      (p.Storage ?? '') !== target.storage ||
      p.Distribution === target.distribution
    )
      continue;
    const kind = p.SourceKind === 'snapshot' ? 'snapshots' : p.SourceKind === 'local' ? 'repos' : undefined;
    if (!kind) continue;
    for (const src of p.Sources ?? []) {
      if (!src.Name || (src.Component ?? 'main') !== target.component || (kind === 'repos' && src.Name === target.repo))
        continue;
      const theirs = await packagesIn(http, kind, src.Name, debs);
      for (const d of debs) {
        const e = theirs.get(key(d));
        if (e && e.SHA256 !== d.sha256) {
          out.push({
            deb: d,
            publication: `${target.prefix}/${p.Distribution}`,
            source: `${p.SourceKind} ${src.Name}`,
            existing: e,
          });
        }
      }
    }
  }
  return out;
}
