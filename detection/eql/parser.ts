// The EQL parser: hand-written recursive descent over the token list, with the structure and
// precedence of Elasticsearch's EqlBase grammar:
//   or < and < not < comparison (not chained) < + - < * / % < unary - + < primary [predicate]
// where a predicate (`in`, `in~`, `not in`, `:`, `like`, `like~`, `regex`, `regex~`) binds to the
// primary right before it, exactly as in ES (`a + b : "x"` is `a + (b : "x")`).
//
// Public API:
//   parseQuery(src)        parse AND check (checkQuery): throws EqlSyntaxError / EqlSemanticError,
//                          both EqlError with `code`, `line`, `column`.
//   parseQueryUnchecked    syntax only (the printer's round-trip tests use it).
//   parseExpression(src)   one expression, syntax only (checkExpr checks it).
//   spanOf(root, node)     the line/column where a node of the AST rooted at `root` started, for
//                          messages (kept beside the AST so that ASTs stay plain data and compare
//                          deep-equal).
// Unary plus disappears (`+x` is `x`, as in ES); unary minus stays a `negate` node (not folded).
// Function names are stored in their canonical spelling (see functions.ts).
import type {
  CompareOp,
  EventFilter,
  Expr,
  Literal,
  Pipe,
  Query,
  Stage,
  TimeSpan,
} from './ast.js';
import { EqlSemanticError, EqlSyntaxError, recordSpans, type ParseSpans } from './errors.js';
export { spanOf } from './errors.js';
import { lookupFunction } from './functions.js';
import { KEYWORDS, tokenize, type Token } from './lexer.js';
import { checkExpr, checkQuery } from './check.js';


// ES's sequence parameters accept exactly these units.
const TIME_UNITS = new Map<string, TimeSpan['unit']>([
  ['ms', 'ms'],
  ['s', 's'],
  ['m', 'm'],
  ['h', 'h'],
  ['d', 'd'],
]);

const LONG_MAX = 9223372036854775807n;
const MAX_DEPTH = 200;

function describe(t: Token): string {
  if (t.kind === 'eof') return '<EOF>';
  return `'${t.kind === 'tilde' ? t.text + '~' : t.text}'`;
}

class Parser {
  private readonly toks: Token[];
  private pos = 0;
  readonly spans: ParseSpans = { nodes: new Map(), runs: new Map() };

  constructor(src: string) {
    this.toks = tokenize(src);
  }

  private get t(): Token {
    return this.toks[this.pos] as Token;
  }

  private peek(k = 1): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.t;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private is(kind: Token['kind'], text?: string): boolean {
    const t = this.t;
    return t.kind === kind && (text === undefined || t.text === text);
  }

  private isOp(text: string): boolean {
    return this.t.kind === 'op' && this.t.text === text;
  }

  private isKw(text: string): boolean {
    return this.t.kind === 'keyword' && this.t.text === text;
  }

  private fail(expected: string, t: Token = this.t): never {
    // `AND`, `Where`...: ES keywords are lower case only, a frequent slip worth naming.
    const lower = t.kind === 'ident' ? t.text.toLowerCase() : '';
    const hint = lower !== t.text && KEYWORDS.has(lower) ? ` (keywords are lower case: '${lower}')` : '';
    throw new EqlSyntaxError(`expected ${expected} but found ${describe(t)}${hint}`, t.line, t.column);
  }

  private failAt(reason: string, t: Token): never {
    throw new EqlSyntaxError(reason, t.line, t.column);
  }

  private expectOp(text: string): Token {
    if (!this.isOp(text)) this.fail(`'${text}'`);
    return this.next();
  }

  private expectKw(text: string): Token {
    if (!this.isKw(text)) this.fail(`'${text}'`);
    return this.next();
  }

  private mark<T extends object>(node: T, t: Token): T {
    this.spans.nodes.set(node, { line: t.line, column: t.column });
    return node;
  }

  expectEof(): void {
    if (!this.is('eof')) {
      this.fail(this.pipeAllowed ? "'|' or the end of the query" : 'the end of the input');
    }
  }

  private pipeAllowed = false;

  // ---- statements ----

  statement(): Query {
    const first = this.t;
    let query: Query;
    if (this.isKw('sequence')) query = this.sequence();
    else if (this.isKw('sample')) query = this.sample();
    else if (this.isKw('join')) this.failAt('Queries using [join] are not supported', first);
    else {
      query = { type: 'event_query', filter: this.eventFilter(), pipes: [] };
    }
    this.pipeAllowed = true;
    while (this.isOp('|')) query.pipes.push(this.pipe());
    this.expectEof();
    return this.mark(query, first);
  }

  private pipe(): Pipe {
    this.next();
    const nameTok = this.t;
    if (nameTok.kind !== 'ident') this.fail('a pipe name (head, tail or filter)');
    this.next();
    const name = nameTok.text;
    if (name !== 'head' && name !== 'tail' && name !== 'filter') {
      this.failAt(`Pipe [${name}] is not supported; use head, tail or filter`, nameTok);
    }
    const args: Expr[] = [];
    if (!this.isOp('|') && !this.is('eof')) {
      args.push(this.expression());
      while (this.isOp(',')) {
        this.next();
        args.push(this.expression());
      }
    }
    return this.mark({ type: 'pipe', name, args }, nameTok);
  }

  private eventFilter(): EventFilter {
    const t = this.t;
    let category: string | null;
    if (this.isKw('any')) category = null;
    else if (t.kind === 'ident') category = t.text;
    else if (t.kind === 'string') category = t.value;
    else this.fail("an event category (e.g. 'process', 'any' or a quoted \"category\")");
    this.next();
    this.expectKw('where');
    const condition = this.expression();
    return this.mark({ type: 'event_filter', category, condition }, t);
  }

  private joinKeys(): Expr[] {
    this.expectKw('by');
    const keys = [this.expression()];
    while (this.isOp(',')) {
      this.next();
      keys.push(this.expression());
    }
    return keys;
  }

  private maxspan(): TimeSpan {
    this.expectKw('with');
    this.expectKw('maxspan');
    this.expectOp('=');
    const num = this.t;
    if (num.kind === 'float') {
      this.failAt(`Decimal time interval [${num.text}] not supported; please use an positive integer`, num);
    }
    if (num.kind !== 'int') this.fail('a positive integer time span (e.g. 5m)');
    this.next();
    const value = Number(num.text);
    if (value <= 0) this.failAt(`A positive maxspan value is required; found [${num.text}]`, num);
    const unitTok = this.t;
    if (unitTok.kind !== 'ident') {
      this.failAt(`No time unit specified, did you mean [s] as in [${num.text}s]?`, num);
    }
    const unit = TIME_UNITS.get(unitTok.text);
    if (unit === undefined) {
      this.failAt(
        `Unrecognized time unit [${unitTok.text}] in [${num.text}${unitTok.text}], please specify one of [ms, s, m, h, d]`,
        unitTok,
      );
    }
    this.next();
    const raw = num.text + (unitTok.spaceBefore ? ' ' : '') + unitTok.text;
    return { value, unit, raw };
  }

  private sequence(): Query {
    this.next();
    let by: Expr[] = [];
    let maxspan: TimeSpan | null = null;
    if (this.isKw('by')) {
      by = this.joinKeys();
      if (this.isKw('with')) maxspan = this.maxspan();
    } else if (this.isKw('with')) {
      const withTok = this.t;
      maxspan = this.maxspan();
      if (this.isKw('by')) this.failAt('Please specify sequence [by] before [with] not after', withTok);
    }
    const stages: Stage[] = [];
    while (this.isOp('[') || this.isOp('![')) stages.push(this.stage(true));
    // One stage is enough for the grammar (`[a] with runs=3`); the checker counts the runs.
    if (stages.length === 0) this.fail("a sequence stage '['");
    let until: Stage | null = null;
    if (this.isKw('until')) {
      this.next();
      if (!this.isOp('[') && !this.isOp('![')) this.fail("an until stage '['");
      until = this.stage(true);
    }
    return { type: 'sequence', by, maxspan, stages, until, pipes: [] };
  }

  private sample(): Query {
    this.next();
    let by: Expr[] = [];
    if (this.isKw('by')) by = this.joinKeys();
    const stages: Stage[] = [];
    while (this.isOp('[') || this.isOp('![')) stages.push(this.stage(false));
    if (stages.length === 0) this.fail("a sample stage '['");
    return { type: 'sample', by, stages, pipes: [] };
  }

  private stage(allowRuns: boolean): Stage {
    const open = this.next();
    const missing = open.text === '![';
    const filter = this.eventFilter();
    this.expectOp(']');
    const by = this.isKw('by') ? this.joinKeys() : [];
    let runs = 1;
    if (allowRuns && this.isKw('with')) {
      this.next();
      const key = this.t;
      if (key.kind !== 'ident') this.fail("'runs'");
      if (key.text !== 'runs') this.failAt(`Unrecognized option [${key.text}], expecting [runs]`, key);
      this.next();
      this.expectOp('=');
      const num = this.t;
      if (num.kind !== 'int') this.fail('an integer number of runs');
      this.next();
      runs = Number(num.text);
      this.spans.runs.set(filter, { line: num.line, column: num.column });
    }
    return this.mark({ filter, by, runs, missing }, open);
  }

  // ---- expressions ----

  // Nesting (parentheses, calls, `not`, unary minus) is bounded so that a hostile query fails with
  // an EqlSyntaxError instead of overflowing the stack; real rules nest a handful of levels.
  private depth = 0;

  private enter(): void {
    if (++this.depth > MAX_DEPTH) {
      this.failAt(`the query nests more than ${MAX_DEPTH} levels deep; simplify it`, this.t);
    }
  }

  expression(): Expr {
    this.enter();
    let left = this.andExpr();
    while (this.isKw('or')) {
      const op = this.next();
      const right = this.andExpr();
      left = this.mark({ type: 'or', left, right }, op);
    }
    this.depth--;
    return left;
  }

  private andExpr(): Expr {
    let left = this.notExpr();
    while (this.isKw('and')) {
      const op = this.next();
      const right = this.notExpr();
      left = this.mark({ type: 'and', left, right }, op);
    }
    return left;
  }

  private notExpr(): Expr {
    if (this.isKw('not')) {
      const t = this.next();
      this.enter();
      const expr = this.notExpr();
      this.depth--;
      return this.mark({ type: 'not', expr }, t);
    }
    if (this.t.kind === 'ident' && this.peek().kind === 'keyword' && this.peek().text === 'of') {
      this.failAt('Process relationships are not supported', this.t);
    }
    return this.comparison();
  }

  private comparison(): Expr {
    const left = this.additive();
    const t = this.t;
    if (t.kind === 'op') {
      const op = t.text;
      if (op === '==' || op === '!=' || op === '<' || op === '<=' || op === '>' || op === '>=') {
        this.next();
        const right = this.additive();
        return this.mark({ type: 'compare', op: op as CompareOp, left, right }, t);
      }
      if (op === '=') this.failAt("use '==' to compare, not '='", t);
    }
    return left;
  }

  private additive(): Expr {
    let left = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      const right = this.multiplicative();
      left = this.mark({ type: 'arith', op: t.text as '+' | '-', left, right }, t);
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const t = this.next();
      const right = this.unary();
      left = this.mark({ type: 'arith', op: t.text as '*' | '/' | '%', left, right }, t);
    }
    return left;
  }

  private unary(): Expr {
    if (this.isOp('-')) {
      const t = this.next();
      this.enter();
      const expr = this.unary();
      this.depth--;
      return this.mark({ type: 'negate', expr }, t);
    }
    if (this.isOp('+')) {
      this.next();
      this.enter();
      const expr = this.unary();
      this.depth--;
      return expr;
    }
    const start = this.t;
    const primary = this.primary();
    return this.predicate(primary, start);
  }

  private predicate(expr: Expr, start: Token): Expr {
    const t = this.t;
    if (t.kind === 'keyword') {
      let negated = false;
      let kw = t.text;
      if (kw === 'not') {
        const nx = this.peek();
        if (nx.kind === 'keyword' && (nx.text === 'in' || nx.text === 'in~')) {
          negated = true;
          this.next();
          kw = nx.text;
        } else return expr;
      }
      if (kw === 'in' || kw === 'in~') {
        this.next();
        this.expectOp('(');
        const values = [this.expression()];
        while (this.isOp(',')) {
          this.next();
          values.push(this.expression());
        }
        this.expectOp(')');
        return this.mark({ type: 'in', expr, values, negated, insensitive: kw === 'in~' }, start);
      }
      if (kw === 'like' || kw === 'like~' || kw === 'regex' || kw === 'regex~') {
        this.next();
        return this.matchRest(expr, kw.startsWith('like') ? 'like' : 'regex', kw.endsWith('~'), start);
      }
      return expr;
    }
    if (t.kind === 'op' && t.text === ':') {
      this.next();
      return this.matchRest(expr, ':', false, start);
    }
    return expr;
  }

  private matchRest(expr: Expr, op: ':' | 'like' | 'regex', insensitive: boolean, start: Token): Expr {
    const patterns: Literal[] = [];
    let list = false;
    if (this.isOp('(')) {
      list = true;
      this.next();
      patterns.push(this.constant(true));
      while (this.isOp(',')) {
        this.next();
        patterns.push(this.constant(true));
      }
      this.expectOp(')');
    } else {
      patterns.push(this.constant(true));
    }
    return this.mark({ type: 'match', op, insensitive, expr, patterns, list }, start);
  }

  /** A literal constant; `required` fails when the token is not one. */
  private constant(required: true): Literal;
  private constant(required: false): Literal | null;
  private constant(required: boolean): Literal | null {
    const t = this.t;
    let lit: Literal | null = null;
    switch (t.kind) {
      case 'string':
        lit = { type: 'literal', kind: 'string', value: t.value };
        break;
      case 'int': {
        const big = BigInt(t.text);
        // ES reads an integer too large for a long as a double.
        lit =
          big > LONG_MAX
            ? { type: 'literal', kind: 'float', value: Number(t.text) }
            : { type: 'literal', kind: 'integer', value: Number(t.text) };
        break;
      }
      case 'float':
        lit = { type: 'literal', kind: 'float', value: Number(t.text) };
        break;
      case 'keyword':
        if (t.text === 'true' || t.text === 'false') lit = { type: 'literal', kind: 'boolean', value: t.text === 'true' };
        else if (t.text === 'null') lit = { type: 'literal', kind: 'null', value: null };
        break;
      default:
        break;
    }
    if (lit === null) {
      if (required) this.fail('a literal (string, number, true, false or null)');
      return null;
    }
    this.next();
    return this.mark(lit, t);
  }

  private primary(): Expr {
    const t = this.t;
    const lit = this.constant(false);
    if (lit !== null) return lit;
    if (t.kind === 'op' && t.text === '(') {
      this.next();
      const e = this.expression();
      this.expectOp(')');
      return e;
    }
    if (t.kind === 'tilde') {
      this.next();
      if (!this.isOp('(')) this.fail("'(' after the function name");
      return this.call(t, true);
    }
    if (t.kind === 'ident' && this.peek().kind === 'op' && this.peek().text === '(') {
      this.next();
      return this.call(t, false);
    }
    if (t.kind === 'ident' || t.kind === 'qident' || (t.kind === 'op' && t.text === '?')) {
      return this.field();
    }
    return this.fail('an expression');
  }

  private call(nameTok: Token, insensitive: boolean): Expr {
    this.expectOp('(');
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      args.push(this.expression());
      while (this.isOp(',')) {
        this.next();
        args.push(this.expression());
      }
    }
    this.expectOp(')');
    const sig = lookupFunction(nameTok.text);
    const name = sig ? sig.name : nameTok.text;
    return this.mark({ type: 'call', name, insensitive, args }, nameTok);
  }

  private field(): Expr {
    const start = this.t;
    let optional = false;
    if (this.isOp('?')) {
      optional = true;
      this.next();
    }
    const parts = [this.identifier()];
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        parts.push(this.identifier());
      } else if (this.isOp('[') && this.peek().kind === 'int') {
        this.failAt('Array indexes are not supported', this.t);
      } else break;
    }
    return this.mark({ type: 'field', name: parts.join('.'), optional }, start);
  }

  private identifier(): string {
    const t = this.t;
    if (t.kind === 'ident') {
      this.next();
      return t.text;
    }
    if (t.kind === 'qident') {
      this.next();
      return t.value;
    }
    if (t.kind === 'keyword') {
      this.failAt(`expected a field name but found the keyword '${t.text}' (quote it with backquotes: \`${t.text}\`)`, t);
    }
    return this.fail('a field name');
  }
}


/** Parse a query without the semantic checks. */
export function parseQueryUnchecked(source: string): Query {
  const p = new Parser(source);
  const q = p.statement();
  recordSpans(q, p.spans);
  return q;
}

/** Parse and check a query the way Elasticsearch would accept it; throws EqlError. */
export function parseQuery(source: string): Query {
  const q = parseQueryUnchecked(source);
  checkQuery(q);
  return q;
}

/** Parse one expression (syntax only). */
export function parseExpression(source: string): Expr {
  const p = new Parser(source);
  const e = p.expression();
  p.expectEof();
  recordSpans(e, p.spans);
  return e;
}

/** Parse and check one expression. */
export function parseAndCheckExpression(source: string): Expr {
  const e = parseExpression(source);
  checkExpr(e);
  return e;
}

export { EqlSemanticError };
