// `workflow:auto_cancel` and `workflow:rules:auto_cancel`: on_new_commit (conservative, interruptible, none) and
// on_job_failure (none, all), GitLab's values and message.
import type { AutoCancelSpec, OnJobFailure, OnNewCommit } from '../model.js';
import type { YNode } from '../yaml/node.js';
import { checkKeys, Problems, scalarText } from './check.js';

export const ON_NEW_COMMIT: readonly OnNewCommit[] = ['conservative', 'interruptible', 'none'];
export const ON_JOB_FAILURE: readonly OnJobFailure[] = ['none', 'all'];

export const DEFAULT_AUTO_CANCEL: Required<AutoCancelSpec> = { onNewCommit: 'conservative', onJobFailure: 'none' };

function readChoice<T extends string>(
  p: Problems,
  n: YNode,
  path: string[],
  what: string,
  values: readonly T[],
): T | undefined {
  const s = scalarText(n);
  if (s !== undefined && (values as readonly string[]).includes(s)) return s as T;
  p.add(n, path, `${what} must be one of: ${values.join(', ')}`);
  return undefined;
}

export function readAutoCancel(p: Problems, n: YNode, path: string[]): AutoCancelSpec {
  if (n.kind !== 'map') {
    p.add(n, path, 'auto cancel config should be a hash');
    return {};
  }
  checkKeys(p, n, path, ['on_new_commit', 'on_job_failure']);
  const out: AutoCancelSpec = {};
  const onNew = n.entries.get('on_new_commit')?.value;
  if (onNew) {
    const v = readChoice(p, onNew, [...path, 'on_new_commit'], 'auto cancel on new commit', ON_NEW_COMMIT);
    if (v) out.onNewCommit = v;
  }
  const onFail = n.entries.get('on_job_failure')?.value;
  if (onFail) {
    const v = readChoice(p, onFail, [...path, 'on_job_failure'], 'auto cancel on job failure', ON_JOB_FAILURE);
    if (v) out.onJobFailure = v;
  }
  return out;
}

/** workflow:auto_cancel with the matching workflow:rules entry's auto_cancel on top, key by key, then defaults. */
export function resolveAutoCancel(...layers: Array<AutoCancelSpec | undefined>): Required<AutoCancelSpec> {
  const out = { ...DEFAULT_AUTO_CANCEL };
  for (const l of layers) {
    if (l?.onNewCommit) out.onNewCommit = l.onNewCommit;
    if (l?.onJobFailure) out.onJobFailure = l.onJobFailure;
  }
  return out;
}
