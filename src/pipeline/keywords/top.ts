// Top-level keywords: which keys are jobs, `stages`, `workflow`.
import type { RuleSpec } from '../rules/types.js';
import type { YMap } from '../yaml/node.js';
import { checkKeys, flattenSeq, Problems, readString, readStrings } from './check.js';
import { readRules } from './rules.js';
import { readAutoCancel } from './auto-cancel.js';
import type { AutoCancelSpec } from '../model.js';

export const RESERVED_TOP_KEYS = [
  'image',
  'services',
  'stages',
  'types',
  'before_script',
  'after_script',
  'variables',
  'cache',
  'include',
  'workflow',
  'default',
];

export const DEFAULT_STAGES = ['build', 'test', 'deploy'];

export function isJobKey(key: string): boolean {
  return !RESERVED_TOP_KEYS.includes(key);
}

export function isHidden(key: string): boolean {
  return key.startsWith('.');
}

/** The stage list with `.pre` first and `.post` last. */
export function readStages(p: Problems, root: YMap): string[] {
  const e = root.entries.get('stages') ?? root.entries.get('types');
  let stages = DEFAULT_STAGES;
  if (e) {
    // Nested lists are flattened (GitLab's Stages entry accepts a nested array of strings, as `!reference` and
    // anchored lists produce, and reads it flattened).
    const v = e.value.kind === 'seq' ? { ...e.value, items: flattenSeq(e.value) } : e.value;
    const s = readStrings(p, v, [e.key], false);
    if (s) stages = s;
  }
  const seen = new Set<string>();
  const middle = stages.filter((s) => s !== '.pre' && s !== '.post' && !seen.has(s) && seen.add(s));
  return ['.pre', ...middle, '.post'];
}

export interface WorkflowSpec {
  name?: string;
  rules?: RuleSpec[];
  autoCancel?: AutoCancelSpec;
}

export function readWorkflow(p: Problems, root: YMap): WorkflowSpec {
  const e = root.entries.get('workflow');
  if (!e) return {};
  const w = e.value;
  if (w.kind !== 'map') {
    p.add(w, ['workflow'], 'should be a hash');
    return {};
  }
  checkKeys(p, w, ['workflow'], ['rules', 'name', 'auto_cancel']);
  const out: WorkflowSpec = {};
  const name = w.entries.get('name')?.value;
  if (name) out.name = readString(p, name, ['workflow', 'name']);
  const rules = w.entries.get('rules')?.value;
  if (rules) out.rules = readRules(p, rules, ['workflow', 'rules'], 'workflow');
  const autoCancel = w.entries.get('auto_cancel')?.value;
  if (autoCancel) out.autoCancel = readAutoCancel(p, autoCancel, ['workflow', 'auto_cancel']);
  return out;
}
