// The values of a file's inputs: the given arguments checked against `spec:inputs`, defaults filled in.
// GitLab's rules (Interpolation::Inputs and its typed inputs):
// - an argument the spec does not declare: "unknown input arguments: a, b";
// - an input without `default` and without a value (or with a null value): "required value has not been provided";
// - the default (when there is one) and then the value are checked: type (string / number / boolean / array),
//   `options` (string and number inputs only: the value must be one of them), `regex` (string inputs only, RE2,
//   unanchored match);
// - messages are prefixed with "`name` input: ".
import { compileRegex, RegexSyntaxError } from '../expr/regex.js';
import type { InputSpec, InputType } from './spec.js';

export type InputValue = string | number | boolean | unknown[] | null;

export interface CheckedInputs {
  values: Record<string, InputValue>;
  errors: string[];
}

export function checkInputs(specs: InputSpec[], args: Record<string, unknown>): CheckedInputs {
  const errors: string[] = [];
  const declared = new Set(specs.map((s) => s.name));
  const unknown = Object.keys(args).filter((k) => !declared.has(k));
  if (unknown.length) errors.push(`unknown input arguments: ${unknown.join(', ')}`);
  const values: Record<string, InputValue> = {};
  for (const spec of specs) {
    if (spec.type === undefined) {
      errors.push(`unknown input specification for \`${spec.name}\` (valid types: array, boolean, number, string)`);
      continue;
    }
    const given = Object.prototype.hasOwnProperty.call(args, spec.name) ? args[spec.name] : undefined;
    const value = given === undefined ? null : given;
    const problems = checkOne(spec, spec.type, value);
    for (const p of problems) errors.push(`\`${spec.name}\` input: ${p}`);
    if (problems.length === 0) values[spec.name] = (value === null ? (spec.default ?? null) : value) as InputValue;
  }
  return { values, errors };
}

function checkOne(spec: InputSpec, type: InputType, value: unknown): string[] {
  const out: string[] = [];
  if (!spec.hasDefault && value === null) return ['required value has not been provided'];
  // `default: null` makes an input optional without a value (docs: "Use default: null to have no default value").
  if (spec.hasDefault && spec.default !== null && spec.default !== undefined)
    validate(spec, type, spec.default, true, out);
  if (value !== null) validate(spec, type, value, false, out);
  return out;
}

function validate(spec: InputSpec, type: InputType, value: unknown, isDefault: boolean, out: string[]): void {
  const which = isDefault ? 'default' : 'provided';
  if (!hasType(type, value)) {
    out.push(`${which} value is not ${type === 'array' ? 'an array' : `a ${type}`}`);
  }
  if (spec.options) {
    if (type !== 'string' && type !== 'number') out.push('Options can only be used with string and number inputs');
    else if (value !== null && value !== false && !spec.options.some((o) => o === value)) {
      out.push(
        `\`${String(value)}\` cannot be used because it is not in the list of ${type === 'string' ? '' : 'the '}allowed options`,
      );
    }
  }
  if (spec.regex !== undefined) {
    if (type !== 'string') out.push('RegEx validation can only be used with string inputs');
    else if (typeof value === 'string') {
      const re = regexOf(spec.regex);
      if (re === undefined) out.push('invalid regular expression');
      else if (!re.test(value)) out.push(`${which} value does not match required RegEx pattern`);
    }
  }
}

function hasType(type: InputType, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
  }
}

const regexCache = new Map<string, { test(text: string): boolean } | undefined>();

/** GitLab compiles spec:inputs:regex with RE2 (UntrustedRegexp). */
function regexOf(pattern: string): { test(text: string): boolean } | undefined {
  if (!regexCache.has(pattern)) {
    try {
      regexCache.set(pattern, compileRegex(pattern, '', 're2'));
    } catch (err) {
      if (!(err instanceof RegexSyntaxError) && !(err instanceof SyntaxError)) throw err;
      regexCache.set(pattern, undefined);
    }
  }
  return regexCache.get(pattern);
}

/**
 * Command-line input values (`--input name=value`) are text; like GitLab's run-pipeline form, each is read as the
 * type its spec declares: number and boolean literals, arrays as JSON. Anything else stays a string (and is then
 * refused by the type check with GitLab's message).
 */
export function coerceCliValue(raw: string, type: InputType | undefined): unknown {
  if (type === 'number' && /^-?\d+(\.\d+)?$/.test(raw.trim())) return Number(raw);
  if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  if (type === 'array') {
    try {
      const v: unknown = JSON.parse(raw);
      if (Array.isArray(v)) return v;
    } catch {
      // not JSON: left as a string, reported as "provided value is not an array"
    }
  }
  return raw;
}
