// CI/CD variable expressions (rules:if, only/except:variables), parsed and evaluated as GitLab does.
import type { Expr } from './ast.js';
import { evaluateTree } from './evaluate.js';
import { parseExpression } from './parser.js';

export type { Expr } from './ast.js';
export { ExpressionError } from './errors.js';
export { parseExpression } from './parser.js';
export { compileRegex, RegexSyntaxError, type RegexDialect, type TextPattern } from './regex.js';
export { compileRe2, isValidRe2, type Re2Regex } from './re2.js';

const cache = new Map<string, Expr>();

/**
 * parseExpression, remembered per source text: a rule inherited through `extends` is checked and evaluated once
 * per job and per parallel/matrix instance, with the same text each time. Throws ExpressionError (not remembered).
 */
export function parseCached(src: string): Expr {
  let tree = cache.get(src);
  if (!tree) {
    tree = parseExpression(src);
    if (cache.size > 5000) cache.clear();
    cache.set(src, tree);
  }
  return tree;
}

/** Parse (cached) and evaluate. Throws ExpressionError for a malformed expression. */
export function evaluateExpression(src: string, vars: Record<string, string | undefined>): boolean {
  return evaluateTree(parseCached(src), vars);
}
