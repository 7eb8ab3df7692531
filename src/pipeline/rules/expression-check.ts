// Evaluates a rules:if / only:variables expression, turning syntax errors into ConfigErrors at the rule's position.
import { ConfigError, type SourcePosition } from '../../errors.js';
import { evaluateExpression, ExpressionError } from '../expr/index.js';

export function checkExpression(
  src: string,
  vars: Record<string, string | undefined>,
  position: SourcePosition,
  keyPath: string[],
): boolean {
  try {
    return evaluateExpression(src, vars);
  } catch (e) {
    if (e instanceof ExpressionError) {
      throw new ConfigError(`invalid expression: ${e.message}`, position, keyPath, 'E_EXPRESSION');
    }
    throw e;
  }
}
