// Evaluation with GitLab's semantics. Values follow Ruby: undefined variables are nil; && and || return one of
// their operands (nil and false are falsy, every string — even "" — is truthy); the statement is true when the
// final value is "present" (not nil/false, not a blank string).
import type { Expr } from './ast.js';
import { compileRe2, type Re2Regex } from './re2.js';

type Value = string | null | boolean | Re2Regex;
type Vars = Record<string, string | undefined>;

const PATTERN_STRING = /^\/(.*)\/([ismU]*)$/s;

function truthy(v: Value): boolean {
  return v !== null && v !== false;
}

export function isPresent(v: Value): boolean {
  if (v === null || v === false) return false;
  if (typeof v === 'string') return v.trim() !== '';
  return true;
}

/** A string used as a pattern (from a variable or literal) is compiled when it has the /re/flags form. */
function asPattern(v: Value): Re2Regex | string | null {
  if (v === null || typeof v === 'boolean') return null;
  if (typeof v !== 'string') return v;
  const m = PATTERN_STRING.exec(v);
  if (m && m[1] !== '') {
    try {
      return compileRe2(m[1].replace(/\\\//g, '/'), m[2]);
    } catch {
      return v;
    }
  }
  return v;
}

function matches(textValue: Value, patternValue: Value): boolean | null {
  if (!truthy(patternValue)) return null;
  const text = typeof textValue === 'string' ? textValue : '';
  const p = asPattern(patternValue);
  if (p === null) return false;
  if (typeof p === 'string') return p.includes(text); // GitLab falls back to String#scan with the text
  return p.test(text);
}

function evalValue(e: Expr, vars: Vars): Value {
  switch (e.kind) {
    case 'var': {
      const v = Object.prototype.hasOwnProperty.call(vars, e.name) ? vars[e.name] : undefined;
      return v === undefined ? null : v;
    }
    case 'string':
      return e.value;
    case 'null':
      return null;
    case 'regex':
      return e.regex;
    case 'and': {
      const l = evalValue(e.left, vars);
      return truthy(l) ? evalValue(e.right, vars) : l;
    }
    case 'or': {
      const l = evalValue(e.left, vars);
      return truthy(l) ? l : evalValue(e.right, vars);
    }
    case 'compare': {
      const l = evalValue(e.left, vars);
      const r = evalValue(e.right, vars);
      switch (e.op) {
        case '==':
          return same(l, r);
        case '!=':
          return !same(l, r);
        case '=~':
          return matches(l, r) ?? false;
        case '!~': {
          const m = matches(l, r);
          return m === null ? true : !m;
        }
      }
    }
  }
}

function same(a: Value, b: Value): boolean {
  if (isPattern(a) || isPattern(b)) {
    return isPattern(a) && isPattern(b) && a.source === b.source && a.flags === b.flags;
  }
  return a === b;
}

function isPattern(v: Value): v is Re2Regex {
  return v !== null && typeof v === 'object';
}

export function evaluateTree(e: Expr, vars: Vars): boolean {
  return isPresent(evalValue(e, vars));
}
