// The EQL abstract syntax tree. This file is the contract between the parser, the printer,
// the checker, the single-event compiler and the sequence/sample engine: change it only
// with all of them in mind.

/** A position in the query text, 1-based, for error messages. */
export interface Span {
  line: number;
  column: number;
}

export type LiteralValue = string | number | boolean | null;

/** Literals keep their numeric kind: EQL integer arithmetic is Java's, not JavaScript's. */
export interface Literal {
  type: 'literal';
  kind: 'string' | 'integer' | 'float' | 'boolean' | 'null';
  value: LiteralValue;
}

/** A field reference. `path` is the dotted name split on dots that are not inside backquotes. */
export interface Field {
  type: 'field';
  /** The full dotted name as ES sees it, e.g. `process.parent.name` or `@timestamp`. */
  name: string;
  /** `?field`: an unmapped field evaluates to null instead of being a query error. */
  optional: boolean;
}

export interface Not {
  type: 'not';
  expr: Expr;
}

export interface Logical {
  type: 'and' | 'or';
  left: Expr;
  right: Expr;
}

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export interface Compare {
  type: 'compare';
  op: CompareOp;
  left: Expr;
  right: Expr;
}

/** `x in (a, b)`, `x in~ (...)`, `x not in (...)`, `x not in~ (...)`. */
export interface In {
  type: 'in';
  expr: Expr;
  values: Expr[];
  negated: boolean;
  insensitive: boolean;
}

/**
 * Pattern operators whose right side is one literal or a list of literals:
 * `:` (case-insensitive, wildcards), `like`/`like~` (wildcards), `regex`/`regex~` (Lucene regexp).
 * `list` records whether the source used the parenthesised list form, for faithful printing.
 */
export interface Match {
  type: 'match';
  op: ':' | 'like' | 'regex';
  insensitive: boolean;
  expr: Expr;
  patterns: Literal[];
  list: boolean;
}

export type ArithOp = '+' | '-' | '*' | '/' | '%';

export interface Arith {
  type: 'arith';
  op: ArithOp;
  left: Expr;
  right: Expr;
}

export interface Negate {
  type: 'negate';
  expr: Expr;
}

/** A function call; `insensitive` is the `~` suffix (`startsWith~(...)`). */
export interface Call {
  type: 'call';
  name: string;
  insensitive: boolean;
  args: Expr[];
}

export type Expr = Literal | Field | Not | Logical | Compare | In | Match | Arith | Negate | Call;

/** `category where condition`. `category` is null for `any`. */
export interface EventFilter {
  type: 'event_filter';
  category: string | null;
  condition: Expr;
}

export interface TimeSpan {
  value: number;
  unit: 'nanos' | 'micros' | 'ms' | 's' | 'm' | 'h' | 'd';
  /** The unit as written, for printing (`5m`, `10 seconds`). */
  raw: string;
}

/** One `[...]` stage of a sequence or sample. */
export interface Stage {
  filter: EventFilter;
  /** The stage's own `by` keys (added to the query-level keys). */
  by: Expr[];
  /** `with runs=N`; 1 when absent. */
  runs: number;
  /** `![...]`: a missing-event stage (sequences only). */
  missing: boolean;
}

export interface Pipe {
  type: 'pipe';
  name: 'head' | 'tail' | 'filter';
  args: Expr[];
}

export interface EventQuery {
  type: 'event_query';
  filter: EventFilter;
  pipes: Pipe[];
}

export interface SequenceQuery {
  type: 'sequence';
  /** Query-level `sequence by k1, k2` keys. */
  by: Expr[];
  maxspan: TimeSpan | null;
  stages: Stage[];
  until: Stage | null;
  pipes: Pipe[];
}

export interface SampleQuery {
  type: 'sample';
  by: Expr[];
  stages: Stage[];
  pipes: Pipe[];
}

export type Query = EventQuery | SequenceQuery | SampleQuery;
