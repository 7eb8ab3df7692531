// The regular expressions GitLab accepts, by where they appear:
// - 're2': rules:if / only:variables patterns. GitLab compiles them with RE2 only; so does kiln (./re2.ts), in
//   linear time, and what RE2 refuses is a syntax error.
// - 'ruby': only/except refs patterns. GitLab tries RE2 and, when RE2 refuses the pattern, falls back to Ruby's
//   Regexp (UntrustedRegexp.with_fallback): lookaround and backreferences allowed, \A, \z, \Z, \h; ^ and $
//   always match at line boundaries. kiln does the same: RE2 first, then the pattern translated into a JavaScript
//   RegExp (a backtracking engine, as Ruby's is on GitLab).
// Unsupported constructs raise RegexSyntaxError with the offset inside the pattern.
import { compileRe2, RegexSyntaxError, type Re2Regex } from './re2.js';

export { RegexSyntaxError } from './re2.js';

export type RegexDialect = 're2' | 'ruby';

/** What a compiled pattern offers: an RE2 pattern, or a RegExp for the Ruby fallback. */
export type TextPattern = Re2Regex | RegExp;

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const START = '(?<![\\s\\S])';
const END = '(?![\\s\\S])';
const END_BEFORE_NL = '(?=\\n?(?![\\s\\S]))';

/** Compile `body` (between the slashes) with GitLab `flags`. */
export function compileRegex(body: string, flags: string, dialect: RegexDialect): TextPattern {
  if (dialect === 're2') return compileRe2(body, flags);
  try {
    return compileRe2(body, flags);
  } catch (e) {
    if (!(e instanceof RegexSyntaxError)) throw e;
    return compileRuby(body, flags);
  }
}

/** Ruby's Regexp semantics in a JavaScript RegExp (the fallback for only/except refs). */
function compileRuby(body: string, flags: string): RegExp {
  let src = body;
  const flagSet = new Set([...flags]);
  // Leading inline flags, e.g. "(?i)abc".
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  let leadLen = 0;
  if (lead) {
    for (const f of lead[1]) flagSet.add(f);
    leadLen = lead[0].length;
    src = src.slice(leadLen);
  }
  if (flagSet.has('U')) throw new RegexSyntaxError('flag U is not supported in Ruby regexps', 0);
  const out = translate(src, leadLen);
  // Ruby: ^/$ are line anchors; the "m" flag means "dot matches newline".
  let js = 'm';
  if (flagSet.has('i')) js += 'i';
  if (flagSet.has('m')) js += 's';
  try {
    return new RegExp(out, js);
  } catch (e) {
    throw new RegexSyntaxError(
      `invalid regular expression /${body}/: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`,
      0,
    );
  }
}

function translate(src: string, base: number): string {
  let out = '';
  let i = 0;
  const n = src.length;
  const fail = (msg: string, at: number): never => {
    throw new RegexSyntaxError(msg, base + at);
  };
  const quantifierTail = (): void => {
    // After a quantifier: lazy and possessive suffixes.
    const next = src[i];
    if (next === '+') fail('possessive quantifiers are not supported', i);
    if (next === '?') {
      out += '?';
      i++;
    }
  };
  while (i < n) {
    const c = src[i];
    if (c === '\\') {
      const d = src[i + 1];
      if (d === undefined) fail('trailing backslash', i);
      if (d === 'A') out += START;
      else if (d === 'z') out += END;
      else if (d === 'Z') out += END_BEFORE_NL;
      else if (d === 'h') out += '[0-9a-fA-F]';
      else if (d === 'H') out += '[^0-9a-fA-F]';
      else if (d === 'x' && src[i + 2] === '{') {
        const close = src.indexOf('}', i + 3);
        const hex = close < 0 ? '' : src.slice(i + 3, close);
        if (!/^[0-9A-Fa-f]{1,6}$/.test(hex)) fail('invalid \\x{...} escape', i);
        out += codePointEscape(parseInt(hex, 16));
        i = close + 1;
        continue;
      } else if (/[1-9]/.test(d)) out += c + d;
      else if (d === 'p' || d === 'P') fail('Unicode classes (\\p) are not supported', i);
      else if (d === 'C' || d === 'G' || d === 'K' || d === 'X' || d === 'R') fail(`\\${d} is not supported`, i);
      else out += c + d;
      i += 2;
      continue;
    }
    if (c === '[') {
      const [cls, next] = readClass(src, i, fail);
      out += cls;
      i = next;
      continue;
    }
    if (c === '(') {
      if (src[i + 1] === '?') {
        const rest = src.slice(i + 2);
        if (rest.startsWith(':')) {
          out += '(?:';
          i += 3;
        } else if (rest.startsWith('P<')) {
          out += '(?<';
          i += 4;
        } else if (rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!')) {
          out += '(?<';
          i += 3;
        } else if (/^(=|!|<=|<!)/.test(rest)) {
          const m = /^(=|!|<=|<!)/.exec(rest)![0];
          out += '(?' + m;
          i += 2 + m.length;
        } else if (rest.startsWith('#')) {
          const close = src.indexOf(')', i);
          if (close < 0) fail('unterminated comment group', i);
          i = close + 1;
        } else {
          fail('inline flags are only supported at the start of the pattern', i);
        }
        continue;
      }
      out += c;
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      out += c;
      i++;
      quantifierTail();
      continue;
    }
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (m) {
        out += m[0];
        i += m[0].length;
        quantifierTail();
        continue;
      }
      out += '\\{';
      i++;
      continue;
    }
    if (c === '}') {
      out += '\\}';
      i++;
      continue;
    }
    if (c === '/') {
      out += '\\/';
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

function codePointEscape(cp: number): string {
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return String.fromCodePoint(cp)
    .split('')
    .map((u) => `\\u${u.charCodeAt(0).toString(16)}`)
    .join('');
}

function readClass(src: string, start: number, fail: (m: string, at: number) => never): [string, number] {
  let i = start + 1;
  let out = '[';
  if (src[i] === '^') {
    out += '^';
    i++;
  }
  if (src[i] === ']') {
    out += '\\]';
    i++;
  }
  while (i < src.length) {
    const c = src[i];
    if (c === ']') return [out + ']', i + 1];
    if (c === '\\') {
      const d = src[i + 1];
      if (d === undefined) break;
      if (d === 'p' || d === 'P') fail('Unicode classes (\\p) are not supported', i);
      if (d === 'h') out += '0-9a-fA-F';
      else out += c + d;
      i += 2;
      continue;
    }
    if (c === '[' && src[i + 1] === ':') {
      const close = src.indexOf(':]', i + 2);
      const name = close < 0 ? '' : src.slice(i + 2, close);
      const neg = name.startsWith('^');
      const cls = POSIX[neg ? name.slice(1) : name];
      if (!cls) fail(`unknown character class [:${name}:]`, i);
      if (neg) fail('negated POSIX classes are not supported', i);
      out += cls;
      i = close + 2;
      continue;
    }
    if (c === '[') {
      out += '\\[';
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return fail('unterminated character class (missing ])', start);
}
