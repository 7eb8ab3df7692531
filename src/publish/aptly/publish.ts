// The aptly publishing flow (what seed 003 did with three curl calls, made safe to repeat):
//   1. create the local repo if it does not exist;
//   2. upload the .deb files under canonical name_version_arch.deb names into a fresh upload directory
//      (never a shared one, so a second build's "pkg.deb" cannot collide with a leftover);
//   3. add the upload directory to the repo, failing on aptly's FailedFiles/conflict warnings;
//   4. publish the repo the first time, or update the existing publication;
//   5. always delete the upload directory, also after failures.
// aptly answers HTTP 500 "... gpg ..." when it is asked to sign but its GPG keyring has no usable secret key:
// the fix is to import a key into the keyring of the user running aptly (and pass --sign-key), or to publish
// with --skip-signing. That explanation is attached to the error.
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { AptlyError } from '../errors.js';
import { canonicalDebName } from '../deb/control.js';
import { AptlyHttp, aptlyErrorText, type AptlyResponse } from './http.js';

export interface AptlyDeb { name: string; version: string; arch: string; file: string }

export interface AptlyPublishOptions {
  http: AptlyHttp;
  repo: string;
  distribution: string;
  prefix?: string;
  component?: string;
  signKey?: string;
  skipSigning?: boolean;
  passphrase?: string;
  forceReplace?: boolean;
  debs: AptlyDeb[];
}

export interface AptlyPublishResult {
  repoCreated: boolean;
  uploadDir: string;
  added: string[];
  warnings: string[];
  published: 'created' | 'updated';
  prefix: string;
  distribution: string;
  signed: boolean;
}

/** Splits "s3:bucket:some/prefix" into aptly's storage ("s3:bucket") and prefix; plain prefixes have no storage. */
export function splitStorage(prefix: string): { storage: string; prefix: string } {
  const i = prefix.lastIndexOf(':');
  return i > 0 ? { storage: prefix.slice(0, i), prefix: prefix.slice(i + 1) || '.' } : { storage: '', prefix: prefix || '.' };
}

/** aptly's URL form of a publish prefix: "_" → "__", "/" → "_", an optional "storage:" kept in front; the root
 * prefix "." is written ":." (a bare "." path segment would be removed by URL normalisation). */
export function encodePrefix(full: string): string {
  const { storage, prefix } = splitStorage(full);
  const body = prefix === '.' ? '.' : encodeURIComponent(prefix.replace(/_/g, '__').replace(/\//g, '_'));
  return `${storage.split(':').map(encodeURIComponent).join(':')}:${body}`;
}

function fail(what: string, r: AptlyResponse): never {
  const msg = aptlyErrorText(r.body, r.text);
  let hint = '';
  if (r.status >= 500 && /gpg|sign|keyring/i.test(msg)) {
    hint = '\nhint: aptly could not sign the publication — its GPG keyring (of the user running `aptly api serve`) ' +
      'has no usable secret key. Import one there (gpg --import) and pass --sign-key <key id>, ' +
      'or publish unsigned with --skip-signing.';
  }
  throw new AptlyError(`aptly: ${what} failed: HTTP ${r.status}: ${msg}${hint}`, r.status, r.text);
}

function signing(o: AptlyPublishOptions): Record<string, unknown> {
  if (o.skipSigning) return { Skip: true };
  const s: Record<string, unknown> = { Batch: true };
  if (o.signKey) s.GpgKey = o.signKey;
  if (o.passphrase) s.Passphrase = o.passphrase;
  return s;
}

export async function publishToAptly(o: AptlyPublishOptions): Promise<AptlyPublishResult> {
  const { http } = o;
  const prefix = o.prefix ?? '.';
  const component = o.component ?? 'main';
  const repoPath = `/api/repos/${encodeURIComponent(o.repo)}`;

  const version = await http.request('GET', '/api/version');
  if (version.status !== 200) fail('GET /api/version', version);

  let repoCreated = false;
  const existing = await http.request('GET', repoPath);
  if (existing.status === 404) {
    const created = await http.request('POST', '/api/repos',
      { Name: o.repo, DefaultDistribution: o.distribution, DefaultComponent: component });
    if (created.status !== 201 && !(created.status === 400 && /already exists/i.test(created.text))) fail(`creating repo ${o.repo}`, created);
    repoCreated = created.status === 201;
  } else if (existing.status !== 200) fail(`GET ${repoPath}`, existing);

  const uploadDir = `kiln-${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const result: AptlyPublishResult = {
    repoCreated, uploadDir, added: [], warnings: [], published: 'created', prefix, distribution: o.distribution, signed: !o.skipSigning,
  };
  try {
    const form = new FormData();
    for (const d of o.debs) {
      form.append('file', await openAsBlob(d.file, { type: 'application/vnd.debian.binary-package' }), canonicalDebName(d.name, d.version, d.arch));
    }
    const up = await http.request('POST', `/api/files/${uploadDir}`, form);
    if (up.status !== 200) fail(`upload to /api/files/${uploadDir}`, up);

    const query = o.forceReplace ? '?forceReplace=1' : '';
    const add = await http.request('POST', `${repoPath}/file/${uploadDir}${query}`);
    if (add.status !== 200) fail(`adding ${uploadDir} to repo ${o.repo}`, add);
    const report = (add.body ?? {}) as { FailedFiles?: string[] | null; Report?: { Warnings?: string[] | null; Added?: string[] | null } };
    result.added = report.Report?.Added ?? [];
    result.warnings = report.Report?.Warnings ?? [];
    const failed = report.FailedFiles ?? [];
    if (failed.length) {
      throw new AptlyError(`aptly: adding to repo ${o.repo} failed for ${failed.join(', ')}: ${result.warnings.join('; ') || 'no details'}` +
        (result.warnings.some((w) => /conflict|exists/i.test(w)) && !o.forceReplace
          ? '\nhint: the repo already has this name+version+arch with different content; bump the version or pass --force-replace'
          : ''), add.status, add.text);
    }
  } finally {
    const del = await http.request('DELETE', `/api/files/${uploadDir}`).catch(() => undefined);
    if (del && del.status !== 200 && del.status !== 404) result.warnings.push(`could not delete upload dir ${uploadDir}: HTTP ${del.status}`);
  }

  const list = await http.request('GET', '/api/publish');
  if (list.status !== 200) fail('GET /api/publish', list);
  const pubs = (Array.isArray(list.body) ? list.body : []) as
    { Prefix?: string; Storage?: string; Distribution?: string; SourceKind?: string; Sources?: { Name?: string }[] }[];
  const want = splitStorage(prefix);
  const found = pubs.find((p) => (p.Prefix || '.') === want.prefix && (p.Storage ?? '') === want.storage && p.Distribution === o.distribution);
  if (found && (found.SourceKind !== 'local' || !(found.Sources ?? []).some((src) => src.Name === o.repo))) {
    throw new AptlyError(`aptly: publication ${prefix}/${o.distribution} already exists for ${found.SourceKind ?? '?'} ` +
      `${(found.Sources ?? []).map((src) => src.Name).join(', ')}, not for local repo ${o.repo}; choose another --prefix or --distribution`);
  }
  if (found) {
    const r = await http.request('PUT', `/api/publish/${encodePrefix(prefix)}/${encodeURIComponent(o.distribution)}`,
      { Signing: signing(o), ForceOverwrite: !!o.forceReplace });
    if (r.status !== 200) fail(`updating publication ${prefix}/${o.distribution}`, r);
    result.published = 'updated';
  } else {
    const r = await http.request('POST', `/api/publish/${encodePrefix(prefix)}`, {
      SourceKind: 'local', Sources: [{ Name: o.repo, Component: component }], Distribution: o.distribution, Signing: signing(o),
    });
    if (r.status !== 201 && r.status !== 200) fail(`publishing ${o.repo} as ${prefix}/${o.distribution}`, r);
  }
  return result;
}
