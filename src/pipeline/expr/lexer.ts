// Tokenizer for GitLab CI/CD variable expressions: $VAR, "str", 'str', /re/flags, null,
// ==, !=, =~, !~, &&, ||, ( and ).
import { ExpressionError } from './errors.js';

export type TokenKind = 'var' | 'string' | 'regex' | 'null' | 'op' | 'and' | 'or' | 'lparen' | 'rparen';

export interface Token {
  kind: TokenKind;
  /** var: name; string: contents; regex: pattern body (with \/ unescaped); op: the operator text. */
  value: string;
  /** regex flags. */
  flags?: string;
  offset: number;
  end: number;
}

/** GitLab refuses expressions with more tokens than this. */
export const MAX_TOKENS = 100;

const NAME = /[A-Za-z0-9_]/;

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (out.length >= MAX_TOKENS) throw new ExpressionError(`too many tokens (GitLab allows ${MAX_TOKENS})`, src, i);
    const start = i;
    if (c === '$') {
      // GitLab's variable lexeme is `$name` only (`Lexeme::Variable::PATTERN = /\$(?<name>\w+)/`): `${NAME}` is not
      // an expression token there, and GitLab refuses the rule ("invalid expression syntax").
      if (src[i + 1] === '{') {
        throw new ExpressionError('"${...}" is not allowed in expressions: write the variable as $NAME', src, start);
      }
      let j = i + 1;
      while (j < n && NAME.test(src[j])) j++;
      if (j === i + 1) throw new ExpressionError('"$" must be followed by a variable name', src, start);
      out.push({ kind: 'var', value: src.slice(i + 1, j), offset: start, end: j });
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      const close = src.indexOf(c, i + 1);
      if (close < 0) throw new ExpressionError(`unterminated string literal (missing closing ${c})`, src, start);
      out.push({ kind: 'string', value: src.slice(i + 1, close), offset: start, end: close + 1 });
      i = close + 1;
      continue;
    }
    if (c === '/') {
      // GitLab: the pattern ends at the first "/" not preceded by a backslash; "\/" stands for "/".
      let j = i + 1;
      let body = '';
      let closed = false;
      while (j < n) {
        const d = src[j];
        if (d === '\\' && j + 1 < n) {
          if (src[j + 1] === '/') body += '/';
          else body += d + src[j + 1];
          j += 2;
          continue;
        }
        if (d === '/') {
          closed = true;
          break;
        }
        body += d;
        j++;
      }
      if (!closed) throw new ExpressionError('unterminated regular expression (missing closing /)', src, start);
      if (body === '') throw new ExpressionError('empty regular expression', src, start);
      j++;
      let k = j;
      while (k < n && /[A-Za-z]/.test(src[k])) k++;
      const flags = src.slice(j, k);
      const bad = [...flags].find((f) => !'ismU'.includes(f));
      if (bad !== undefined) {
        throw new ExpressionError(`unsupported regular expression flag "${bad}" (allowed: i, m, s, U)`, src, j);
      }
      out.push({ kind: 'regex', value: body, flags, offset: start, end: k });
      i = k;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '==' || two === '!=' || two === '=~' || two === '!~') {
      out.push({ kind: 'op', value: two, offset: start, end: i + 2 });
      i += 2;
      continue;
    }
    if (two === '&&') {
      out.push({ kind: 'and', value: two, offset: start, end: i + 2 });
      i += 2;
      continue;
    }
    if (two === '||') {
      out.push({ kind: 'or', value: two, offset: start, end: i + 2 });
      i += 2;
      continue;
    }
    if (c === '(') {
      out.push({ kind: 'lparen', value: c, offset: start, end: i + 1 });
      i++;
      continue;
    }
    if (c === ')') {
      out.push({ kind: 'rparen', value: c, offset: start, end: i + 1 });
      i++;
      continue;
    }
    if (src.startsWith('null', i) && !NAME.test(src[i + 4] ?? '')) {
      out.push({ kind: 'null', value: 'null', offset: start, end: i + 4 });
      i += 4;
      continue;
    }
    let j = i;
    while (j < n && !/[\s()$"'/=!&|]/.test(src[j])) j++;
    const word = src.slice(i, Math.max(j, i + 1));
    throw new ExpressionError(`unexpected "${word}" (strings must be quoted, variables start with $)`, src, start);
  }
  return out;
}
