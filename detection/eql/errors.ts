// Errors raised while reading EQL: a stable code, the 1-based line and column of the offending
// token, and a message in Elasticsearch's shape (`line 2:14: expected ')' but found 'and'`).

import type { Span } from './ast.js';

export const EQL_SYNTAX = 'HW_ERR_EQL_SYNTAX';
/** The query is well-formed but Elasticsearch would reject it (arity, `~`, runs, field-to-field...). */
export const EQL_SEMANTIC = 'HW_ERR_EQL_SEMANTIC';

export type EqlErrorCode = typeof EQL_SYNTAX | typeof EQL_SEMANTIC;

export class EqlError extends Error {
  readonly code: EqlErrorCode;
  readonly line: number;
  readonly column: number;
  /** The message without the `line L:C: ` prefix. */
  readonly reason: string;

  constructor(code: EqlErrorCode, reason: string, line: number, column: number) {
    super(`line ${line}:${column}: ${reason}`);
    this.name = 'EqlError';
    this.code = code;
    this.reason = reason;
    this.line = line;
    this.column = column;
  }
}

export class EqlSyntaxError extends EqlError {
  constructor(reason: string, line: number, column: number) {
    super(EQL_SYNTAX, reason, line, column);
    this.name = 'EqlSyntaxError';
  }
}

export class EqlSemanticError extends EqlError {
  constructor(reason: string, line: number, column: number) {
    super(EQL_SEMANTIC, reason, line, column);
    this.name = 'EqlSemanticError';
  }
}

/**
 * Where parsed nodes started, kept beside the AST (not in it) so that ASTs stay plain data and
 * compare deep-equal however they were written. The parser fills it; the checker reads it.
 */
export const spans = new WeakMap<object, Span>();
/** Where `with runs=N` was written, keyed by the stage's filter. */
export const runsSpans = new WeakMap<object, Span>();

/** Where a node produced by the parser started (1-based), if known. */
export function spanOf(node: object): Span | undefined {
  return spans.get(node);
}
