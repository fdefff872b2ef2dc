// The printer: print -> parse gives back the same AST, for every corpus query and for generated
// ASTs (fast-check), and printing is stable (print(parse(print(q))) === print(q)).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventFilter, Expr, Literal, Pipe, Query, Stage, TimeSpan } from '../../detection/eql/ast.js';
import { FUNCTIONS } from '../../detection/eql/functions.js';
import { KEYWORDS } from '../../detection/eql/lexer.js';
import { parseExpression, parseQuery, parseQueryUnchecked } from '../../detection/eql/parser.js';
import { printExpr, printQuery, printString } from '../../detection/eql/printer.js';

const shared = path.resolve(import.meta.dirname, '../../../shared');

function queries(file: string): { id: string; query: string }[] {
  return readFileSync(path.join(shared, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { path?: string; name?: string; query: string })
    .map((r) => ({ id: r.path ?? r.name ?? '?', query: r.query }));
}

describe('print -> parse on the corpora', () => {
  for (const file of ['corpus/elastic-eql-rules.jsonl', 'corpus/es-eql-qa/queries.jsonl']) {
    it(`gives the same AST for every query in ${file}, and printing is stable`, () => {
      const diffs: string[] = [];
      for (const { id, query } of queries(file)) {
        const ast = parseQuery(query);
        const printed = printQuery(ast);
        const again = parseQuery(printed);
        if (JSON.stringify(again) !== JSON.stringify(ast)) diffs.push(`${id}: ${printed}`);
        expect(again, id).toEqual(ast);
        expect(printQuery(again), id).toBe(printed);
      }
      expect(diffs).toEqual([]);
    });
  }
});

describe('printing details', () => {
  it('prints the target rule canonically', () => {
    const q = parseQuery(`process where host.os.type == "windows" and event.type == "start" and
(?process.pe.original_file_name == "reg.exe" or process.name : "reg.exe") and
process.args : ("save", "export") and
process.args : ("hklm\\\\sam", "hklm\\\\security")`);
    expect(printQuery(q)).toBe(
      'process where host.os.type == "windows" and event.type == "start" and ' +
        '(?process.pe.original_file_name == "reg.exe" or process.name : "reg.exe") and ' +
        'process.args : ("save", "export") and process.args : ("hklm\\\\sam", "hklm\\\\security")',
    );
  });

  it('adds parentheses only where precedence needs them', () => {
    const cases: [string, string][] = [
      ['(a and b) or c', 'a and b or c'],
      ['a and (b or c)', 'a and (b or c)'],
      ['not (a and b)', 'not (a and b)'],
      ['(not a) and b', 'not a and b'],
      ['a - (b - c)', 'a - (b - c)'],
      ['(a - b) - c', 'a - b - c'],
      ['(a + b) * c', '(a + b) * c'],
      ['-(a + b)', '-(a + b)'],
      ['(a + b) : "x"', '(a + b) : "x"'],
      ['(-a) in (1)', '(-a) in (1)'],
      ['(a == 1) == true', '(a == 1) == true'],
      ['- -a', '- -a'],
    ];
    for (const [src, want] of cases) expect(printExpr(parseExpression(src)), src).toBe(want);
  });

  it('backquotes field segments that need it and quotes odd categories', () => {
    expect(printExpr(parseExpression('`my-field`.`by`.`a``b`.@timestamp'))).toBe('`my-field`.`by`.`a``b`.@timestamp');
    expect(printQuery(parseQuery('"my-cat" where true'))).toBe('"my-cat" where true');
    expect(printQuery(parseQuery('"sequence" where true'))).toBe('"sequence" where true');
    expect(printQuery(parseQuery('any where true'))).toBe('any where true');
  });

  it('keeps numeric kinds and escapes strings', () => {
    expect(printExpr(parseExpression('1.0 + 2 + 1e21 + .5 + 9223372036854775807'))).toBe(
      '1.0 + 2 + 1e+21 + 0.5 + 9223372036854775807',
    );
    expect(printString('a"b\\c\n\t\r\b\f')).toBe('"a\\"b\\\\c\\n\\t\\r\\b\\f"');
    expect(printExpr(parseExpression('"""C:\\Windows\\*"""'))).toBe('"C:\\\\Windows\\\\*"');
  });

  it('prints sequences, samples and pipes', () => {
    const src = 'sequence by a with maxspan=5 m [x where true] by b with runs=2 ![y where true] by c until [z where true] by d | head 3';
    expect(printQuery(parseQuery(src))).toBe(
      'sequence by a with maxspan=5 m\n  [x where true] by b with runs=2\n  ![y where true] by c\nuntil [z where true] by d\n| head 3',
    );
    expect(printQuery(parseQuery('sample by h [a where true] [b where true]'))).toBe(
      'sample by h\n  [a where true]\n  [b where true]',
    );
  });
});

// ---- generated ASTs: anything the parser can produce ----

const IDENT = /^[A-Za-z_@][A-Za-z0-9_]*$/;

const literal: fc.Arbitrary<Literal> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }).map((value) => ({ type: 'literal', kind: 'string', value }) as Literal),
  fc.nat().map((value) => ({ type: 'literal', kind: 'integer', value }) as Literal),
  fc
    .double({ min: 0, noNaN: true, noDefaultInfinity: true })
    .filter((v) => !Object.is(v, -0))
    .map((value) => ({ type: 'literal', kind: 'float', value }) as Literal),
  fc.boolean().map((value) => ({ type: 'literal', kind: 'boolean', value }) as Literal),
  fc.constant({ type: 'literal', kind: 'null', value: null } as Literal),
);

const segment = fc.oneof(
  fc.constantFrom('process', 'name', 'args', '@timestamp', '_id', 'host', 'sequence', 'by', 'AND', 'in~'),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const field: fc.Arbitrary<Expr> = fc
  .record({ segs: fc.array(segment, { minLength: 1, maxLength: 3 }), optional: fc.boolean() })
  .map(({ segs, optional }) => ({ type: 'field', name: segs.join('.'), optional }));

const knownNames = FUNCTIONS.map((f) => f.name);
const funcName = fc.oneof(
  fc.constantFrom(...knownNames),
  fc
    .stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,7}$/)
    .filter((n) => !KEYWORDS.has(n) && !knownNames.some((k) => k.toLowerCase() === n.toLowerCase())),
);

const { expr } = fc.letrec<{ expr: Expr }>((tie) => {
  const sub = tie('expr');
  return {
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      literal,
      field,
      sub.map((e) => ({ type: 'not', expr: e }) as Expr),
      sub.map((e) => ({ type: 'negate', expr: e }) as Expr),
      fc
        .record({ type: fc.constantFrom('and', 'or'), left: sub, right: sub })
        .map((r) => r as Expr),
      fc
        .record({ op: fc.constantFrom('==', '!=', '<', '<=', '>', '>='), left: sub, right: sub })
        .map((r) => ({ type: 'compare', ...r }) as Expr),
      fc
        .record({ op: fc.constantFrom('+', '-', '*', '/', '%'), left: sub, right: sub })
        .map((r) => ({ type: 'arith', ...r }) as Expr),
      fc
        .record({
          expr: sub,
          values: fc.array(sub, { minLength: 1, maxLength: 3 }),
          negated: fc.boolean(),
          insensitive: fc.boolean(),
        })
        .map((r) => ({ type: 'in', ...r }) as Expr),
      fc
        .record({
          op: fc.constantFrom(':', 'like', 'regex'),
          insensitive: fc.boolean(),
          expr: sub,
          patterns: fc.array(literal, { minLength: 1, maxLength: 3 }),
          list: fc.boolean(),
        })
        .map(
          (r) =>
            ({
              type: 'match',
              ...r,
              insensitive: r.op === ':' ? false : r.insensitive,
              list: r.patterns.length > 1 ? true : r.list,
            }) as Expr,
        ),
      fc
        .record({ name: funcName, insensitive: fc.boolean(), args: fc.array(sub, { maxLength: 3 }) })
        .map((r) => ({ type: 'call', ...r }) as Expr),
    ),
  };
});

const category = fc.oneof(
  fc.constant(null),
  fc.constantFrom('process', 'file', 'any', 'my-cat', 'sequence', ''),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const filter: fc.Arbitrary<EventFilter> = fc
  .record({ category, condition: expr })
  .map((r) => ({ type: 'event_filter', ...r }));
const keys = fc.array(field, { maxLength: 2 });
const stage = (allowRuns: boolean): fc.Arbitrary<Stage> =>
  fc.record({
    filter,
    by: keys,
    runs: allowRuns ? fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 100 })) : fc.constant(1),
    missing: fc.boolean(),
  });
const pipe: fc.Arbitrary<Pipe> = fc.oneof(
  fc
    .record({ name: fc.constantFrom('head', 'tail'), n: fc.nat({ max: 1000 }) })
    .map(({ name, n }) => ({ type: 'pipe', name, args: [{ type: 'literal', kind: 'integer', value: n }] }) as Pipe),
  fc.record({ args: fc.array(expr, { maxLength: 2 }) }).map(({ args }) => ({ type: 'pipe', name: 'filter', args }) as Pipe),
);
const pipes = fc.array(pipe, { maxLength: 2 });
const span: fc.Arbitrary<TimeSpan> = fc
  .record({ value: fc.integer({ min: 1, max: 100000 }), unit: fc.constantFrom('ms', 's', 'm', 'h', 'd'), space: fc.boolean() })
  .map(({ value, unit, space }) => ({ value, unit, raw: `${value}${space ? ' ' : ''}${unit}` }) as TimeSpan);

const query: fc.Arbitrary<Query> = fc.oneof(
  fc.record({ filter, pipes }).map((r) => ({ type: 'event_query', ...r }) as Query),
  fc
    .record({
      by: keys,
      maxspan: fc.option(span, { nil: null }),
      stages: fc.array(stage(true), { minLength: 1, maxLength: 3 }),
      until: fc.option(stage(true), { nil: null }),
      pipes,
    })
    .map((r) => ({ type: 'sequence', ...r }) as Query),
  fc
    .record({ by: keys, stages: fc.array(stage(false), { minLength: 1, maxLength: 3 }), pipes })
    .map((r) => ({ type: 'sample', ...r }) as Query),
);

describe('property: parse(print(ast)) equals ast', () => {
  it('for generated expressions, and printing is stable', () => {
    fc.assert(
      fc.property(expr, (e) => {
        const printed = printExpr(e);
        const back = parseExpression(printed);
        expect(back).toEqual(e);
        expect(printExpr(back)).toBe(printed);
      }),
      { numRuns: 2000 },
    );
  });

  it('for generated queries (event, sequence, sample, pipes), and printing is stable', () => {
    fc.assert(
      fc.property(query, (q) => {
        const printed = printQuery(q);
        const back = parseQueryUnchecked(printed);
        expect(back).toEqual(q);
        expect(printQuery(back)).toBe(printed);
      }),
      { numRuns: 1000 },
    );
  });

  it('field names survive any characters', () => {
    fc.assert(
      fc.property(field, (f) => {
        expect(parseExpression(printExpr(f))).toEqual(f);
        if (f.type === 'field' && IDENT.test(f.name) && !KEYWORDS.has(f.name)) {
          expect(printExpr(f)).toBe((f.optional ? '?' : '') + f.name);
        }
      }),
    );
  });
});

describe('the generators', () => {
  it('reach nested expressions and every node type (so the properties above mean something)', () => {
    const depth = (e: Expr): number => {
      switch (e.type) {
        case 'literal':
        case 'field':
          return 1;
        case 'not':
        case 'negate':
          return 1 + depth(e.expr);
        case 'and':
        case 'or':
        case 'compare':
        case 'arith':
          return 1 + Math.max(depth(e.left), depth(e.right));
        case 'in':
          return 1 + Math.max(depth(e.expr), ...e.values.map(depth));
        case 'match':
          return 1 + depth(e.expr);
        case 'call':
          return 1 + Math.max(0, ...e.args.map(depth));
      }
    };
    const samples = fc.sample(expr, { numRuns: 500, seed: 42 });
    expect(Math.max(...samples.map(depth))).toBeGreaterThanOrEqual(4);
    // literal field not negate and or compare arith in match call
    expect(new Set(samples.map((e) => e.type)).size).toBe(11);
  });
});
