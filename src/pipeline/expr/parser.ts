// Recursive-descent parser for CI/CD variable expressions with GitLab's precedence:
// comparisons (== != =~ !~) bind tighter than &&, which binds tighter than ||; all left-associative.
import type { Expr } from './ast.js';
import { ExpressionError } from './errors.js';
import { tokenize, type Token } from './lexer.js';
import { compileRe2, RegexSyntaxError } from './re2.js';

export function parseExpression(src: string): Expr {
  const tokens = tokenize(src);
  if (tokens.length === 0) throw new ExpressionError('empty expression', src, 0);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const describe = (t: Token | undefined): string => (t ? `"${src.slice(t.offset, t.end)}"` : 'end of expression');

  const parseOr = (): Expr => {
    let left = parseAnd();
    while (peek()?.kind === 'or') {
      const op = tokens[pos++];
      const right = parseAnd();
      left = { kind: 'or', left, right, offset: op.offset };
    }
    return left;
  };
  const parseAnd = (): Expr => {
    let left = parseCompare();
    while (peek()?.kind === 'and') {
      const op = tokens[pos++];
      const right = parseCompare();
      left = { kind: 'and', left, right, offset: op.offset };
    }
    return left;
  };
  const parseCompare = (): Expr => {
    let left = parseOperand(false);
    while (peek()?.kind === 'op') {
      const op = tokens[pos++];
      const isMatch = op.value === '=~' || op.value === '!~';
      const right = parseOperand(isMatch);
      left = { kind: 'compare', op: op.value as '==' | '!=' | '=~' | '!~', left, right, offset: op.offset };
    }
    return left;
  };
  const parseOperand = (regexAllowed: boolean): Expr => {
    const t = peek();
    if (!t) {
      const last = tokens[tokens.length - 1];
      throw new ExpressionError(`expected a value after ${describe(last)}`, src, last.end);
    }
    pos++;
    switch (t.kind) {
      case 'var':
        return { kind: 'var', name: t.value, offset: t.offset };
      case 'string':
        return { kind: 'string', value: t.value, offset: t.offset };
      case 'null':
        return { kind: 'null', offset: t.offset };
      case 'regex': {
        if (!regexAllowed) {
          throw new ExpressionError('a regular expression may only appear on the right of =~ or !~', src, t.offset);
        }
        try {
          const regex = compileRe2(t.value, t.flags ?? '');
          return { kind: 'regex', body: t.value, flags: t.flags ?? '', regex, offset: t.offset };
        } catch (e) {
          if (e instanceof RegexSyntaxError) throw new ExpressionError(e.message, src, t.offset + 1 + e.offset);
          throw e;
        }
      }
      case 'lparen': {
        const inner = parseOr();
        const close = peek();
        if (close?.kind !== 'rparen') {
          throw new ExpressionError(
            `expected ")" to close "(" at offset ${t.offset}, found ${describe(close)}`,
            src,
            close?.offset ?? src.length,
          );
        }
        pos++;
        return inner;
      }
      default:
        throw new ExpressionError(`expected a value, found ${describe(t)}`, src, t.offset);
    }
  };

  const tree = parseOr();
  const extra = peek();
  if (extra) {
    const hint = extra.kind === 'rparen' ? 'unbalanced ")"' : `unexpected ${describe(extra)} (missing operator?)`;
    throw new ExpressionError(hint, src, extra.offset);
  }
  return tree;
}
