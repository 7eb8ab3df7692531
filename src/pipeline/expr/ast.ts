// Syntax tree of a CI/CD variable expression.
import type { Re2Regex } from './re2.js';

export type Expr =
  | { kind: 'var'; name: string; offset: number }
  | { kind: 'string'; value: string; offset: number }
  | { kind: 'null'; offset: number }
  | { kind: 'regex'; body: string; flags: string; regex: Re2Regex; offset: number }
  | { kind: 'compare'; op: '==' | '!=' | '=~' | '!~'; left: Expr; right: Expr; offset: number }
  | { kind: 'and' | 'or'; left: Expr; right: Expr; offset: number };
