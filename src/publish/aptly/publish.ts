// The aptly publishing flow (what seed 003 did with three curl calls, made safe to repeat):
//   1. check first, change nothing: the server answers, the publication is not another source's, the repo's
//      packages of the same name+version+arch have the same bytes (SHA256, not file names), and no other
//      publication under the prefix has a pool file of the same name with other bytes (preflight.ts);
//   2. create the local repo if it does not exist;
//   3. upload the .deb files the repo does not have yet under canonical name_version_arch.deb names into a
//      fresh upload directory (never a shared one, so a second build's "pkg.deb" cannot collide with a leftover);
//   4. add the upload directory to the repo, failing on aptly's FailedFiles/conflict warnings;
//   5. publish the repo the first time, or update the existing publication;
//   6. always delete the upload directory, also after failures.
// Each change is recorded as it is made; an error says what was left changed on the server (also in --json).
// aptly answers HTTP 500 "... gpg ..." when it is asked to sign but its GPG keyring has no usable secret key:
// the fix is to import a key into the keyring of the user running aptly (and pass --sign-key), or to publish
// with --skip-signing. That explanation is attached to the error.
import { randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { AptlyError } from '../errors.js';
import { canonicalDebName } from '../deb/control.js';
import { AptlyHttp, type AptlyResponse } from './http.js';
import {
  compareWithRepo,
  packagesIn,
  poolConflicts,
  requestFailed,
  type AptlyDeb,
  type AptlyPackage,
  type Publication,
} from './preflight.js';

export type { AptlyDeb } from './preflight.js';

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
  /** The upload directory used (and removed); empty when every package was in the repo already. */
  uploadDir: string;
  added: string[];
  /** Packages the repo already had with the same content (compared by SHA256): not uploaded again. */
  unchanged: string[];
  warnings: string[];
  published: 'created' | 'updated';
  prefix: string;
  distribution: string;
  signed: boolean;
  /** What this run changed on the server, in order. */
  changes: string[];
}

/** Splits "s3:bucket:some/prefix" into aptly's storage ("s3:bucket") and prefix; plain prefixes have no storage. */
export function splitStorage(prefix: string): { storage: string; prefix: string } {
  const i = prefix.lastIndexOf(':');
  return i > 0
    ? { storage: prefix.slice(0, i), prefix: prefix.slice(i + 1) || '.' }
    : { storage: '', prefix: prefix || '.' };
}

/** aptly's URL form of a publish prefix: "_" → "__", "/" → "_", an optional "storage:" kept in front; the root
 * prefix "." is written ":." (a bare "." path segment would be removed by URL normalisation). */
export function encodePrefix(full: string): string {
  const { storage, prefix } = splitStorage(full);
  const body = prefix === '.' ? '.' : encodeURIComponent(prefix.replace(/_/g, '__').replace(/\//g, '_'));
  return `${storage.split(':').map(encodeURIComponent).join(':')}:${body}`;
}

const SIGN_HINT =
  '\nhint: aptly could not sign the publication — its GPG keyring (of the user running `aptly api serve`) ' +
  'has no usable secret key. Import one there (gpg --import) and pass --sign-key <key id>, or publish unsigned with --skip-signing.';
const POOL_HINT =
  '\nhint: publications under one prefix share one pool, so a package name+version+arch can have only one content ' +
  'there. Give each distribution its own --prefix, or make the versions differ (e.g. 1.0.0~bionic1 and 1.0.0~xenial1).';

function fail(what: string, r: AptlyResponse): never {
  const text = `${r.text}`;
  const hint =
    r.status >= 500 && /gpg|sign|keyring/i.test(text)
      ? SIGN_HINT
      : /already exists and is different/i.test(text)
        ? POOL_HINT
        : '';
  throw requestFailed(what, r, hint);
}

const short = (sha?: string) => (sha ? `${sha.slice(0, 12)}…` : 'unknown');
const describe = (d: AptlyDeb) => `${d.name} ${d.version} (${d.arch})`;

function signing(o: AptlyPublishOptions): Record<string, unknown> {
  if (o.skipSigning) return { Skip: true };
  const s: Record<string, unknown> = { Batch: true };
  if (o.signKey) s.GpgKey = o.signKey;
  if (o.passphrase) s.Passphrase = o.passphrase;
  return s;
}

export async function publishToAptly(o: AptlyPublishOptions): Promise<AptlyPublishResult> {
  const changes: string[] = [];
  try {
    return await publishSteps(o, changes);
  } catch (e) {
    if (e instanceof AptlyError) {
      e.changes = [...changes];
      if (changes.length) e.message += `\nleft changed on the aptly server: ${changes.join('; ')}`;
      else e.message += '\nnothing was changed on the aptly server';
    }
    throw e;
  }
}

async function publishSteps(o: AptlyPublishOptions, changes: string[]): Promise<AptlyPublishResult> {
  const { http } = o;
  const prefix = o.prefix ?? '.';
  const component = o.component ?? 'main';
  const repoPath = `/api/repos/${encodeURIComponent(o.repo)}`;

  // 1. Everything that can be checked before a change.
  const version = await http.request('GET', '/api/version');
  if (version.status !== 200) fail('asking for the version', version);
  const existing = await http.request('GET', repoPath);
  if (existing.status !== 200 && existing.status !== 404) fail(`looking up repo ${o.repo}`, existing);
  const repoExists = existing.status === 200;

  const list = await http.request('GET', '/api/publish');
  if (list.status !== 200) fail('listing publications', list);
  const pubs = (Array.isArray(list.body) ? list.body : []) as Publication[];
  const want = splitStorage(prefix);
  const found = pubs.find(
    (p) => (p.Prefix || '.') === want.prefix && (p.Storage ?? '') === want.storage && p.Distribution === o.distribution,
  );
  if (found && (found.SourceKind !== 'local' || !(found.Sources ?? []).some((src) => src.Name === o.repo))) {
    throw new AptlyError(
      `aptly: publication ${prefix}/${o.distribution} already exists for ${found.SourceKind ?? '?'} ` +
        `${(found.Sources ?? []).map((src) => src.Name).join(', ')}, not for local repo ${o.repo}; choose another --prefix or --distribution`,
    );
  }

  const cmp = compareWithRepo(
    o.debs,
    repoExists ? await packagesIn(http, 'repos', o.repo, o.debs) : new Map<string, AptlyPackage>(),
  );
  if (cmp.different.length && !o.forceReplace) {
    throw new AptlyError(
      `aptly: repo ${o.repo} already has ${cmp.different
        .map(
          ({ deb, existing: e }) =>
            `${describe(deb)} with other content (sha256 ${short(e.SHA256)} from ${e.Filename ?? '?'}; ${deb.file} is ${short(deb.sha256)})`,
        )
        .join(', ')}` +
        '\nhint: the same name+version+arch with different bytes: bump the version, or pass --force-replace to replace it',
    );
  }
  const toUpload = [...cmp.missing, ...cmp.different.map((d) => d.deb)];
  const conflicts = await poolConflicts(
    http,
    pubs,
    { ...want, distribution: o.distribution, component, repo: o.repo },
    toUpload,
  );
  if (conflicts.length) {
    throw new AptlyError(
      `aptly: ${conflicts
        .map(
          (c) =>
            `${describe(c.deb)} is published in ${c.publication} (from ${c.source}) ` +
            `with other content (sha256 ${short(c.existing.SHA256)}; ${c.deb.file} is ${short(c.deb.sha256)})`,
        )
        .join(', ')}` + `; publishing it as ${prefix}/${o.distribution} would collide in the pool${POOL_HINT}`,
    );
  }

  const result: AptlyPublishResult = {
    repoCreated: false,
    uploadDir: '',
    added: [],
    unchanged: cmp.present.map(describe),
    warnings: [],
    published: 'created',
    prefix,
    distribution: o.distribution,
    signed: !o.skipSigning,
    changes,
  };

  // 2. The changes, each recorded as it is made.
  if (!repoExists) {
    const created = await http.request('POST', '/api/repos', {
      Name: o.repo,
      DefaultDistribution: o.distribution,
      DefaultComponent: component,
    });
    if (created.status !== 201 && !(created.status === 400 && /already exists/i.test(created.text)))
      fail(`creating repo ${o.repo}`, created);
    result.repoCreated = created.status === 201;
    if (result.repoCreated) changes.push(`created local repo ${o.repo}`);
  }
  if (toUpload.length) await uploadAndAdd(o, repoPath, toUpload, result);

  const r = found
    ? await http.request('PUT', `/api/publish/${encodePrefix(prefix)}/${encodeURIComponent(o.distribution)}`, {
        Signing: signing(o),
        ForceOverwrite: !!o.forceReplace,
      })
    : await http.request('POST', `/api/publish/${encodePrefix(prefix)}`, {
        SourceKind: 'local',
        Sources: [{ Name: o.repo, Component: component }],
        Distribution: o.distribution,
        Signing: signing(o),
      });
  if (found && r.status !== 200) fail(`updating publication ${prefix}/${o.distribution}`, r);
  if (!found && r.status !== 201 && r.status !== 200) fail(`publishing ${o.repo} as ${prefix}/${o.distribution}`, r);
  result.published = found ? 'updated' : 'created';
  changes.push(`${result.published} publication ${prefix}/${o.distribution}`);
  return result;
}

/** Uploads into a fresh directory, adds it to the repo, and always removes the directory. */
async function uploadAndAdd(
  o: AptlyPublishOptions,
  repoPath: string,
  debs: AptlyDeb[],
  result: AptlyPublishResult,
): Promise<void> {
  const { http } = o;
  const uploadDir = `kiln-${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  result.uploadDir = uploadDir;
  try {
    const form = new FormData();
    for (const d of debs) {
      form.append(
        'file',
        await openAsBlob(d.file, { type: 'application/vnd.debian.binary-package' }),
        canonicalDebName(d.name, d.version, d.arch),
      );
    }
    const up = await http.request('POST', `/api/files/${uploadDir}`, form);
    if (up.status !== 200) fail(`uploading to ${uploadDir}`, up);

    const query = o.forceReplace ? '?forceReplace=1' : '';
    const add = await http.request('POST', `${repoPath}/file/${uploadDir}${query}`);
    if (add.status !== 200) fail(`adding ${uploadDir} to repo ${o.repo}`, add);
    const report = (add.body ?? {}) as {
      FailedFiles?: string[] | null;
      Report?: { Warnings?: string[] | null; Added?: string[] | null };
    };
    result.added = report.Report?.Added ?? [];
    result.warnings.push(...(report.Report?.Warnings ?? []));
    if (result.added.length)
      result.changes.push(`added to repo ${o.repo}: ${result.added.map((a) => a.replace(/ added$/, '')).join(', ')}`);
    const failed = report.FailedFiles ?? [];
    if (failed.length) {
      throw new AptlyError(
        `aptly: adding to repo ${o.repo} failed for ${failed.join(', ')}: ${result.warnings.join('; ') || 'no details'}` +
          ` (${add.method} ${add.url})`,
        add.status,
        add.text,
      );
    }
  } finally {
    const del = await http.request('DELETE', `/api/files/${uploadDir}`).catch(() => undefined);
    if (del && del.status !== 200 && del.status !== 404)
      result.warnings.push(`could not delete upload dir ${uploadDir}: HTTP ${del.status}`);
  }
}
