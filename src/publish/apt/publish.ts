// `kiln publish apt`: adds .deb files to a signed apt repository, and `refresh`: re-signs with a new
// Valid-Until without changing any index. See snapshot.ts for how a publish becomes visible atomically.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { DuplicatePackageError } from '../errors.js';
import { compareVersions } from '../deb/version.js';
import { stageDebs, type IncomingDeb } from './incoming.js';
import { commitToPool, createStaging, existingPoolHash } from './pool.js';
import { lockRepo } from './lock.js';
import { packageKey, poolPath, sourceName, type PoolPackage } from './packages-index.js';
import { indexFile, type IndexFile, type ParsedRelease } from './release.js';
import { readSuiteState, referencedPoolFiles } from './state.js';
import { ensureCodenameLink, pruneSnapshots, swapSuite, writeSnapshot } from './snapshot.js';
import { buildIndexes, buildRelease, hostDebArch } from './metadata.js';
import { loadSigner, type Signer, type SigningKeySource } from '../sign/openpgp.js';
import type { ExpirationPolicy } from './policy.js';

export interface AptRepoOptions {
  repo: string;
  suite: string;
  codename?: string;
  origin?: string;
  label?: string;
  description?: string;
  /** The expiration policy; without one, the suite keeps the validity period of its previous Release. */
  policy?: ExpirationPolicy;
  /** Publish without Valid-Until even if the previous Release had one. */
  noValidUntil?: boolean;
  signing?: SigningKeySource;
  unsigned?: boolean;
  lockTimeoutMs?: number;
  /** Publish as of this time (default now). */
  now?: Date;
  /** Called once when the publish has to wait for another one's lock. */
  onLockWait?: (holder: string) => void;
  /** Also write the signing key's public half here (relative to the repository; `.asc`: armored, else binary). */
  exportKey?: string;
}

export interface AptPublishOptions extends AptRepoOptions {
  component?: string;
  architectures?: string[];
  keep?: number;
  force?: boolean;
  debs: string[];
}

export interface AptPublishResult {
  suite: string;
  /** Where --export-key wrote the public key. */
  publicKey?: string;
  added: string[];
  unchanged: string[];
  replaced: string[];
  removed: string[];
  date: Date;
  validUntil?: Date;
  /** Where the validity period came from (--valid-for, a policy file, the previous Release). */
  validitySource?: string;
  signedBy?: string;
  snapshot: string;
  warnings: string[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
// Debian architecture names (dpkg-architecture -L): lowercase letters, digits and hyphens, e.g. amd64, arm64,
// armhf, kfreebsd-amd64, all. They become directory names (binary-<arch>) and a Release field.
const ARCH = /^[a-z0-9][a-z0-9-]*$/;

function checkName(flag: string, v: string): void {
  if (!NAME.test(v)) throw new UsageError(`${flag} ${JSON.stringify(v)}: use letters, digits and . _ + - only`);
}

function checkArch(v: string): void {
  if (!ARCH.test(v)) {
    throw new UsageError(
      `--architectures ${JSON.stringify(v)}: not a Debian architecture name (lowercase letters, digits and -, e.g. amd64, arm64)`,
    );
  }
}

async function prepareSigner(o: AptRepoOptions, now: Date): Promise<Signer | undefined> {
  if (o.unsigned) return undefined;
  return loadSigner(o.signing ?? {}, now);
}

/**
 * Valid-Until for this publish. The policy given wins; without one the suite keeps the validity period its
 * previous Release had (Valid-Until − Date, read back from the published Release: the repository's own state),
 * so a routine re-sign or add never silently drops the protection against freeze attacks. --no-valid-until drops it.
 */
function validity(
  o: AptRepoOptions,
  previous: ParsedRelease | undefined,
  now: Date,
  signer: Signer | undefined,
  warnings: string[],
): { validUntil?: Date; source?: string } {
  let seconds: number | undefined;
  let source: string | undefined;
  if (o.policy) {
    seconds = o.policy.validForSeconds;
    source = o.policy.source;
  } else if (!o.noValidUntil && previous?.date && previous.validUntil && previous.validUntil > previous.date) {
    seconds = Math.round((previous.validUntil.getTime() - previous.date.getTime()) / 1000);
    source = `the previous Release (valid for ${formatSeconds(seconds)}; --no-valid-until drops it)`;
  }
  if (seconds === undefined) return {};
  const validUntil = new Date(now.getTime() + seconds * 1000);
  if (signer?.expires && signer.expires < validUntil) {
    warnings.push(
      `signing key ${signer.fingerprint} expires ${signer.expires.toISOString()}, before Valid-Until ${validUntil.toISOString()}`,
    );
  }
  return { validUntil, source };
}

function formatSeconds(s: number): string {
  for (const [unit, n] of [
    ['w', 604800],
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (s % n === 0) return `${s / n}${unit}`;
  return `${s}s`;
}

function describe(p: { name: string; version: string; arch: string }): string {
  return `${p.name} ${p.version} (${p.arch})`;
}

export async function publishApt(o: AptPublishOptions): Promise<AptPublishResult> {
  const now = o.now ?? new Date();
  const component = o.component ?? 'main';
  checkName('--suite', o.suite);
  checkName('--component', component);
  if (o.codename) checkName('--codename', o.codename);
  for (const a of o.architectures ?? []) checkArch(a);
  if (o.keep !== undefined && (!Number.isInteger(o.keep) || o.keep < 1))
    throw new UsageError('--keep must be a whole number >= 1');
  if (o.debs.length === 0) throw new UsageError('no .deb files given');
  const warnings: string[] = [];
  const signer = await prepareSigner(o, now);

  await mkdir(o.repo, { recursive: true });
  const staging = await createStaging(o.repo);
  try {
    const result = await publishStaged(o, component, now, signer, warnings, await stageDebs(o.debs, staging));
    await exportPublicKey(o, signer, result);
    return result;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Writes the public key where --export-key says (atomically), for clients' signed-by. */
async function exportPublicKey(o: AptRepoOptions, signer: Signer | undefined, result: AptPublishResult): Promise<void> {
  if (!o.exportKey) return;
  if (!signer) throw new UsageError('--export-key needs a signing key (it cannot be used with --unsigned)');
  const path = resolve(o.repo, o.exportKey);
  await writeFileAtomic(path, signer.publicKey(path.endsWith('.asc') ? 'armored' : 'binary'));
  result.publicKey = path;
}

async function publishStaged(
  o: AptPublishOptions,
  component: string,
  now: Date,
  signer: Signer | undefined,
  warnings: string[],
  incoming: IncomingDeb[],
): Promise<AptPublishResult> {
  const byKey = new Map<string, IncomingDeb>();
  for (const d of incoming) {
    const prev = byKey.get(packageKey(d));
    if (prev && prev.sha256 !== d.sha256) {
      throw new DuplicatePackageError(`${d.file} and ${prev.file} are both ${describe(d)} with different content`);
    }
    byKey.set(packageKey(d), d);
  }

  const lock = await lockRepo(o.repo, o.lockTimeoutMs ?? 60_000, o.onLockWait);
  try {
    const state = await readSuiteState(o.repo, o.suite);
    const comps = state.components;
    if (!comps.has(component)) comps.set(component, new Map());
    const target = comps.get(component)!;
    const result: AptPublishResult = {
      suite: o.suite,
      added: [],
      unchanged: [],
      replaced: [],
      removed: [],
      date: now,
      snapshot: '',
      warnings,
    };

    const toWrite: { path: string; staged: string }[] = [];
    for (const d of byKey.values()) {
      const key = packageKey(d);
      const filename = poolPath(component, d.control);
      const existing = target.get(key);
      if (existing && existing.sha256 === d.sha256) {
        result.unchanged.push(describe(d));
        continue;
      }
      if (existing && !o.force) {
        throw new DuplicatePackageError(
          `${d.file}: ${describe(d)} is already in suite ${o.suite}/${component} with different ` +
            `content (sha256 ${existing.sha256.slice(0, 12)}…, new ${d.sha256.slice(0, 12)}…); bump the version or pass --force to replace it`,
        );
      }
      const onDisk = await existingPoolHash(join(o.repo, filename), d.size);
      if (onDisk !== 'absent' && onDisk !== d.sha256 && !o.force && !existing) {
        throw new DuplicatePackageError(
          `${d.file}: ${filename} already exists in the pool with different content ` +
            `(published in another suite?); bump the version or pass --force to replace it`,
        );
      }
      if (onDisk !== d.sha256) toWrite.push({ path: join(o.repo, filename), staged: d.staged });
      (existing ? result.replaced : result.added).push(describe(d));
      target.set(key, {
        name: d.name,
        version: d.version,
        arch: d.arch,
        source: sourceName(d.control),
        component,
        filename,
        size: d.size,
        sha256: d.sha256,
        control: d.control,
      });
    }
    await commitToPool(toWrite);

    const pruned: PoolPackage[] = o.keep ? pruneVersions(target, o.keep) : [];
    result.removed = pruned.map(describe);

    const arches = new Set<string>([...(state.release?.architectures ?? []), ...(o.architectures ?? [])]);
    for (const pkgs of comps.values()) for (const p of pkgs.values()) if (p.arch !== 'all') arches.add(p.arch);
    if (arches.size === 0) arches.add(hostDebArch());
    const architectures = [...arches].sort();
    const componentLists = new Map(
      [...comps].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, m]) => [c, [...m.values()]]),
    );
    const indexes = await buildIndexes(componentLists, architectures);

    const { validUntil, source } = validity(o, state.release, now, signer, warnings);
    result.validUntil = validUntil;
    result.validitySource = source;
    const signed = await buildRelease(
      {
        origin: o.origin ?? state.release?.origin,
        label: o.label ?? state.release?.label,
        suite: o.suite,
        codename: o.codename ?? state.release?.codename ?? o.suite,
        date: now,
        validUntil,
        architectures,
        components: [...componentLists.keys()],
        description: o.description ?? state.release?.description,
      },
      indexes,
      signer,
    );
    result.signedBy = signer?.fingerprint;

    const dir = await writeSnapshot(o.repo, o.suite, {
      indexes,
      ...signed,
      previous: state.dir && state.release ? { dir: state.dir, sha256: state.release.sha256 } : undefined,
    });
    await swapSuite(o.repo, o.suite, dir);
    await pruneSnapshots(o.repo, o.suite, [dir, state.dir]);
    result.snapshot = dir;
    const linkWarning = await ensureCodenameLink(o.repo, o.suite, o.codename ?? state.release?.codename ?? o.suite);
    if (linkWarning) warnings.push(linkWarning);

    if (pruned.length) {
      const still = await referencedPoolFiles(o.repo);
      for (const p of pruned) if (!still.has(p.filename)) await rm(join(o.repo, p.filename), { force: true });
    }
    return result;
  } finally {
    await lock.release();
  }
}

/** Keeps the newest `keep` versions of each name+arch; returns the dropped entries. */
function pruneVersions(pkgs: Map<string, PoolPackage>, keep: number): PoolPackage[] {
  const groups = new Map<string, PoolPackage[]>();
  for (const p of pkgs.values()) {
    const g = groups.get(`${p.name} ${p.arch}`) ?? [];
    g.push(p);
    groups.set(`${p.name} ${p.arch}`, g);
  }
  const dropped: PoolPackage[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => compareVersions(b.version, a.version));
    for (const p of g.slice(keep)) {
      pkgs.delete(packageKey(p));
      dropped.push(p);
    }
  }
  return dropped;
}

/** Re-signs the suite with a fresh Date/Valid-Until; every index file stays byte-identical. */
export async function refreshApt(o: AptRepoOptions): Promise<AptPublishResult> {
  const now = o.now ?? new Date();
  checkName('--suite', o.suite);
  if (o.codename) checkName('--codename', o.codename);
  const warnings: string[] = [];
  const signer = await prepareSigner(o, now);
  const lock = await lockRepo(o.repo, o.lockTimeoutMs ?? 60_000, o.onLockWait);
  try {
    const state = await readSuiteState(o.repo, o.suite);
    if (!state.dir || !state.release)
      throw new UsageError(`${o.repo}: suite ${o.suite} does not exist yet; publish packages first`);
    const indexes: IndexFile[] = [];
    for (const path of state.release.sha256.keys()) {
      indexes.push(indexFile(path, await readFile(join(state.dir, path))));
    }
    const r = state.release;
    const { validUntil, source } = validity(o, r, now, signer, warnings);
    const signed = await buildRelease(
      {
        origin: o.origin ?? r.origin,
        label: o.label ?? r.label,
        suite: o.suite,
        codename: o.codename ?? r.codename ?? o.suite,
        date: now,
        validUntil,
        architectures: r.architectures,
        components: r.components,
        description: o.description ?? r.description,
      },
      indexes,
      signer,
    );
    const dir = await writeSnapshot(o.repo, o.suite, {
      indexes,
      ...signed,
      previous: { dir: state.dir, sha256: r.sha256 },
    });
    await swapSuite(o.repo, o.suite, dir);
    await pruneSnapshots(o.repo, o.suite, [dir, state.dir]);
    const linkWarning = await ensureCodenameLink(o.repo, o.suite, o.codename ?? r.codename ?? o.suite);
    if (linkWarning) warnings.push(linkWarning);
    const result: AptPublishResult = {
      suite: o.suite,
      added: [],
      unchanged: [],
      replaced: [],
      removed: [],
      date: now,
      validUntil,
      validitySource: source,
      signedBy: signer?.fingerprint,
      snapshot: dir,
      warnings,
    };
    await exportPublicKey(o, signer, result);
    return result;
  } finally {
    await lock.release();
  }
}
