// Interpolation functions of `$[[ inputs.x | f1 | f2 ]]` (GitLab: at most 3, applied in order, string values only):
// - expand_vars: expands the CI/CD variables usable in `include` ($NAME, ${NAME}, %NAME%); unknown names stay as
//   written, masked variables are an error, no nested expansion;
// - truncate(offset, length): `length` characters from `offset` (characters, not bytes; past the end: "");
// - posix_escape: backslash before every character that is not [A-Za-z0-9_-.,:+/@] (a newline becomes '\n' in
//   single quotes, an empty string ''), like Ruby's Shellwords.shellescape.
export const MAX_FUNCTIONS = 3;

export interface FunctionEnv {
  /** Variables usable in includes (undefined: not defined). */
  variable(name: string): string | undefined;
  /** Names of masked variables (expand_vars refuses them). */
  masked?: ReadonlySet<string>;
}

type Fn = (value: unknown, env: FunctionEnv) => { value?: unknown; error?: string };

const TRUNCATE = /^truncate\(\s*(\d+)\s*,\s*(\d+)\s*\)?$/;

function onlyStrings(name: string, value: unknown): string | undefined {
  return typeof value === 'string'
    ? undefined
    : `error in \`${name}\` function: invalid input type: ${name} can only be used with string inputs`;
}

export function findFunction(expression: string): Fn | undefined {
  if (expression === 'expand_vars') {
    return (value, env) => {
      const bad = onlyStrings('expand_vars', value);
      if (bad) return { error: bad };
      let masked = false;
      const out = (value as string).replace(
        /\$([a-zA-Z_][a-zA-Z0-9_]*)|\$\{([a-zA-Z_][a-zA-Z0-9_]*)\}|%([a-zA-Z_][a-zA-Z0-9_]*)%/g,
        (raw, a?: string, b?: string, c?: string) => {
          const name = (a ?? b ?? c)!;
          const v = env.variable(name);
          if (v === undefined) return raw;
          if (env.masked?.has(name)) masked = true;
          return v;
        },
      );
      if (masked)
        return {
          error: 'error in `expand_vars` function: variable expansion error: masked variables cannot be expanded',
        };
      return { value: out };
    };
  }
  if (expression === 'posix_escape') {
    return (value) => {
      const bad = onlyStrings('posix_escape', value);
      if (bad) return { error: bad };
      return { value: posixEscape(value as string) };
    };
  }
  const t = TRUNCATE.exec(expression);
  if (t) {
    const offset = Number(t[1]);
    const length = Number(t[2]);
    return (value) => {
      const bad = onlyStrings('truncate', value);
      if (bad) return { error: bad };
      const chars = Array.from(value as string);
      return { value: offset > chars.length ? '' : chars.slice(offset, offset + length).join('') };
    };
  }
  return undefined;
}

export function posixEscape(s: string): string {
  if (s === '') return "''";
  return s.replace(/[^A-Za-z0-9_\-.,:+/@\n]/g, '\\$&').replace(/\n/g, "'\n'");
}
