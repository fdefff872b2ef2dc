// The parser against the real corpora and against the grammar's corners: literals, strings,
// identifiers, precedence, query shapes, pipes, and the errors' codes, positions and wording.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Expr, Query, SequenceQuery } from '../../detection/eql/ast.js';
import { EqlError, EqlSyntaxError } from '../../detection/eql/errors.js';
import { parseExpression, parseQuery, parseQueryUnchecked, spanOf } from '../../detection/eql/parser.js';

const shared = path.resolve(import.meta.dirname, '../../../shared');

function jsonl<T>(file: string): T[] {
  return readFileSync(path.join(shared, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

function syntaxError(fn: () => unknown): EqlError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EqlError) return err;
    throw err;
  }
  throw new Error('expected an EqlError, but it parsed');
}

const lit = (kind: string, value: unknown) => ({ type: 'literal', kind, value });
const field = (name: string, optional = false) => ({ type: 'field', name, optional });

describe('corpus: elastic detection-rules EQL queries', () => {
  const rules = jsonl<{ path: string; query: string; query_kind: string }>('corpus/elastic-eql-rules.jsonl');

  it('has all 1,081 rules', () => {
    expect(rules).toHaveLength(1081);
  });

  it('parses and checks every one of them', () => {
    const failures: string[] = [];
    for (const r of rules) {
      try {
        parseQuery(r.query);
      } catch (err) {
        failures.push(`${r.path}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('gives each the query kind the corpus records', () => {
    const kinds = { single: 'event_query', sequence: 'sequence', sample: 'sample' } as const;
    for (const r of rules) {
      expect(parseQuery(r.query).type, r.path).toBe(kinds[r.query_kind as keyof typeof kinds]);
    }
  });
});

describe('corpus: Elasticsearch EQL QA queries', () => {
  const rows = jsonl<{
    name: string;
    query: string;
    kind: string;
    pipe_names: string[];
    stages?: { category: string; missing?: boolean; runs?: number }[];
    has_until?: boolean;
    event_category?: string;
  }>('corpus/es-eql-qa/queries.jsonl');

  it('parses every query Elasticsearch runs (all 320 rows are accepted queries)', () => {
    expect(rows).toHaveLength(320);
    const failures: string[] = [];
    for (const r of rows) {
      try {
        parseQuery(r.query);
      } catch (err) {
        failures.push(`${r.name}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('agrees with the rows on kind, category, stages, runs, missing events, until and pipes', () => {
    for (const r of rows) {
      const q = parseQuery(r.query);
      expect(q.type, r.name).toBe({ event: 'event_query', sequence: 'sequence', sample: 'sample' }[r.kind]);
      expect(q.pipes.map((p) => p.name), r.name).toEqual(r.pipe_names);
      if (q.type === 'event_query') {
        expect(q.filter.category ?? 'any', r.name).toBe(r.event_category);
      } else {
        const stages = q.stages.map((s) => ({
          category: s.filter.category ?? 'any',
          ...(s.missing ? { missing: true } : {}),
          ...(s.runs > 1 ? { runs: s.runs } : {}),
        }));
        expect(stages, r.name).toEqual(r.stages);
        if (q.type === 'sequence') expect(q.until !== null, r.name).toBe(r.has_until ?? false);
      }
    }
  });
});

describe('literals', () => {
  it('keeps integers and floats apart', () => {
    expect(parseExpression('42')).toEqual(lit('integer', 42));
    expect(parseExpression('42.')).toEqual(lit('float', 42));
    expect(parseExpression('.5')).toEqual(lit('float', 0.5));
    expect(parseExpression('1e3')).toEqual(lit('float', 1000));
    expect(parseExpression('2.5E-2')).toEqual(lit('float', 0.025));
    expect(parseExpression('1.0')).toEqual(lit('float', 1));
  });

  it('reads Java long integers, and larger ones as doubles like ES', () => {
    expect(parseExpression('9223372036854775807')).toEqual(lit('integer', 9223372036854775807));
    expect(parseExpression('9223372036854775808')).toEqual(lit('float', 9223372036854775808));
  });

  it('keeps unary minus as a node and drops unary plus', () => {
    expect(parseExpression('-1')).toEqual({ type: 'negate', expr: lit('integer', 1) });
    expect(parseExpression('+x')).toEqual(field('x'));
    expect(parseExpression('- -1')).toEqual({ type: 'negate', expr: { type: 'negate', expr: lit('integer', 1) } });
  });

  it('reads null, true and false (lower case only)', () => {
    expect(parseExpression('null')).toEqual(lit('null', null));
    expect(parseExpression('true')).toEqual(lit('boolean', true));
    expect(parseExpression('false')).toEqual(lit('boolean', false));
    expect(parseExpression('TRUE')).toEqual(field('TRUE'));
  });
});

describe('strings', () => {
  it('decodes the escapes ES knows', () => {
    expect(parseExpression(String.raw`"a\tb\nc\rd\"e\\f\'g\bh\fi"`)).toEqual(
      lit('string', 'a\tb\nc\rd"e\\f\'g\bh\fi'),
    );
    expect(parseExpression(String.raw`"hklm\\sam"`)).toEqual(lit('string', 'hklm\\sam'));
  });

  it('decodes \\u{...} with 2 to 8 hex digits, any case', () => {
    expect(parseExpression(String.raw`"\u{200f}x"`)).toEqual(lit('string', '\u200fx'));
    expect(parseExpression(String.raw`"\u{0041}\u{1F600}\u{00000041}"`)).toEqual(lit('string', 'A\u{1F600}A'));
    expect(syntaxError(() => parseExpression(String.raw`"\u{1}"`)).message).toMatch(/\[2-8\] hex digits/);
    expect(syntaxError(() => parseExpression(String.raw`"\u{123456789}"`)).message).toMatch(/\[2-8\] hex digits/);
    expect(syntaxError(() => parseExpression(String.raw`"\u{D800}"`)).message).toMatch(/surrogate/);
    expect(parseExpression(String.raw`"\u0041\u01f0}"`)).toEqual(lit('string', 'A\u01f0}'));
    expect(syntaxError(() => parseExpression(String.raw`"\u041"`)).message).toMatch(/unicode escape/);
    expect(syntaxError(() => parseExpression(String.raw`"\u{}"`)).message).toMatch(/unicode escape/);
    expect(syntaxError(() => parseExpression(String.raw`"\u{00AFU1}"`)).message).toMatch(/unicode escape/);
    expect(syntaxError(() => parseExpression(String.raw`"\u{0000}"`)).message).toBe('line 1:2: Unicode sequence results in null');
    expect(syntaxError(() => parseExpression(String.raw`"\u0000"`)).message).toBe('line 1:2: Unicode sequence results in null');
    expect(syntaxError(() => parseExpression(String.raw`"\u{10000000}"`)).message).toBe(
      'line 1:2: Invalid unicode character code [10000000]',
    );
  });

  it('rejects unknown escapes, newlines inside strings and unterminated strings', () => {
    expect(syntaxError(() => parseExpression(String.raw`"a\d"`)).message).toMatch(/invalid escape sequence '\\d'/);
    expect(syntaxError(() => parseExpression('"a\nb"')).message).toMatch(/cannot span lines/);
    expect(syntaxError(() => parseExpression('"abc')).message).toMatch(/^line 1:1: unterminated string/);
  });

  it('reads """raw""" strings verbatim, with up to two trailing quotes', () => {
    expect(parseExpression('"""hklm\\sam"""')).toEqual(lit('string', 'hklm\\sam'));
    expect(parseExpression('"""a"b\\"c"""')).toEqual(lit('string', 'a"b\\"c'));
    expect(parseExpression('""""a""""')).toEqual(lit('string', '"a"'));
    expect(parseExpression('""""""')).toEqual(lit('string', ''));
    expect(parseExpression('""')).toEqual(lit('string', ''));
  });

  it("rejects single quotes and ?\"...\" the way ES does", () => {
    const e1 = syntaxError(() => parseQuery("process where name == 'x'"));
    expect(e1.message).toBe(`line 1:23: Use double quotes ["] to define string literals, not single quotes [']`);
    const e2 = syntaxError(() => parseQuery('process where name == ?"x"'));
    expect(e2.message).toBe(`line 1:23: Use triple double quotes ["""] to define unescaped string literals, not [?"]`);
  });
});

describe('fields', () => {
  it('reads dotted names, @timestamp, backquotes with `` escapes and ?optional', () => {
    expect(parseExpression('process.parent.name')).toEqual(field('process.parent.name'));
    expect(parseExpression('@timestamp')).toEqual(field('@timestamp'));
    expect(parseExpression('`my-field`.`a``b`')).toEqual(field('my-field.a`b'));
    expect(parseExpression('?process.pe.original_file_name')).toEqual(field('process.pe.original_file_name', true));
    expect(parseExpression('?`x y`')).toEqual(field('x y', true));
    expect(parseExpression('`sequence`')).toEqual(field('sequence'));
    expect(parseExpression('a . b')).toEqual(field('a.b'));
  });

  it('rejects keywords as bare field names and array indexes', () => {
    expect(syntaxError(() => parseExpression('a.by')).message).toMatch(/keyword 'by'.*backquotes/);
    expect(syntaxError(() => parseExpression('a[0]')).message).toBe('line 1:2: Array indexes are not supported');
  });
});

describe('operators and precedence (ES grammar)', () => {
  it('binds not > and > or', () => {
    expect(parseExpression('not a and b or c')).toEqual({
      type: 'or',
      left: { type: 'and', left: { type: 'not', expr: field('a') }, right: field('b') },
      right: field('c'),
    });
    expect(parseExpression('a or b and c')).toEqual({
      type: 'or',
      left: field('a'),
      right: { type: 'and', left: field('b'), right: field('c') },
    });
  });

  it('is left-associative for and, or and arithmetic', () => {
    expect(parseExpression('a - b - c')).toEqual({
      type: 'arith',
      op: '-',
      left: { type: 'arith', op: '-', left: field('a'), right: field('b') },
      right: field('c'),
    });
    expect(parseExpression('a and b and c')).toMatchObject({ type: 'and', left: { type: 'and' }, right: field('c') });
  });

  it('puts * / % above + - above comparisons, with unary minus tightest', () => {
    expect(parseExpression('-a * b + c % 2 >= 4')).toEqual({
      type: 'compare',
      op: '>=',
      left: {
        type: 'arith',
        op: '+',
        left: { type: 'arith', op: '*', left: { type: 'negate', expr: field('a') }, right: field('b') },
        right: { type: 'arith', op: '%', left: field('c'), right: lit('integer', 2) },
      },
      right: lit('integer', 4),
    });
  });

  it('does not chain comparisons', () => {
    expect(syntaxError(() => parseExpression('a == b == c')).message).toBe(
      "line 1:8: expected the end of the input but found '=='",
    );
  });

  it("rejects '=' as a comparison", () => {
    expect(syntaxError(() => parseQuery('process where a = 1')).message).toMatch(/^line 1:17: use '==' to compare/);
  });

  it('reads every comparison operator', () => {
    for (const op of ['==', '!=', '<', '<=', '>', '>=']) {
      expect(parseExpression(`a ${op} 1`)).toEqual({ type: 'compare', op, left: field('a'), right: lit('integer', 1) });
    }
  });

  it('reads in, in~, not in, not in~ with expression lists', () => {
    expect(parseExpression('a in ("x", 1)')).toEqual({
      type: 'in',
      expr: field('a'),
      values: [lit('string', 'x'), lit('integer', 1)],
      negated: false,
      insensitive: false,
    });
    expect(parseExpression('a not in~ ("x")')).toMatchObject({ type: 'in', negated: true, insensitive: true });
    expect(parseExpression('a in~ ("x")')).toMatchObject({ type: 'in', negated: false, insensitive: true });
    expect(parseExpression('not a in ("x")')).toMatchObject({ type: 'not', expr: { type: 'in', negated: false } });
  });

  it('reads :, like, like~, regex, regex~ with one literal or a list', () => {
    expect(parseExpression('a : "x*"')).toEqual({
      type: 'match',
      op: ':',
      insensitive: false,
      expr: field('a'),
      patterns: [lit('string', 'x*')],
      list: false,
    });
    expect(parseExpression('a like~ ("x", "y")')).toMatchObject({ op: 'like', insensitive: true, list: true });
    expect(parseExpression('a regex "x.*"')).toMatchObject({ op: 'regex', insensitive: false, list: false });
    expect(parseExpression('a regex~ ("x")')).toMatchObject({ op: 'regex', insensitive: true, list: true });
    expect(parseExpression('a like "x"')).toMatchObject({ op: 'like', insensitive: false });
  });

  it('binds a predicate to the primary before it, as ES does', () => {
    expect(parseExpression('a + b : "x"')).toEqual({
      type: 'arith',
      op: '+',
      left: field('a'),
      right: { type: 'match', op: ':', insensitive: false, expr: field('b'), patterns: [lit('string', 'x')], list: false },
    });
  });

  it('wants literals on the right of :, like and regex', () => {
    expect(syntaxError(() => parseExpression('a : b')).message).toBe(
      "line 1:5: expected a literal (string, number, true, false or null) but found 'b'",
    );
    expect(syntaxError(() => parseExpression('a like (b)')).code).toBe('HW_ERR_EQL_SYNTAX');
  });

  it('reads function calls, their ~ form, and canonicalises names', () => {
    expect(parseExpression('startsWith~(a, "x")')).toEqual({
      type: 'call',
      name: 'startsWith',
      insensitive: true,
      args: [field('a'), lit('string', 'x')],
    });
    expect(parseExpression('cidrmatch(ip, "10.0.0.0/8")')).toMatchObject({ name: 'cidrMatch', insensitive: false });
    expect(parseExpression('CONCAT()')).toMatchObject({ name: 'concat', args: [] });
    expect(parseExpression('myFunc(1)')).toMatchObject({ name: 'myFunc' });
  });

  it('rejects process relationships', () => {
    expect(syntaxError(() => parseQuery('process where descendant of [process where true]')).message).toBe(
      'line 1:15: Process relationships are not supported',
    );
  });
});

describe('comments and whitespace', () => {
  it('skips // and nested /* */ comments anywhere', () => {
    const q = parseQuery('/* head /* nested */ still */ process // c1\n where /* x */ a == 1 // end');
    expect(q).toEqual(parseQuery('process where a == 1'));
  });

  it('rejects an unterminated block comment', () => {
    expect(syntaxError(() => parseQuery('process where true /* x')).message).toMatch(/^line 1:20: unterminated comment/);
  });
});

describe('query shapes', () => {
  it('reads event queries with any, identifiers and quoted categories', () => {
    expect(parseQuery('any where true')).toMatchObject({ type: 'event_query', filter: { category: null } });
    expect(parseQuery('"my-cat" where true')).toMatchObject({ filter: { category: 'my-cat' } });
    expect(parseQuery('"any" where true')).toMatchObject({ filter: { category: 'any' } });
    expect(parseQuery('"""raw cat""" where true')).toMatchObject({ filter: { category: 'raw cat' } });
  });

  it('reads a full sequence', () => {
    const q = parseQuery(`sequence by host.id, ?user.id with maxspan=5m
      [process where true] by process.entity_id with runs=3
      ![file where true] by process.entity_id
      [network where true] by process.parent.entity_id
    until [process where event.type == "end"] by process.entity_id
    | head 5 | tail 2`) as SequenceQuery;
    expect(q.type).toBe('sequence');
    expect(q.by).toEqual([field('host.id'), field('user.id', true)]);
    expect(q.maxspan).toEqual({ value: 5, unit: 'm', raw: '5m' });
    expect(q.stages.map((s) => [s.filter.category, s.runs, s.missing, (s.by[0] as { name: string }).name])).toEqual([
      ['process', 3, false, 'process.entity_id'],
      ['file', 1, true, 'process.entity_id'],
      ['network', 1, false, 'process.parent.entity_id'],
    ]);
    expect(q.until?.filter.category).toBe('process');
    expect(q.pipes).toEqual([
      { type: 'pipe', name: 'head', args: [lit('integer', 5)] },
      { type: 'pipe', name: 'tail', args: [lit('integer', 2)] },
    ]);
  });

  it('reads maxspan with a space before the unit and every ES unit', () => {
    for (const unit of ['ms', 's', 'm', 'h', 'd']) {
      expect((parseQuery(`sequence with maxspan=10 ${unit} [a where true] [b where true]`) as SequenceQuery).maxspan).toEqual({
        value: 10,
        unit,
        raw: `10 ${unit}`,
      });
    }
  });

  it('rejects bad maxspans the way ES does', () => {
    const seq = (span: string) => `sequence with maxspan=${span} [a where true] [b where true]`;
    expect(syntaxError(() => parseQuery(seq('5'))).message).toBe('line 1:23: No time unit specified, did you mean [s] as in [5s]?');
    expect(syntaxError(() => parseQuery(seq('5y'))).message).toMatch(/^line 1:24: Unrecognized time unit \[y\]/);
    expect(syntaxError(() => parseQuery(seq('5toString'))).message).toMatch(/Unrecognized time unit \[toString\]/);
    expect(syntaxError(() => parseQuery(seq('1.5m'))).message).toMatch(/Decimal time interval \[1.5\]/);
    expect(syntaxError(() => parseQuery(seq('0s'))).message).toMatch(/A positive maxspan value is required/);
    expect(syntaxError(() => parseQuery('sequence with maxspan=1s by a [a where true] [b where true]')).message).toBe(
      'line 1:10: Please specify sequence [by] before [with] not after',
    );
  });

  it('reads a sample', () => {
    const q = parseQuery('sample by host [a where true] by x [b where true] by y');
    expect(q).toMatchObject({ type: 'sample', by: [field('host')], stages: [{ by: [field('x')] }, { by: [field('y')] }] });
  });

  it('reads the filter pipe and rejects endgame-only pipes', () => {
    expect(parseQuery('process where true | filter a == 1').pipes).toEqual([
      { type: 'pipe', name: 'filter', args: [{ type: 'compare', op: '==', left: field('a'), right: lit('integer', 1) }] },
    ]);
    expect(syntaxError(() => parseQuery('process where true | count')).message).toMatch(/^line 1:22: Pipe \[count\] is not supported/);
  });

  it('rejects join', () => {
    expect(syntaxError(() => parseQuery('join [a where true] [b where true]')).message).toMatch(/\[join\] are not supported/);
  });
});

describe('syntax errors', () => {
  it('name the line and column and what was expected', () => {
    const err = syntaxError(() => parseQuery('process where\n  (a == 1 and b'));
    expect(err).toBeInstanceOf(EqlSyntaxError);
    expect(err.code).toBe('HW_ERR_EQL_SYNTAX');
    expect(err.message).toBe("line 2:16: expected ')' but found <EOF>");
    expect([err.line, err.column]).toEqual([2, 16]);
    const err2 = syntaxError(() => parseQuery('process where (a == 1\n and b == 2 or'));
    expect(err2.message).toBe('line 2:15: expected an expression but found <EOF>');
    expect(syntaxError(() => parseQuery('process where f(a b)')).message).toBe("line 1:19: expected ')' but found 'b'");
  });

  it('explain missing pieces of a query', () => {
    expect(syntaxError(() => parseQuery('process a == 1')).message).toBe("line 1:9: expected 'where' but found 'a'");
    expect(syntaxError(() => parseQuery('where a')).message).toMatch(/^line 1:1: expected an event category/);
    expect(syntaxError(() => parseQuery('sequence')).message).toBe("line 1:9: expected a sequence stage '[' but found <EOF>");
    expect(syntaxError(() => parseQuery('sequence [a where true] [b where true')).message).toBe(
      "line 1:38: expected ']' but found <EOF>",
    );
    expect(syntaxError(() => parseQuery('process where true | head 1 junk')).message).toBe(
      "line 1:29: expected '|' or the end of the query but found 'junk'",
    );
    expect(syntaxError(() => parseQuery('process where a ~ 1')).message).toBe("line 1:17: unexpected character '~'");
    expect(syntaxError(() => parseQuery('')).message).toMatch(/^line 1:1: expected an event category.* but found <EOF>/);
  });

  it('hint at lower-case keywords and the removed !: operator', () => {
    expect(syntaxError(() => parseQuery('process where a == 1 AND b == 2')).message).toBe(
      "line 1:22: expected '|' or the end of the query but found 'AND' (keywords are lower case: 'and')",
    );
    expect(syntaxError(() => parseQuery('process WHERE true')).message).toBe(
      "line 1:9: expected 'where' but found 'WHERE' (keywords are lower case: 'where')",
    );
    expect(syntaxError(() => parseQuery('process where a !: "x"')).message).toMatch(/^line 1:17: the \[!:\] operator is not supported/);
  });

  it('bound the nesting depth instead of overflowing the stack', () => {
    const deep = (n: number, open: string, close: string) => `process where ${open.repeat(n)}a == 1${close.repeat(n)}`;
    expect(() => parseQuery(deep(150, '(', ')'))).not.toThrow();
    expect(syntaxError(() => parseQuery(deep(5000, '(', ')'))).message).toMatch(/nests more than 200 levels deep/);
    expect(syntaxError(() => parseQuery(deep(5000, 'not ', ''))).message).toMatch(/nests more than 200 levels deep/);
    expect(syntaxError(() => parseQuery(`process where ${'-'.repeat(5000)}a == 1`)).message).toMatch(/nests more than/);
    expect(syntaxError(() => parseQuery(`process where ${'length('.repeat(5000)}`)).message).toMatch(/nests more than/);
    // Long flat chains are loops, not recursion.
    const chain = Array.from({ length: 3000 }, (_, i) => `a == ${i}`).join(' or ');
    expect(() => parseQuery(`process where ${chain}`)).not.toThrow();
  });

  it('count columns from 1 and lines across comments and backquoted names', () => {
    const err = syntaxError(() => parseQuery('/* one\ntwo */ process where `a\nb` == )'));
    expect([err.line, err.column]).toEqual([3, 7]);
  });
});

describe('spans', () => {
  it('records where nodes start, outside the AST', () => {
    const q: Query = parseQuery('process where\n  a == 1');
    if (q.type !== 'event_query') throw new Error('event query expected');
    const cond = q.filter.condition as Expr & { type: 'compare' };
    expect(spanOf(q, cond)).toEqual({ line: 2, column: 5 });
    expect(spanOf(q, cond.left)).toEqual({ line: 2, column: 3 });
    expect(spanOf(parseQuery('any where true'), cond)).toBeUndefined();
    expect(Object.keys(cond).sort()).toEqual(['left', 'op', 'right', 'type']);
  });

  it('parseQueryUnchecked skips only the semantic checks', () => {
    expect(() => parseQueryUnchecked('process where a == b')).not.toThrow();
    expect(() => parseQuery('process where a == b')).toThrow(EqlError);
  });
});
