// rules: evaluation. Rules are tried in order; the first rule whose clauses (if, changes, exists) all hold wins.
// A rule without clauses always matches. No match → the job is not created; `when: never` → not created either
// (the caller reads outcome.when).
import { ConfigError } from '../../errors.js';
import { anyMatch } from '../context/glob.js';
import { expandExisting } from '../variables/expand.js';
import { checkExpression } from './expression-check.js';
import type { FileContext, RuleOutcome, RuleSpec } from './types.js';

type Vars = Record<string, string | undefined>;

export function evaluateRules(rules: RuleSpec[], vars: Vars, files: FileContext): RuleOutcome {
  const lookup = (name: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined;
  const failed: string[] = [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    const why = ruleFails(rule, i, vars, lookup, files);
    if (why === undefined) {
      const clauses = describeClauses(rule);
      const whenText = rule.when ? ` (when: ${rule.when})` : '';
      return {
        matched: true,
        index: i,
        rule,
        when: rule.when,
        explanation: `rules[${i}] matched${clauses ? ` ${clauses}` : ''}${whenText}`,
      };
    }
    failed.push(`rules[${i}]: ${why}`);
  }
  return {
    matched: false,
    explanation: rules.length === 0 ? 'rules: empty list' : `no rule matched (${failed.join('; ')})`,
  };
}

function ruleFails(
  rule: RuleSpec,
  i: number,
  vars: Vars,
  lookup: (n: string) => string | undefined,
  files: FileContext,
): string | undefined {
  if (rule.if !== undefined && !checkExpression(rule.if, vars, rule.position, ['rules', String(i), 'if'])) {
    return `if \`${rule.if}\` is false`;
  }
  if (rule.changes && !changesHold(rule, i, lookup, files)) {
    return `changes ${JSON.stringify(rule.changes.paths)} not matched`;
  }
  if (rule.exists && !existsHold(rule, lookup, files)) {
    return `exists ${JSON.stringify(rule.exists.paths)} found nothing`;
  }
  return undefined;
}

function changesHold(
  rule: RuleSpec,
  i: number,
  lookup: (n: string) => string | undefined,
  files: FileContext,
): boolean {
  const spec = rule.changes!;
  const paths = spec.paths.map((p) => expandExisting(p, lookup)).filter((p) => p !== '');
  let changed = files.changedFiles;
  if (spec.compareTo !== undefined && files.changedSince) {
    const ref = expandExisting(spec.compareTo, lookup);
    try {
      changed = files.changedSince(ref);
    } catch (e) {
      throw new ConfigError((e as Error).message, rule.position, ['rules', String(i), 'changes', 'compare_to']);
    }
  }
  if (changed === 'all') return true;
  return anyMatch(paths, changed);
}

function existsHold(rule: RuleSpec, lookup: (n: string) => string | undefined, files: FileContext): boolean {
  const spec = rule.exists!;
  // Files of another project cannot be checked offline: such a clause is false.
  if (spec.project !== undefined) return false;
  return spec.paths.map((p) => expandExisting(p, lookup)).some((p) => p !== '' && files.exists(p));
}

function describeClauses(rule: RuleSpec): string {
  const parts: string[] = [];
  if (rule.if !== undefined) parts.push(`if: ${rule.if}`);
  if (rule.changes) parts.push(`changes: ${rule.changes.paths.join(', ')}`);
  if (rule.exists) parts.push(`exists: ${rule.exists.paths.join(', ')}`);
  return parts.join('; ');
}
