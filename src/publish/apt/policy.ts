// How long published metadata stays valid. Either `--valid-for 14d` or a policy file with Bottlerocket's
// repo-expirations.toml fields (TOML, or JSON when the file ends in .json):
//
//   snapshot_expiration = '2 weeks'
//   targets_expiration = '1 week'
//   timestamp_expiration = '3 days'
//
// apt has a single signed expiry (Release's Valid-Until) covering what TUF splits into three roles: the
// timestamp (the signed Release itself), the snapshot (index hashes) and the targets (package hashes). So
// Valid-Until = Date + the shortest of the three: no piece of metadata outlives its own policy.
import { readFile } from 'node:fs/promises';
import { PolicyError } from '../errors.js';
import { UsageError } from '../../errors.js';
import { parseDuration as parseGitLabDuration } from '../../pipeline/keywords/duration.js';

export interface ExpirationPolicy {
  /** Seconds from the publish Date until Valid-Until. */
  validForSeconds: number;
  /** Where the value came from, for messages. */
  source: string;
  roles?: { snapshot: number; targets: number; timestamp: number };
}

/**
 * Parses "14d", "12h", "2 weeks", "1 week 3 days", "90m" with GitLab's duration words (keywords/duration.ts).
 * Returns seconds, or undefined: a policy needs a unit (a bare number is a mistake here) and a positive length.
 */
export function parseDuration(text: string): number | undefined {
  if (!/[a-z]/i.test(text)) return undefined;
  const seconds = parseGitLabDuration(text);
  return seconds !== undefined && seconds > 0 ? seconds : undefined;
}

export function policyFromFlag(validFor: string): ExpirationPolicy {
  const secs = parseDuration(validFor);
  if (secs === undefined)
    throw new UsageError(`--valid-for "${validFor}": expected a duration like 14d, 12h, 2w or "2 weeks"`);
  return { validForSeconds: secs, source: `--valid-for ${validFor}` };
}

const ROLES = ['snapshot_expiration', 'targets_expiration', 'timestamp_expiration'] as const;

export async function policyFromFile(file: string, from = '--policy'): Promise<ExpirationPolicy> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`${from} ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  });
  const json = file.endsWith('.json');
  let doc: Record<string, unknown>;
  try {
    if (json) doc = JSON.parse(text) as Record<string, unknown>;
    else doc = (await import('smol-toml')).parse(text) as Record<string, unknown>;
  } catch (e) {
    const err = e as Error & { line?: number; column?: number };
    const pos = /at position (\d+)/.exec(err.message);
    const at = err.line
      ? { line: err.line, col: err.column ?? 1 }
      : pos
        ? offsetToPosition(text, Number(pos[1]))
        : { line: 1, col: 1 };
    throw new PolicyError(`cannot parse: ${err.message.split('\n')[0]}`, file, undefined, at);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new PolicyError('expected a table of fields', file);
  const at = (k: string) => keyPosition(text, k, json);
  for (const k of Object.keys(doc)) {
    if (!(ROLES as readonly string[]).includes(k))
      throw new PolicyError(`unknown field (expected ${ROLES.join(', ')})`, file, k, at(k));
  }
  const secs: Record<string, number> = {};
  for (const role of ROLES) {
    const v = doc[role];
    if (v === undefined)
      throw new PolicyError('required field is missing', file, role, { line: text.split('\n').length, col: 1 });
    const n = typeof v === 'string' ? parseDuration(v) : undefined;
    if (n === undefined)
      throw new PolicyError(`"${String(v)}" is not a duration like '2 weeks' or '3 days'`, file, role, at(role));
    secs[role] = n;
  }
  const roles = {
    snapshot: secs.snapshot_expiration,
    targets: secs.targets_expiration,
    timestamp: secs.timestamp_expiration,
  };
  return { validForSeconds: Math.min(roles.snapshot, roles.targets, roles.timestamp), source: file, roles };
}

function offsetToPosition(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: before[before.length - 1].length + 1 };
}

/** Where a top-level key is written (`key =` in TOML, `"key":` in JSON); line 1 col 1 if not found. */
function keyPosition(text: string, key: string, json: boolean): { line: number; col: number } {
  const esc = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = json ? new RegExp(`"${esc}"\\s*:`) : new RegExp(`^[ \\t]*(?:${esc}|"${esc}"|'${esc}')[ \\t]*=`, 'm');
  const m = re.exec(text);
  if (!m) return { line: 1, col: 1 };
  const lead = json ? 0 : m[0].length - m[0].trimStart().length;
  return offsetToPosition(text, m.index + lead);
}
