// Errors raised while parsing or evaluating a CI/CD variable expression (rules:if, only/except:variables).
import { KilnError } from '../../errors.js';

export class ExpressionError extends KilnError {
  /** 0-based character offset in the expression source where the problem is. */
  readonly offset: number;
  /** The message without the expression/offset suffix. */
  readonly detail: string;
  readonly source: string;

  constructor(detail: string, source: string, offset: number) {
    super(`${detail} at offset ${offset} in expression \`${source}\``, 'E_EXPRESSION', 1);
    this.detail = detail;
    this.source = source;
    this.offset = offset;
  }
}
