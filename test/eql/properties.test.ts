// Property-based checks of the evaluator's logic over random conditions and random documents (missing,
// null, scalar and multi-valued fields, nested or flattened):
// - `a and b` equals `b and a` (and `or` likewise) under three-valued null logic;
// - `not not x` equals `x` whenever x is not null;
// - the fast "is it true" predicate of compileFilter agrees with the three-valued compileCondition, and the
//   generated filter agrees with the closure-only one, category check included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CompareOp, Expr, Literal } from '../../detection/eql/ast.js';
import { compileCondition, compileFilter, compileFilterClosures } from '../../detection/eql/compile.js';

const FIELDS = ['a', 'b', 'p.name'] as const;
const STRINGS = ['x', 'X', 'reg.exe', 'REG.EXE', 'save', ''];

const lit = (value: string | number | boolean | null): Literal => ({
  type: 'literal',
  kind: value === null ? 'null' : typeof value === 'string' ? 'string' : typeof value === 'boolean' ? 'boolean' : Number.isInteger(value) ? 'integer' : 'float',
  value,
});
const field = (name: string, optional = false): Expr => ({ type: 'field', name, optional });

const scalar = fc.oneof(fc.constantFrom(...STRINGS), fc.integer({ min: -3, max: 3 }), fc.boolean());
const literalArb = fc.oneof(fc.constantFrom(...STRINGS).map(lit), fc.integer({ min: -3, max: 3 }).map(lit), fc.constant(lit(null)));
const fieldArb = fc.tuple(fc.constantFrom(...FIELDS), fc.boolean()).map(([n, o]) => field(n, o));

const leaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.tuple(fieldArb, fc.constantFrom<CompareOp>('==', '!=', '<', '<=', '>', '>='), literalArb).map(
    ([l, op, r]): Expr => ({ type: 'compare', op, left: l, right: r }),
  ),
  fc.tuple(fieldArb, fc.constantFrom<':' | 'like' | 'regex'>(':', 'like', 'regex'), fc.boolean(), fc.array(fc.constantFrom('x', 'reg*', 'R?G.EXE', 's.*'), { minLength: 1, maxLength: 2 })).map(
    ([e, op, insensitive, pats]): Expr => ({ type: 'match', op, insensitive, expr: e, patterns: pats.map(lit), list: pats.length > 1 }),
  ),
  fc.tuple(fieldArb, fc.array(fc.constantFrom('x', 'save', 1, 2), { minLength: 1, maxLength: 3 }), fc.boolean(), fc.boolean()).map(
    ([e, vals, negated, insensitive]): Expr => ({ type: 'in', expr: e, values: vals.map(lit), negated, insensitive }),
  ),
  fc.tuple(fieldArb, fc.constantFrom('x', 'r')).map(([e, s]): Expr => ({ type: 'call', name: 'startsWith', insensitive: false, args: [e, lit(s)] })),
  fc.constantFrom<Expr>(lit(true), lit(false), lit(null)),
  fieldArb,
);

const { cond } = fc.letrec<{ cond: Expr }>((tie) => ({
  cond: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('cond').map((x): Expr => ({ type: 'not', expr: x })),
    fc.tuple(fc.constantFrom<'and' | 'or'>('and', 'or'), tie('cond'), tie('cond')).map(([type, left, right]): Expr => ({ type, left, right })),
  ),
}));

const fieldValue = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 4, arbitrary: scalar },
  { weight: 2, arbitrary: fc.array(fc.oneof(scalar, fc.constant(null)), { maxLength: 3 }) },
);

const docArb = fc.tuple(fieldValue, fieldValue, fieldValue, fc.boolean()).map(([a, b, name, flat]) => {
  const doc: Record<string, unknown> = {};
  if (a !== undefined) doc.a = a;
  if (b !== undefined) doc.b = b;
  if (name !== undefined) {
    if (flat) doc['p.name'] = name;
    else doc.p = { name };
  }
  return doc;
});

const RUNS = { numRuns: 400 };

describe('three-valued logic properties', () => {
  it('a and b == b and a; a or b == b or a', () => {
    fc.assert(
      fc.property(cond, cond, docArb, (x, y, doc) => {
        const ab = compileCondition({ type: 'and', left: x, right: y })(doc);
        const ba = compileCondition({ type: 'and', left: y, right: x })(doc);
        const oab = compileCondition({ type: 'or', left: x, right: y })(doc);
        const oba = compileCondition({ type: 'or', left: y, right: x })(doc);
        expect(ab).toBe(ba);
        expect(oab).toBe(oba);
      }),
      RUNS,
    );
  });

  it('not not x == x when x is not null', () => {
    fc.assert(
      fc.property(cond, docArb, (x, doc) => {
        const v = compileCondition(x)(doc);
        fc.pre(v !== null);
        expect(compileCondition({ type: 'not', expr: { type: 'not', expr: x } })(doc)).toBe(v);
      }),
      RUNS,
    );
  });

  it('not x is null exactly when x is null', () => {
    fc.assert(
      fc.property(cond, docArb, (x, doc) => {
        const v = compileCondition(x)(doc);
        const n = compileCondition({ type: 'not', expr: x })(doc);
        expect(n).toBe(v === null ? null : !v);
      }),
      RUNS,
    );
  });

  it('the filter predicate is true exactly when the condition is TRUE (and its negation when FALSE)', () => {
    fc.assert(
      fc.property(cond, docArb, (x, doc) => {
        const v = compileCondition(x)(doc);
        expect(compileFilter({ type: 'event_filter', category: null, condition: x })(doc)).toBe(v === true);
        expect(compileFilter({ type: 'event_filter', category: null, condition: { type: 'not', expr: x } })(doc)).toBe(v === false);
      }),
      RUNS,
    );
  });

  it('the generated filter equals the closure filter, category check included', () => {
    const category = fc.constantFrom<string | null>(null, 'process', 'file');
    const cat = fc.constantFrom<unknown>(undefined, 'process', ['file', 'process'], ['file'], 'Process');
    fc.assert(
      fc.property(cond, category, docArb, cat, (x, c, doc, docCat) => {
        const d = docCat === undefined ? doc : { ...doc, event: { category: docCat } };
        const filter = { type: 'event_filter' as const, category: c, condition: x };
        expect(compileFilter(filter)(d)).toBe(compileFilterClosures(filter)(d));
      }),
      RUNS,
    );
  });
});
