// Translates the regular expressions GitLab accepts into JavaScript RegExps.
// - 're2': rules:if / only:variables patterns (GitLab compiles them with RE2: no lookaround, no backreferences;
//   flags i, m, s, U; \A, \z, \Q...\E, (?P<name>), [[:alpha:]], \x{hex}).
// - 'ruby': only/except refs patterns (GitLab tries RE2 and falls back to Ruby's Regexp: lookaround and
//   backreferences allowed, \A, \z, \Z, \h; ^ and $ always match at line boundaries).
// Unsupported constructs raise RegexSyntaxError with the offset inside the pattern.

export type RegexDialect = 're2' | 'ruby';

export class RegexSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

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

function escapeLiteral(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/** Compile `body` (between the slashes) with GitLab `flags` into a JS RegExp. */
export function compileRegex(body: string, flags: string, dialect: RegexDialect): RegExp {
  let src = body;
  let flagSet = new Set([...flags]);
  // Leading inline flags, e.g. "(?i)abc" (both RE2 and Ruby accept them).
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  let leadLen = 0;
  if (lead) {
    for (const f of lead[1]) flagSet.add(f);
    leadLen = lead[0].length;
    src = src.slice(leadLen);
  }
  const ungreedy = flagSet.has('U');
  if (ungreedy && dialect === 'ruby') throw new RegexSyntaxError('flag U is not supported in Ruby regexps', 0);
  const out = translate(src, dialect, ungreedy, leadLen);
  let js = '';
  if (flagSet.has('i')) js += 'i';
  if (dialect === 'ruby') {
    // Ruby: ^/$ are line anchors; the "m" flag means "dot matches newline".
    js += 'm';
    if (flagSet.has('m')) js += 's';
  } else {
    if (flagSet.has('m')) js += 'm';
    if (flagSet.has('s')) js += 's';
  }
  try {
    return new RegExp(out, js);
  } catch (e) {
    throw new RegexSyntaxError(`invalid regular expression /${body}/: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`, 0);
  }
}

function translate(src: string, dialect: RegexDialect, ungreedy: boolean, base: number): string {
  let out = '';
  let i = 0;
  const n = src.length;
  const fail = (msg: string, at: number): never => {
    throw new RegexSyntaxError(msg, base + at);
  };
  const quantifierTail = (): void => {
    // After a quantifier: handle lazy/possessive suffixes and the U (ungreedy) flag.
    const next = src[i];
    if (next === '+') {
      if (dialect === 're2') fail('possessive quantifiers are not supported (RE2 syntax)', i);
      fail('possessive quantifiers are not supported', i);
    }
    const lazy = next === '?';
    if (lazy) i++;
    if (lazy !== ungreedy) out += '?';
  };
  while (i < n) {
    const c = src[i];
    if (c === '\\') {
      const d = src[i + 1];
      if (d === undefined) fail('trailing backslash', i);
      if (d === 'A') out += START;
      else if (d === 'z') out += END;
      else if (d === 'Z') {
        if (dialect === 're2') fail('\\Z is not supported (RE2 syntax; use \\z)', i);
        out += END_BEFORE_NL;
      } else if (d === 'Q' && dialect === 're2') {
        const e = src.indexOf('\\E', i + 2);
        const lit = e < 0 ? src.slice(i + 2) : src.slice(i + 2, e);
        out += escapeLiteral(lit);
        i = e < 0 ? n : e + 2;
        continue;
      } else if (d === 'h' && dialect === 'ruby') out += '[0-9a-fA-F]';
      else if (d === 'H' && dialect === 'ruby') out += '[^0-9a-fA-F]';
      else if (d === 'x' && src[i + 2] === '{') {
        const close = src.indexOf('}', i + 3);
        const hex = close < 0 ? '' : src.slice(i + 3, close);
        if (!/^[0-9A-Fa-f]{1,6}$/.test(hex)) fail('invalid \\x{...} escape', i);
        out += codePointEscape(parseInt(hex, 16));
        i = close + 1;
        continue;
      } else if (/[1-9]/.test(d)) {
        if (dialect === 're2') fail('backreferences are not supported (RE2 syntax)', i);
        out += c + d;
      } else if (d === 'p' || d === 'P') fail('Unicode classes (\\p) are not supported', i);
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
          if (dialect === 're2') fail('lookaround assertions are not supported (RE2 syntax)', i);
          const m = /^(=|!|<=|<!)/.exec(rest)![0];
          out += '(?' + m;
          i += 2 + m.length;
        } else if (rest.startsWith('#') && dialect === 'ruby') {
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
  return String.fromCodePoint(cp).split('').map((u) => `\\u${u.charCodeAt(0).toString(16)}`).join('');
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
