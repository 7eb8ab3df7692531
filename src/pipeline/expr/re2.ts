// Regular expressions that GitLab evaluates with RE2 (rules:if and only/except:variables `=~`/`!~`, the RE2 try
// for only/except refs; reusable for spec:inputs:regex). Matching is done by re2js, a port of RE2, so it takes
// time linear in the text whatever the pattern: `/^(\w+\s?)*$/` on a long commit message ending in "!" cannot
// hang kiln (a backtracking engine such as JavaScript's RegExp takes exponential time on it).
//
// GitLab's Gitlab::UntrustedRegexp::RubySyntax turns `/body/flags` into RE2 by prepending the flags as an inline
// group, `(?flags)body`, and compiles it without multi-line mode; whatever RE2 refuses is an invalid regular
// expression. Flags: i (case-insensitive), m (^/$ at line boundaries), s (. matches \n), U (ungreedy).
//
// The engine is loaded on the first compile, so commands whose pipeline has no regex never pay for it.
import { createRequire } from 'node:module';

type Re2js = typeof import('re2js');

/** A pattern rejected by the regex engine; `offset` is the character offset of the problem in the body. */
export class RegexSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

/** A compiled RE2 pattern. `test` searches anywhere in the text (unanchored), in linear time. */
export interface Re2Regex {
  /** The body as written between the slashes. */
  readonly source: string;
  readonly flags: string;
  test(text: string): boolean;
}

const FLAGS = /^[imsU]*$/;

let engine: Re2js | undefined;

function loadEngine(): Re2js {
  if (engine) return engine;
  // In the bundle (dist/kiln.cjs, CommonJS) esbuild inlines re2js at this require call, evaluated only when
  // reached and covered by the V8 code cache; from the TypeScript sources (ES modules) there is no `require`.
  engine = (typeof require === 'function' ? require('re2js') : createRequire(import.meta.url)('re2js')) as Re2js;
  return engine;
}

/** Why RE2 refuses some constructs that other engines accept: said next to RE2's own message. */
const HINTS: [RegExp, string][] = [
  [/^\(\?<?[=!]/, 'lookaround assertions are not supported by RE2'],
  [/^\\[1-9]/, 'backreferences are not supported by RE2'],
  [/^\\Z/, 'RE2 has no \\Z; use \\z (end of text) or $'],
  [/^(\+\+|\*\+|\?\+|\}\+)/, 'possessive quantifiers are not supported by RE2'],
];

const cache = new Map<string, Re2Regex>();

/**
 * Compiles `body` (the text between the slashes, `\/` already unescaped) with GitLab `flags` (i, m, s, U).
 * Throws RegexSyntaxError with RE2's reason and the offset in `body`. Compiled patterns are remembered: a rule
 * inherited through `extends` is compiled once, not once per job.
 */
export function compileRe2(body: string, flags = ''): Re2Regex {
  if (!FLAGS.test(flags))
    throw new RegexSyntaxError(`unsupported regular expression flags "${flags}" (RE2: i, m, s, U)`, 0);
  const key = `${flags}/${body}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const { RE2JS, RE2JSException } = loadEngine();
  const prefix = flags ? `(?${flags})` : '';
  let compiled: InstanceType<Re2js['RE2JS']>;
  try {
    compiled = RE2JS.compile(prefix + body);
  } catch (e) {
    if (!(e instanceof RE2JSException)) throw e;
    throw syntaxError(body, flags, e);
  }
  // The same rule is evaluated for every job (and matrix instance) against the same variable values: each
  // pattern remembers its latest answers, so a 1000-job pipeline matches a branch name once, not 1000 times.
  const answers = new Map<string, boolean>();
  const test = (text: string): boolean => {
    let hit = answers.get(text);
    if (hit === undefined) {
      hit = compiled.test(text);
      if (answers.size >= 64) answers.clear();
      answers.set(text, hit);
    }
    return hit;
  };
  const regex: Re2Regex = { source: body, flags, test };
  if (cache.size > 5000) cache.clear();
  cache.set(key, regex);
  return regex;
}

/** Whether RE2 accepts `body` with `flags`. */
export function isValidRe2(body: string, flags = ''): boolean {
  try {
    compileRe2(body, flags);
    return true;
  } catch (e) {
    if (e instanceof RegexSyntaxError) return false;
    throw e;
  }
}

function syntaxError(body: string, flags: string, e: InstanceType<Re2js['RE2JSException']>): RegexSyntaxError {
  // re2js's syntax errors carry the reason and the offending fragment of the pattern (or the whole pattern).
  const detail = e as { error?: unknown; input?: unknown };
  const reason = typeof detail.error === 'string' ? detail.error : e.message.replace(/^error parsing regexp: /, '');
  const fragment = typeof detail.input === 'string' ? detail.input : '';
  const offset = fragment ? Math.max(0, body.indexOf(fragment)) : 0;
  const hint = HINTS.find(([re]) => re.test(fragment))?.[1];
  const shown = fragment && !fragment.endsWith(body) ? `: \`${fragment}\`` : '';
  return new RegexSyntaxError(
    `invalid regular expression /${body}/${flags} (RE2 syntax): ${reason}${shown}` + (hint ? ` (${hint})` : ''),
    offset,
  );
}

const matchers = new Map<string, InstanceType<Re2js['RE2JS']>>();

/**
 * The last match of `body` in `text` (RE2, linear time): the whole match first, then each group (null where a group
 * took no part). Undefined when nothing matches. For `coverage:`, which reads numbers out of matches.
 */
export function lastRe2Match(body: string, flags: string, text: string): (string | null)[] | undefined {
  const key = `${flags}/${body}`;
  let compiled = matchers.get(key);
  if (!compiled) {
    compileRe2(body, flags); // RE2's syntax errors, with offsets, as for rules
    compiled = loadEngine().RE2JS.compile((flags ? `(?${flags})` : '') + body);
    if (matchers.size > 1000) matchers.clear();
    matchers.set(key, compiled);
  }
  const m = compiled.matcher(text);
  let last: (string | null)[] | undefined;
  while (m.find()) {
    last = [m.group(0)];
    for (let g = 1; g <= m.groupCount(); g++) last.push(m.group(g));
    if (m.group(0) === '') break;
  }
  return last;
}
