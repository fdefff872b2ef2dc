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

/** Where the nodes of one parse started: node -> position, plus where each `with runs=N` was written. */
export interface ParseSpans {
  nodes: Map<object, Span>;
  /** Keyed by the stage's filter. */
  runs: Map<object, Span>;
}

/**
 * Positions live beside the AST (not in it), so that ASTs stay plain data and compare deep-equal
 * however they were written. One entry per parse, keyed by its root (the Query, or the Expr of
 * parseExpression): a per-parse Map is much cheaper than a WeakMap entry per node.
 */
const byRoot = new WeakMap<object, ParseSpans>();

export function recordSpans(root: object, spans: ParseSpans): void {
  byRoot.set(root, spans);
}

export function spansOf(root: object): ParseSpans | undefined {
  return byRoot.get(root);
}

/** Where `node`, part of the AST whose root is `root`, started (1-based), if the parser made it. */
export function spanOf(root: object, node: object): Span | undefined {
  return byRoot.get(root)?.nodes.get(node);
}
