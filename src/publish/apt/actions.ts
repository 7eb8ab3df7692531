// Turns `kiln publish apt` flags into repository options and formats the result for people.
import { UsageError } from '../../errors.js';
import { policyFromFile, policyFromFlag, type ExpirationPolicy } from './policy.js';
import { publishApt, refreshApt, type AptPublishResult, type AptRepoOptions } from './publish.js';

export interface AptFlags {
  repo: string;
  suite: string;
  codename?: string;
  component?: string;
  origin?: string;
  label?: string;
  description?: string;
  architectures?: string;
  validFor?: string;
  policy?: string;
  /** commander's --no-valid-until: false when given. */
  validUntil?: boolean;
  signKey?: string;
  keyEnv?: string;
  passphraseEnv?: string;
  unsigned?: boolean;
  keep?: string;
  force?: boolean;
  lockTimeout?: string;
  date?: string;
  exportKey?: string;
}

/** Release fields are one line each: a newline would let a value add fields (a second Valid-Until, ...). */
function oneLine(flag: string, v: string | undefined): void {
  if (v !== undefined && /[\r\n\0]/.test(v))
    throw new UsageError(`${flag}: the value must be one line (it contains a line break or NUL)`);
}

/** The variable Bottlerocket's pubsys reads its repo-expirations.toml path from (`twoliter make repo`). */
export const POLICY_ENV = 'PUBLISH_EXPIRATION_POLICY_PATH';

async function repoOptions(f: AptFlags, env: NodeJS.ProcessEnv = process.env): Promise<AptRepoOptions> {
  for (const [flag, v] of [
    ['--origin', f.origin],
    ['--label', f.label],
    ['--description', f.description],
    ['--codename', f.codename],
    ['--suite', f.suite],
  ] as const)
    oneLine(flag, v);
  if (f.validFor && f.policy) throw new UsageError('use either --valid-for or --policy, not both');
  const noValidUntil = f.validUntil === false;
  if (noValidUntil && (f.validFor || f.policy))
    throw new UsageError('--no-valid-until cannot be combined with --valid-for or --policy');
  let policy: ExpirationPolicy | undefined;
  if (f.validFor) policy = policyFromFlag(f.validFor);
  else if (f.policy) policy = await policyFromFile(f.policy);
  else if (!noValidUntil && env[POLICY_ENV]) policy = await policyFromFile(env[POLICY_ENV]!, `$${POLICY_ENV}`);
  let now: Date | undefined;
  if (f.date) {
    now = new Date(f.date);
    if (Number.isNaN(now.getTime())) throw new UsageError(`--date "${f.date}": not a date (use ISO 8601)`);
  }
  const lockTimeout = f.lockTimeout === undefined ? 60 : Number(f.lockTimeout);
  if (!Number.isFinite(lockTimeout) || lockTimeout < 0)
    throw new UsageError('--lock-timeout must be a number of seconds >= 0');
  if (f.unsigned && f.signKey) throw new UsageError('use either --sign-key or --unsigned, not both');
  if (f.unsigned && f.exportKey)
    throw new UsageError('--export-key needs a signing key (it cannot be used with --unsigned)');
  return {
    repo: f.repo,
    suite: f.suite,
    codename: f.codename,
    origin: f.origin,
    label: f.label,
    description: f.description,
    policy,
    noValidUntil,
    unsigned: f.unsigned,
    now,
    lockTimeoutMs: lockTimeout * 1000,
    onLockWait: (holder) => process.stderr.write(`kiln: waiting for the repository lock held by ${holder}\n`),
    signing: { file: f.signKey, keyEnv: f.keyEnv, passphraseEnv: f.passphraseEnv },
    exportKey: f.exportKey,
  };
}

export async function runPublishApt(debs: string[], f: AptFlags): Promise<AptPublishResult> {
  const base = await repoOptions(f);
  const keep = f.keep === undefined ? undefined : Number(f.keep);
  return publishApt({
    ...base,
    debs,
    component: f.component,
    force: f.force,
    keep,
    architectures: f.architectures?.split(/[\s,]+/).filter(Boolean),
  });
}

export async function runRefreshApt(f: AptFlags): Promise<AptPublishResult> {
  return refreshApt(await repoOptions(f));
}

export function formatResult(r: AptPublishResult): string {
  const lines: string[] = [];
  for (const a of r.added) lines.push(`added     ${a}`);
  for (const a of r.replaced) lines.push(`replaced  ${a}`);
  for (const a of r.unchanged) lines.push(`unchanged ${a}`);
  for (const a of r.removed) lines.push(`removed   ${a}`);
  lines.push(
    `suite ${r.suite}: Date ${r.date.toISOString()}` +
      (r.validUntil ? `, Valid-Until ${r.validUntil.toISOString()} (from ${r.validitySource})` : ', no Valid-Until') +
      (r.signedBy ? `, signed by ${r.signedBy}` : ', UNSIGNED'),
  );
  if (r.publicKey) lines.push(`public key written to ${r.publicKey}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}
