// The single-event compiler: turns an EQL AST into closures once, so evaluating an event never walks the
// tree. Semantics are Elasticsearch's (../shared/docs/eql-semantics.md):
//
// - Case: `==`, `!=`, `<`..`>=`, `in`, `like`, `regex` and plain functions are case-sensitive; `:`, `like~`,
//   `regex~`, `in~` and `fn~()` fold case. `==` and `in` compare literally (no wildcards).
// - Null: three-valued (Kleene) logic; a condition that ends null does not match. `x == null` / `x != null`
//   (a literal null on either side) test existence and are never null themselves.
// - Multi-valued fields: a comparison, `in`, pattern match or function applied to an array field is tried on
//   each value (each use of a field on its own; several multi-valued operands form their cartesian product)
//   and is true when ANY value passes. Negation (`!=`, `not in`, `not ...`) applies to that result, so it
//   means "no value matches", like ES's `must_not`. Decision: a MISSING field under a negation stays null
//   (no match), following the sheet's three-valued logic (§7) rather than `must_not`'s unverified habit of
//   matching documents without the field (§9, §12 row 11).
// - Numbers: Java long/double arithmetic (values.ts); the double-ness of an operand is static (float literal,
//   float-typed field, float arithmetic) or, for untyped JSON, whether the value is integral.
//
// Internally every boolean-producing node carries three closures: its three-valued value, "is it TRUE" and
// "is it FALSE". `and`/`or`/`not` combine the last two directly, so a filter never materialises nulls.
// compileFilter goes one step further: filter-codegen.ts turns the common leaves into generated code the
// engine can inline, and an `and` chain of operands that cannot throw is reordered after a sample of events
// so the most selective test runs first (results never depend on the order: Kleene `and` commutes).
import type { Arith, Call, Compare, EventFilter, Expr, In, Literal, Match } from './ast.js';
import { EqlEvalError } from './eval-error.js';
import { fieldReader, type FieldReader } from './field-access.js';
import { generateFilter } from './filter-codegen.js';
import { functionImpl, type CallContext } from './function-impls.js';
import { regexMatcher } from './regex.js';
import {
  compareDateToRange,
  compareInstants,
  compareVersions,
  DATE_TYPES,
  dateLiteralRange,
  parseDate,
  type CompareOpName,
} from './typed-compare.js';
import { arith, compareScalars, fold, not3, stringify, truthOf, type Scalar, type Truth } from './values.js';
import { wildcardMatcher, type StringMatcher } from './wildcard.js';

export interface CompileOptions {
  /** The field holding the event category; default 'event.category'. */
  eventCategoryField?: string;
  /** Field alias -> concrete field (from an ES mapping). */
  aliases?: Record<string, string>;
  /** Concrete field -> ES mapping type (keyword, long, double, date, date_nanos, ip, version, boolean, ...). */
  fieldTypes?: Record<string, string>;
  /** Date field -> its mapping `format` (default strict_date_optional_time||epoch_millis). */
  dateFormats?: Record<string, string>;
  /** Field -> the mapping's `null_value`, used in place of an explicit JSON null. */
  nullValues?: Record<string, unknown>;
}

/** True only when the condition is TRUE (null -> false). */
export type Predicate = (doc: unknown) => boolean;
/** The value of an expression for a document: a scalar, null when missing, an array for a multi-valued field. */
export type Evaluator = (doc: unknown) => unknown;

type T3 = (doc: unknown) => Truth;

interface Truthy {
  v3: T3;
  isTrue: Predicate;
  isFalse: Predicate;
}

interface Node {
  ev: Evaluator;
  /** Statically a Java double. */
  float: boolean;
  /** Set when the node's value does not depend on the document. */
  constant?: { value: unknown };
  /** Set for a plain field reference: the concrete (alias-resolved) name and its mapping type. */
  field?: { name: string; type: string | undefined };
  truth?: Truthy;
}

const INT_TYPES = new Set(['long', 'integer', 'short', 'byte', 'unsigned_long']);
const FLOAT_TYPES = new Set(['double', 'float', 'half_float', 'scaled_float']);
const STRING_TYPES = new Set(['keyword', 'constant_keyword', 'wildcard', 'text', 'match_only_text', 'ip', 'version']);

class Compiler {
  private readonly aliases: Record<string, string>;
  private readonly types: Record<string, string>;

  constructor(readonly options: CompileOptions) {
    this.aliases = options.aliases ?? {};
    this.types = options.fieldTypes ?? {};
  }

  resolve(name: string): string {
    let n = name;
    // Aliases cannot chain in ES, but a defensive bound keeps a bad mapping from looping.
    for (let k = 0; k < 4 && Object.prototype.hasOwnProperty.call(this.aliases, n); k++) n = this.aliases[n]!;
    return n;
  }

  reader(name: string): FieldReader {
    const concrete = this.resolve(name);
    const nulls = this.options.nullValues;
    const nullValue = nulls && Object.prototype.hasOwnProperty.call(nulls, concrete) ? nulls[concrete] : undefined;
    const raw = fieldReader(concrete, nullValue);
    const coerce = coercer(this.types[concrete]);
    if (coerce === null) return raw;
    return (doc) => {
      const v = raw(doc);
      if (v === null) return null;
      if (Array.isArray(v)) {
        const out = v.map(coerce).filter((x) => x !== null);
        return out.length === 0 ? null : out.length === 1 ? out[0] : out;
      }
      return coerce(v);
    };
  }

  node(e: Expr): Node {
    switch (e.type) {
      case 'literal':
        return literalNode(e);
      case 'field': {
        const concrete = this.resolve(e.name);
        const type = this.types[concrete];
        return { ev: this.reader(e.name), float: type !== undefined && FLOAT_TYPES.has(type), field: { name: concrete, type } };
      }
      case 'not': {
        const x = this.truth(e.expr);
        return boolNode({ v3: (d) => not3(x.v3(d)), isTrue: x.isFalse, isFalse: x.isTrue });
      }
      case 'and':
      case 'or':
        return this.logical(e.type, flattenLogical(e, e.type).map((x) => this.truth(x)));
      case 'compare':
        return this.compare(e);
      case 'in':
        return this.inNode(e);
      case 'match':
        return this.match(e);
      case 'arith':
        return this.arith(e);
      case 'negate': {
        const x = this.node(e.expr);
        const neg = (v: unknown): unknown => (typeof v === 'number' ? (v === 0 ? 0 : -v) : null);
        const xe = x.ev;
        return fold1({ ev: (d) => mapValues(xe(d), neg), float: x.float }, [x]);
      }
      case 'call':
        return this.call(e);
    }
  }

  /** `a and b and c ...` as one n-ary node: fewer closure hops on the hot path. */
  private logical(type: 'and' | 'or', items: Truthy[]): Node {
    const ts = items.map((x) => x.isTrue);
    const fs = items.map((x) => x.isFalse);
    const vs = items.map((x) => x.v3);
    const dominant = type === 'and' ? false : true;
    const v3: T3 = (d) => {
      let unknown = false;
      for (let k = 0; k < vs.length; k++) {
        const x = vs[k]!(d);
        if (x === dominant) return dominant;
        if (x === null) unknown = true;
      }
      return unknown ? null : !dominant;
    };
    // and: true iff all true, false iff any false; or: the dual.
    const all = (ps: Predicate[]): Predicate => {
      if (ps.length === 2) {
        const [p0, p1] = ps as [Predicate, Predicate];
        return (d) => p0(d) && p1(d);
      }
      if (ps.length === 3) {
        const [p0, p1, p2] = ps as [Predicate, Predicate, Predicate];
        return (d) => p0(d) && p1(d) && p2(d);
      }
      if (ps.length === 4) {
        const [p0, p1, p2, p3] = ps as [Predicate, Predicate, Predicate, Predicate];
        return (d) => p0(d) && p1(d) && p2(d) && p3(d);
      }
      return (d) => {
        for (let k = 0; k < ps.length; k++) if (!ps[k]!(d)) return false;
        return true;
      };
    };
    const some = (ps: Predicate[]): Predicate => {
      if (ps.length === 2) {
        const [p0, p1] = ps as [Predicate, Predicate];
        return (d) => p0(d) || p1(d);
      }
      return (d) => {
        for (let k = 0; k < ps.length; k++) if (ps[k]!(d)) return true;
        return false;
      };
    };
    return boolNode(type === 'and' ? { v3, isTrue: all(ts), isFalse: some(fs) } : { v3, isTrue: some(ts), isFalse: all(fs) });
  }

  truth(e: Expr): Truthy {
    const n = this.node(e);
    if (n.truth) return n.truth;
    const ev = n.ev;
    return {
      v3: (d) => truthOf(ev(d)),
      isTrue: (d) => truthOf(ev(d)) === true,
      isFalse: (d) => truthOf(ev(d)) === false,
    };
  }

  private compare(e: Compare): Node {
    const op = e.op;
    const lNull = isNullLiteral(e.left);
    const rNull = isNullLiteral(e.right);
    if (lNull || rNull) {
      if (op === '==' || op === '!=') {
        if (lNull && rNull) return constBool(op === '==');
        const other = this.node(lNull ? e.right : e.left).ev;
        const isNull = (d: unknown): boolean => {
          const v = other(d);
          return v === null || (Array.isArray(v) && v.some((x) => x === null));
        };
        const isNotNull = (d: unknown): boolean => {
          const v = other(d);
          return v !== null && (!Array.isArray(v) || v.some((x) => x !== null));
        };
        const t = op === '==' ? isNull : isNotNull;
        const f = op === '==' ? isNotNull : isNull;
        return boolNode({ v3: t, isTrue: t, isFalse: f });
      }
      return constBool(null);
    }
    const l = this.node(e.left);
    const r = this.node(e.right);
    const typed = this.typedCompare(op, l, r) ?? this.typedCompare(flip(op), r, l);
    if (typed) return typed;
    const lit = r.constant?.value;
    if (!l.constant && typeof lit === 'string' && (op === '==' || op === '!=')) {
      // The hot path of real rules, `field == "literal"`, with direct true/false tests.
      const le = l.ev;
      const eq = anyPairOf(l, r, eqScalar);
      const isEq = (d: unknown): boolean => {
        const v = le(d);
        return typeof v === 'string' ? v === lit : Array.isArray(v) && v.includes(lit);
      };
      const isNe = (d: unknown): boolean => eq(d) === false;
      return op === '==' ? boolNode({ v3: eq, isTrue: isEq, isFalse: isNe }) : boolNode({ v3: (d) => not3(eq(d)), isTrue: isNe, isFalse: isEq });
    }
    if (op === '!=') {
      const eq = anyPairOf(l, r, eqScalar);
      return fold1(boolFromV3((d) => not3(eq(d))), [l, r]);
    }
    return fold1(boolFromV3(anyPairOf(l, r, SCALAR_CMP[op])), [l, r]);
  }

  /**
   * Date and version fields compare by their mapping type, not as raw strings or numbers. `!=` is the
   * negation of "any value equals", as everywhere else.
   */
  private typedCompare(op: CompareOpName, l: Node, r: Node): Node | null {
    const type = l.field?.type;
    if (type === undefined) return null;
    const base: CompareOpName = op === '!=' ? '==' : op;
    const wrap = (v3: T3): Node => boolFromV3(op === '!=' ? (d) => not3(v3(d)) : v3);
    if (DATE_TYPES.has(type)) {
      const nanos = type === 'date_nanos';
      const fmt = this.options.dateFormats?.[l.field!.name];
      const asInstant = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? parseDate(v, fmt, nanos) : null);
      if (r.constant) {
        // ES parses the literal with the field's own format; the default format is the fallback.
        const range = dateLiteralRange(r.constant.value, fmt, nanos) ?? dateLiteralRange(r.constant.value, undefined, nanos);
        if (range === null) {
          throw new EqlEvalError('HW_ERR_EQL_BAD_ARGUMENT', `${String(r.constant.value)} is not a date for field ${l.field!.name}; use ISO-8601 or epoch milliseconds`);
        }
        const lev = l.ev;
        return wrap((d) =>
          anyValue(lev(d), (v) => {
            const t = asInstant(v);
            return t === null ? null : compareDateToRange(t, base, range);
          }),
        );
      }
      const rType = r.field?.type;
      if (rType !== undefined && DATE_TYPES.has(rType)) {
        const rfmt = this.options.dateFormats?.[r.field!.name];
        const rn = rType === 'date_nanos';
        const cmp = SCALAR_CMP[base];
        return wrap(
          anyPairOf(l, r, (a, b) => {
            const ta = asInstant(a);
            const tb = typeof b === 'string' || typeof b === 'number' ? parseDate(b, rfmt, rn) : null;
            if (ta === null || tb === null) return null;
            return cmp(compareInstants(ta, tb), 0);
          }),
        );
      }
      return null;
    }
    if (type === 'version' && (r.constant || r.field?.type === 'version')) {
      const cmp = SCALAR_CMP[base];
      return wrap(anyPairOf(l, r, (a, b) => (typeof a === 'string' && typeof b === 'string' ? cmp(compareVersions(a, b), 0) : null)));
    }
    return null;
  }

  private inNode(e: In): Node {
    const x = this.node(e.expr);
    const values = e.values.map((v) => this.node(v));
    const ins = e.insensitive;
    let test: (v: unknown, d: unknown) => Truth;
    if (values.every((v) => v.constant)) {
      const set = new Set<unknown>();
      for (const v of values) {
        const c = v.constant!.value;
        if (c !== null) set.add(ins && typeof c === 'string' ? fold(c) : c);
      }
      test = ins ? (v) => set.has(typeof v === 'string' ? fold(v) : v) : (v) => set.has(v);
    } else {
      const evs = values.map((v) => v.ev);
      test = (v, d) => {
        let sawFalse = false;
        for (const ev of evs) {
          const w = ev(d);
          const r = anyValue(w, (c) => (ins && typeof c === 'string' && typeof v === 'string' ? fold(v) === fold(c) : eqScalar(v, c)));
          if (r === true) return true;
          if (r === false) sawFalse = true;
        }
        return sawFalse ? false : null;
      };
    }
    const xe = x.ev;
    const member: T3 = (d) => {
      const v = xe(d);
      if (v === null) return null;
      if (!Array.isArray(v)) return test(v, d) ? true : false;
      let saw = false;
      for (const el of v) {
        if (el === null) continue;
        saw = true;
        if (test(el, d)) return true;
      }
      return saw ? false : null;
    };
    const node = boolFromV3(e.negated ? (d) => not3(member(d)) : member);
    return fold1(node, [x, ...values]);
  }

  matcher(e: Match): StringMatcher {
    const patterns = e.patterns.map((p) => (typeof p.value === 'string' ? p.value : stringify(p.value, p.kind === 'float') ?? ''));
    return patternMatcher(e.op, e.op === ':' || e.insensitive, patterns);
  }

  /** For generated filters: a field whose comparisons are plain (not date/version typed), else null. */
  plainReader(e: Expr): FieldReader | null {
    if (e.type !== 'field') return null;
    const type = this.types[this.resolve(e.name)];
    if (type !== undefined && (DATE_TYPES.has(type) || type === 'version')) return null;
    return this.reader(e.name);
  }

  private match(e: Match): Node {
    const x = this.node(e.expr);
    const matcher = this.matcher(e);
    const xe = x.ev;
    const v3: T3 = (d) => {
      const v = xe(d);
      if (typeof v === 'string') return matcher(v);
      if (v === null || !Array.isArray(v)) return null;
      let saw = false;
      for (const el of v) {
        if (typeof el !== 'string') continue;
        saw = true;
        if (matcher(el)) return true;
      }
      return saw ? false : null;
    };
    const isTrue = (d: unknown): boolean => {
      const v = xe(d);
      if (typeof v === 'string') return matcher(v);
      if (!Array.isArray(v)) return false;
      for (let k = 0; k < v.length; k++) {
        const el = v[k];
        if (typeof el === 'string' && matcher(el)) return true;
      }
      return false;
    };
    return fold1(boolNode({ v3, isTrue, isFalse: (d) => v3(d) === false }), [x]);
  }

  private arith(e: Arith): Node {
    const l = this.node(e.left);
    const r = this.node(e.right);
    const float = l.float || r.float;
    const op = e.op;
    const f = (a: unknown, b: unknown): unknown => (typeof a === 'number' && typeof b === 'number' ? arith(op, a, b, float) : null);
    const le = l.ev, re = r.ev;
    return fold1({ ev: (d) => mapPair(le(d), re(d), f), float }, [l, r]);
  }

  private call(e: Call): Node {
    const impl = functionImpl(e.name);
    const args = e.args.map((a) => this.node(a));
    const floats = args.map((a) => a.float);
    const ctx: CallContext = { insensitive: e.insensitive, floats };
    const float = impl.returnsFloat?.(floats) ?? false;
    const evs = args.map((a) => a.ev);
    const n = evs.length;
    const ev: Evaluator = (d) => {
      const vals: unknown[] = new Array(n);
      let multi = false;
      for (let k = 0; k < n; k++) {
        const v = evs[k]!(d);
        if (Array.isArray(v)) multi = true;
        vals[k] = v;
      }
      if (!multi) return impl.call(vals as Scalar[], ctx);
      const out: unknown[] = [];
      cartesian(vals, 0, new Array(n), (combo) => out.push(impl.call(combo, ctx)));
      return out;
    };
    return fold1({ ev, float }, args);
  }
}

function coercer(type: string | undefined): ((v: unknown) => unknown) | null {
  if (type === undefined) return null;
  if (INT_TYPES.has(type) || FLOAT_TYPES.has(type)) {
    const int = INT_TYPES.has(type);
    return (v) => {
      if (typeof v === 'number') return int ? Math.trunc(v) : v;
      if (typeof v === 'string' && v.trim() !== '') {
        const n = Number(v);
        return Number.isFinite(n) ? (int ? Math.trunc(n) : n) : null;
      }
      return null;
    };
  }
  if (STRING_TYPES.has(type)) return (v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v);
  if (type === 'boolean') return (v) => (v === 'true' ? true : v === 'false' ? false : v);
  return null;
}

/** The operands of a chain of one logical operator, left to right. */
function flattenLogical(e: Expr, type: 'and' | 'or'): Expr[] {
  return e.type === type ? [...flattenLogical(e.left, type), ...flattenLogical(e.right, type)] : [e];
}

function isNullLiteral(e: Expr): boolean {
  return e.type === 'literal' && e.value === null;
}

function literalNode(e: Literal): Node {
  const value = e.value;
  return { ev: () => value, float: e.kind === 'float', constant: { value } };
}

function constBool(v: Truth): Node {
  const t = v === true;
  const f = v === false;
  return { ev: () => v, float: false, constant: { value: v }, truth: { v3: () => v, isTrue: () => t, isFalse: () => f } };
}

function boolNode(truth: Truthy): Node {
  return { ev: truth.v3, float: false, truth };
}

function boolFromV3(v3: T3): Node {
  return boolNode({ v3, isTrue: (d) => v3(d) === true, isFalse: (d) => v3(d) === false });
}

/** Replaces a node whose children are all constant by its value, computed once (errors surface at compile). */
function fold1(n: Node, children: readonly Node[]): Node {
  if (children.length === 0 || !children.every((c) => c.constant)) return n;
  const value = n.ev(undefined);
  if (n.truth) return constBool(truthOf(value));
  return { ev: () => value, float: n.float, constant: { value } };
}

function flip(op: CompareOpName): CompareOpName {
  switch (op) {
    case '<': return '>';
    case '<=': return '>=';
    case '>': return '<';
    case '>=': return '<=';
    default: return op;
  }
}

function eqScalar(a: unknown, b: unknown): Truth {
  if (a === null || b === null) return null;
  return typeof a === typeof b ? a === b : null;
}

const SCALAR_CMP: Record<CompareOpName, (a: unknown, b: unknown) => Truth> = {
  '==': eqScalar,
  '!=': (a, b) => not3(eqScalar(a, b)),
  '<': (a, b) => cmpWith(a, b, (c) => c < 0),
  '<=': (a, b) => cmpWith(a, b, (c) => c <= 0),
  '>': (a, b) => cmpWith(a, b, (c) => c > 0),
  '>=': (a, b) => cmpWith(a, b, (c) => c >= 0),
};

function cmpWith(a: unknown, b: unknown, pass: (c: number) => boolean): Truth {
  const c = compareScalars(a, b);
  return c === null ? null : pass(c);
}

/** Any-value semantics for one operand: true if any value passes, false if some fail and none pass. */
function anyValue(v: unknown, test: (x: unknown) => Truth): Truth {
  if (v === null) return null;
  if (!Array.isArray(v)) return test(v);
  let sawFalse = false;
  for (const x of v) {
    if (x === null) continue;
    const r = test(x);
    if (r === true) return true;
    if (r === false) sawFalse = true;
  }
  return sawFalse ? false : null;
}

/** A three-valued comparison of two operands, tried on every pair of their values. */
function anyPairOf(l: Node, r: Node, cmp: (a: unknown, b: unknown) => Truth): T3 {
  const le = l.ev;
  const re = r.ev;
  if (r.constant) {
    const c = r.constant.value;
    if (c === null) return () => null;
    if (op2IsEq(cmp) && typeof c === 'string') {
      // The hot path of real rules: `field == "literal"`.
      return (d) => {
        const v = le(d);
        if (typeof v === 'string') return v === c;
        if (v === null) return null;
        if (!Array.isArray(v)) return null;
        let sawFalse = false;
        for (const x of v) {
          if (x === c) return true;
          if (typeof x === 'string') sawFalse = true;
        }
        return sawFalse ? false : null;
      };
    }
    return (d) => anyValue(le(d), (a) => cmp(a, c));
  }
  return (d) => {
    const a = le(d);
    const b = re(d);
    if (!Array.isArray(b)) return anyValue(a, (x) => (b === null ? null : cmp(x, b)));
    return anyValue(a, (x) => anyValue(b, (y) => cmp(x, y)));
  };
}

function op2IsEq(cmp: unknown): boolean {
  return cmp === eqScalar;
}

function mapValues(v: unknown, f: (x: unknown) => unknown): unknown {
  if (v === null) return null;
  return Array.isArray(v) ? v.map((x) => (x === null ? null : f(x))) : f(v);
}

function mapPair(a: unknown, b: unknown, f: (x: unknown, y: unknown) => unknown): unknown {
  if (a === null || b === null) return null;
  if (!Array.isArray(a) && !Array.isArray(b)) return f(a, b);
  const out: unknown[] = [];
  for (const x of Array.isArray(a) ? a : [a]) for (const y of Array.isArray(b) ? b : [b]) out.push(x === null || y === null ? null : f(x, y));
  return out;
}

function cartesian(vals: unknown[], k: number, combo: Scalar[], emit: (combo: Scalar[]) => void): void {
  if (k === vals.length) {
    emit(combo.slice());
    return;
  }
  const v = vals[k];
  if (Array.isArray(v)) {
    for (const x of v) {
      combo[k] = x as Scalar;
      cartesian(vals, k + 1, combo, emit);
    }
  } else {
    combo[k] = v as Scalar;
    cartesian(vals, k + 1, combo, emit);
  }
}

/** One matcher for a `:`/`like`/`regex` pattern list; literal patterns become one Set lookup. */
function patternMatcher(op: Match['op'], insensitive: boolean, patterns: readonly string[]): StringMatcher {
  if (op === 'regex') {
    const ms = patterns.map((p) => regexMatcher(p, insensitive));
    return ms.length === 1 ? ms[0]! : (v) => ms.some((m) => m(v));
  }
  const plain = new Set<string>();
  const wild: StringMatcher[] = [];
  for (const p of patterns) {
    if (p.includes('*') || p.includes('?')) wild.push(wildcardMatcher(p, insensitive));
    else plain.add(insensitive ? fold(p) : p);
  }
  if (wild.length === 0) {
    if (!insensitive) {
      if (plain.size === 1) {
        const only = [...plain][0]!;
        return (v) => v === only;
      }
      return (v) => plain.has(v);
    }
    return insensitiveAnyOf([...plain]);
  }
  if (plain.size === 0 && wild.length === 1) return wild[0]!;
  return (v) => (plain.size > 0 && plain.has(insensitive ? fold(v) : v)) || wild.some((m) => m(v));
}

/**
 * Case-insensitive equality with any of `folded` (already folded) without allocating in the common case:
 * a value of another length cannot fold to an ASCII literal (folding keeps one BMP code unit per ASCII
 * result), and equal-length ASCII values compare code by code.
 */
function insensitiveAnyOf(folded: readonly string[]): StringMatcher {
  const allAscii = folded.every((p) => /^[\x00-\x7f]*$/.test(p));
  const set = new Set(folded);
  if (!allAscii) return (v) => set.has(fold(v));
  const lengths = new Set(folded.map((p) => p.length));
  const one = folded.length === 1 ? folded[0]! : null;
  return (v) => {
    if (!lengths.has(v.length)) return false;
    if (one !== null) {
      for (let i = 0; i < one.length; i++) {
        const c = v.charCodeAt(i);
        const p = one.charCodeAt(i);
        if (c === p || (c >= 65 && c <= 90 && c + 32 === p)) continue;
        if (c >= 128) return fold(v) === one;
        return false;
      }
      return true;
    }
    return set.has(fold(v));
  };
}

/** Compiles an expression to its value (e.g. a sequence's `by` key). Arrays are multi-valued fields. */
export function compileExpr(expr: Expr, options: CompileOptions = {}): Evaluator {
  return new Compiler(options).node(expr).ev;
}

/** Compiles a condition to its three-valued truth (true, false, or null for unknown). */
export function compileCondition(expr: Expr, options: CompileOptions = {}): (doc: unknown) => boolean | null {
  return new Compiler(options).truth(expr).v3;
}

/** Compiles `category where condition` to a predicate that is true only when the event matches. */
export function compileFilter(filter: EventFilter, options: CompileOptions = {}): Predicate {
  const c = new Compiler(options);
  const categoryField = options.eventCategoryField ?? 'event.category';
  const readCategory = filter.category === null ? () => null : c.reader(categoryField);
  const operands = flattenLogical(filter.condition, 'and');
  if (!operands.every(cannotThrow)) return generateFilter(filter.condition, filter.category, readCategory, c);
  // The category test is `categoryField == "category"` (any value equal): one more operand to order.
  if (filter.category !== null) {
    operands.unshift({
      type: 'compare',
      op: '==',
      left: { type: 'field', name: categoryField, optional: true },
      right: { type: 'literal', kind: 'string', value: filter.category },
    });
  }
  if (operands.length < 2) return generateFilter(filter.condition, filter.category, readCategory, c);
  return adaptiveFilter(operands, c);
}

/** Operands without arithmetic or calls: evaluating them in any order can neither fail nor change a result. */
function cannotThrow(e: Expr): boolean {
  switch (e.type) {
    case 'arith':
    case 'negate':
    case 'call':
      return false;
    case 'not':
      return cannotThrow(e.expr);
    case 'and':
    case 'or':
    case 'compare':
      return cannotThrow(e.left) && cannotThrow(e.right);
    case 'in':
      return cannotThrow(e.expr) && e.values.every(cannotThrow);
    case 'match':
      return cannotThrow(e.expr);
    default:
      return true;
  }
}

const SAMPLE_EVENTS = 4096;

/**
 * `a and b and c` is true only if every operand is, in any order (Kleene `and` commutes; the operands here
 * cannot throw). So after a sample of events the filter is regenerated with the operands that rejected the
 * most events first: on real data the selective test (`process.name : "reg.exe"`) then runs before the broad
 * ones (`host.os.type == "windows"`), and most events are decided after one or two field reads.
 */
function adaptiveFilter(operands: Expr[], c: Compiler): Predicate {
  const tests = operands.map((o) => c.truth(o).isTrue);
  const rejected = new Array<number>(operands.length).fill(0);
  let sampled = 0;
  let current: Predicate = (doc) => {
    let all = true;
    for (let k = 0; k < tests.length; k++) {
      if (!tests[k]!(doc)) {
        rejected[k]!++;
        all = false;
      }
    }
    if (++sampled === SAMPLE_EVENTS) {
      // Rejection rates within 2% of each other count as equal and keep the rule's order (its author's
      // guess at cost: a test on one string field is cheaper than one that scans an args array).
      const bucket = (k: number) => Math.round((rejected[k]! / SAMPLE_EVENTS) * 50);
      const order = operands.map((_, k) => k).sort((a, b) => bucket(b) - bucket(a) || a - b);
      current = generateFilter(andChain(order.map((k) => operands[k]!)), null, () => null, c);
    }
    return all;
  };
  return (doc) => current(doc);
}

function andChain(items: Expr[]): Expr {
  return items.reduce((left, right): Expr => ({ type: 'and', left, right }));
}

/** The same filter through the closure tree only (no generated code): the reference the tests compare with. */
export function compileFilterClosures(filter: EventFilter, options: CompileOptions = {}): Predicate {
  const c = new Compiler(options);
  const cond = c.truth(filter.condition).isTrue;
  if (filter.category === null) return cond;
  const category = filter.category;
  const readCategory = c.reader(options.eventCategoryField ?? 'event.category');
  return (doc) => {
    const v = readCategory(doc);
    return (v === category || (Array.isArray(v) && v.includes(category))) && cond(doc);
  };
}
