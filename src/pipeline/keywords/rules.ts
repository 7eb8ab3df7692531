// Builds RuleSpec (rules:, workflow:rules, include:rules) and OnlyExceptSpec (only:/except:) from YAML, checking
// every key and the syntax of each `if:` expression.
import { ConfigError } from '../../errors.js';
import { compileRegex, ExpressionError, parseCached, RegexSyntaxError } from '../expr/index.js';
import type { When } from '../model.js';
import type { OnlyExceptSpec, RuleSpec } from '../rules/types.js';
import type { YNode } from '../yaml/node.js';
import { checkKeys, flattenSeq, Problems, readBool, readEnum, readInt, readString, readStrings } from './check.js';
import { readVariables } from './variables.js';
import { readAutoCancel } from './auto-cancel.js';
import { parseDuration } from './duration.js';
import { checkStartIn } from './value-checks.js';

export const WHEN_VALUES: readonly When[] = ['on_success', 'on_failure', 'always', 'manual', 'delayed', 'never'];

export type RuleFlavor = 'job' | 'workflow' | 'include';

const RULE_KEYS: Record<RuleFlavor, readonly string[]> = {
  job: ['if', 'changes', 'exists', 'when', 'start_in', 'allow_failure', 'variables', 'needs', 'interruptible'],
  // GitLab tolerates start_in, allow_failure and needs in workflow:rules ("should not be allowed but we can't
  // break this behavior now", `Entry::Workflow`); they have no effect there.
  workflow: ['if', 'changes', 'exists', 'when', 'start_in', 'allow_failure', 'variables', 'needs', 'auto_cancel'],
  include: ['if', 'changes', 'exists', 'when'],
};

/** Checks an expression's syntax; reports it at the node's position. */
export function checkExpression(p: Problems, n: YNode, path: string[], src: string): void {
  try {
    parseCached(src);
  } catch (err) {
    if (err instanceof ExpressionError) p.push(new ConfigError(`invalid expression: ${err.message}`, n.pos, path));
    else throw err;
  }
}

export function readRules(p: Problems, n: YNode, path: string[], flavor: RuleFlavor): RuleSpec[] {
  if (n.kind !== 'seq') {
    p.add(n, path, 'should be an array of hashes');
    return [];
  }
  const out: RuleSpec[] = [];
  flattenSeq(n).forEach((item, i) => {
    const rpath = [...path, String(i)];
    if (item.kind !== 'map') {
      p.add(item, rpath, 'rule should be a hash');
      return;
    }
    checkKeys(p, item, rpath, RULE_KEYS[flavor]);
    const rule: RuleSpec = { position: item.pos };
    for (const e of item.entries.values()) {
      const v = e.value;
      const kp = [...rpath, e.key];
      switch (e.key) {
        case 'if': {
          const s = readString(p, v, kp);
          if (s !== undefined) {
            rule.if = s;
            checkExpression(p, v, kp, s);
          }
          break;
        }
        case 'changes': {
          if (v.kind === 'map') {
            checkKeys(p, v, kp, ['paths', 'compare_to']);
            const paths = v.entries.get('paths')?.value;
            const cmp = v.entries.get('compare_to')?.value;
            rule.changes = { paths: paths ? (readStrings(p, paths, [...kp, 'paths'], false) ?? []) : [] };
            if (!paths) p.add(v, kp, 'changes:paths is required');
            if (cmp) rule.changes.compareTo = readString(p, cmp, [...kp, 'compare_to']);
          } else rule.changes = { paths: readStrings(p, v, kp, false) ?? [] };
          break;
        }
        case 'exists': {
          if (v.kind === 'map') {
            checkKeys(p, v, kp, ['paths', 'project', 'ref']);
            const paths = v.entries.get('paths')?.value;
            rule.exists = { paths: paths ? (readStrings(p, paths, [...kp, 'paths'], false) ?? []) : [] };
            const proj = v.entries.get('project')?.value;
            const ref = v.entries.get('ref')?.value;
            if (proj) rule.exists.project = readString(p, proj, [...kp, 'project']);
            if (ref) rule.exists.ref = readString(p, ref, [...kp, 'ref']);
          } else rule.exists = { paths: readStrings(p, v, kp, false) ?? [] };
          break;
        }
        case 'when':
          rule.when = readEnum(p, v, kp, flavor === 'job' ? WHEN_VALUES : ['always', 'never']);
          break;
        case 'start_in':
          rule.startIn = readString(p, v, kp);
          if (rule.startIn !== undefined) checkStartIn(p, v, kp, parseDuration(rule.startIn));
          break;
        case 'allow_failure': {
          if (v.kind === 'map') {
            checkKeys(p, v, kp, ['exit_codes']);
            const codes = v.entries.get('exit_codes')?.value;
            rule.allowFailure = { exitCodes: codes ? readExitCodes(p, codes, [...kp, 'exit_codes']) : [] };
          } else {
            const b = readBool(p, v, kp);
            if (b !== undefined) rule.allowFailure = b;
          }
          break;
        }
        case 'variables':
          rule.variables = readVariables(p, v, kp, false);
          break;
        case 'needs':
          if (v.kind !== 'seq') p.add(v, kp, 'should be an array');
          else rule.needs = v.items;
          break;
        case 'interruptible': {
          const b = readBool(p, v, kp);
          if (b !== undefined) rule.interruptible = b;
          break;
        }
        case 'auto_cancel':
          rule.autoCancel = readAutoCancel(p, v, kp);
          break;
        default:
          break;
      }
    }
    out.push(rule);
  });
  return out;
}

export function readExitCodes(p: Problems, n: YNode, path: string[]): number[] {
  const items = n.kind === 'seq' ? n.items : [n];
  const out: number[] = [];
  for (const it of items) {
    const v = readInt(p, it, path, 0, 255);
    if (v !== undefined) out.push(v);
  }
  return out;
}

const POLICY_KEYS = ['refs', 'variables', 'changes', 'kubernetes'];

/** only:/except: — an array of refs, or a hash {refs, variables, changes, kubernetes}. */
export function readOnlyExcept(p: Problems, n: YNode, path: string[]): OnlyExceptSpec | undefined {
  const spec: OnlyExceptSpec = { position: n.pos, refs: [], variables: [], changes: [] };
  if (n.kind === 'seq') {
    spec.refs = readStrings(p, n, path, false) ?? [];
    checkRefRegexes(p, n, path, spec.refs);
    return spec;
  }
  if (n.kind !== 'map') {
    p.add(n, path, 'should be an array of strings or regular expressions, or a hash');
    return undefined;
  }
  checkKeys(p, n, path, POLICY_KEYS);
  for (const e of n.entries.values()) {
    const kp = [...path, e.key];
    if (e.key === 'refs') {
      spec.refs = readStrings(p, e.value, kp) ?? [];
      checkRefRegexes(p, e.value, kp, spec.refs);
    } else if (e.key === 'variables') {
      spec.variables = readStrings(p, e.value, kp) ?? [];
      for (const v of spec.variables) checkExpression(p, e.value, kp, v);
    } else if (e.key === 'changes') {
      if (e.value.kind === 'map') {
        const paths = e.value.entries.get('paths')?.value;
        spec.changes = paths ? (readStrings(p, paths, [...kp, 'paths']) ?? []) : [];
      } else spec.changes = readStrings(p, e.value, kp) ?? [];
    } else if (e.key === 'kubernetes') {
      spec.kubernetes = readString(p, e.value, kp);
    }
  }
  return spec;
}

function checkRefRegexes(p: Problems, n: YNode, path: string[], refs: string[]): void {
  for (const ref of refs) {
    const at = ref.lastIndexOf('@');
    const pattern = at > 0 && ref.startsWith('/') && ref.lastIndexOf('/') < at ? ref.slice(0, at) : ref;
    const m = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
    if (!m) continue;
    try {
      compileRegex(m[1], m[2], 'ruby');
    } catch (err) {
      if (!(err instanceof RegexSyntaxError)) throw err;
      p.add(
        n,
        path,
        /^invalid regular expression/.test(err.message)
          ? err.message
          : `invalid regular expression ${pattern}: ${err.message}`,
      );
    }
  }
}
