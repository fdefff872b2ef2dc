// The compiler's public API and options: hand-built ASTs, nested / flattened / mixed documents, the event
// category field, aliases, mapping types (numbers, keywords, dates with ES rounding, versions), null_value,
// constant folding, and `compileExpr` values for join keys.
import { describe, expect, it } from 'vitest';
import type { EventFilter, Expr } from '../../detection/eql/ast.js';
import { compileCondition, compileExpr, compileFilter, compileFilterClosures, type CompileOptions } from '../../detection/eql/compile.js';
import { fieldValues } from '../../detection/eql/field-access.js';
import { parseExpression, parseQuery } from '../../detection/eql/parser.js';

const F = (name: string): Expr => ({ type: 'field', name, optional: false });
const S = (value: string): Expr => ({ type: 'literal', kind: 'string', value });

function filterOf(src: string): EventFilter {
  const q = parseQuery(src);
  if (q.type !== 'event_query') throw new Error('event query expected');
  return q.filter;
}
const matches = (src: string, doc: unknown, options?: CompileOptions) => compileFilter(filterOf(src), options)(doc);
const cond = (src: string, doc: unknown, options?: CompileOptions) => compileCondition(parseExpression(src), options)(doc);

describe('hand-built ASTs', () => {
  it('compiles a filter with a category and a condition', () => {
    const filter: EventFilter = {
      type: 'event_filter',
      category: 'process',
      condition: { type: 'and', left: { type: 'compare', op: '==', left: F('process.name'), right: S('a.exe') }, right: { type: 'not', expr: { type: 'compare', op: '==', left: F('x'), right: S('y') } } },
    };
    const p = compileFilter(filter);
    expect(p({ event: { category: 'process' }, process: { name: 'a.exe' }, x: 'z' })).toBe(true);
    expect(p({ event: { category: 'process' }, process: { name: 'a.exe' }, x: 'y' })).toBe(false);
    expect(p({ event: { category: 'file' }, process: { name: 'a.exe' }, x: 'z' })).toBe(false);
  });
  it('rejects an unknown function at compile time with a coded error', () => {
    expect(() => compileExpr({ type: 'call', name: 'arraySearch', insensitive: false, args: [] })).toThrow(/HW_ERR_EQL_UNKNOWN_FUNCTION/);
  });
});

describe('document shapes', () => {
  const shapes = {
    nested: { event: { category: ['process'] }, process: { parent: { name: 'cmd.exe' } } },
    flattened: { 'event.category': ['process'], 'process.parent.name': 'cmd.exe' },
    mixedTop: { event: { category: 'process' }, 'process.parent': { name: 'cmd.exe' } },
    mixedInner: { 'event.category': 'process', process: { 'parent.name': 'cmd.exe' } },
    arrayOfObjects: { event: { category: ['process'] }, process: { parent: [{ name: 'x.exe' }, { name: 'cmd.exe' }] } },
  };
  for (const [shape, doc] of Object.entries(shapes)) {
    it(`reads dotted paths on ${shape} documents`, () => {
      expect(matches('process where process.parent.name == "cmd.exe"', doc)).toBe(true);
      expect(matches('process where process.parent.name == "other.exe"', doc)).toBe(false);
    });
  }
  it('collects values from every shape at once and flattens nested arrays', () => {
    expect(fieldValues({ a: { b: [1, [2, null]] }, 'a.b': 3 }, 'a.b').sort()).toEqual([1, 2, 3]);
    expect(compileExpr(F('a.b'))({ a: { b: [[1], [2]] } })).toEqual([1, 2]);
  });
  it('objects and non-object documents are null, never errors', () => {
    expect(compileExpr(F('process'))({ process: { name: 'x' } })).toBe(null);
    expect(compileExpr(F('a.b'))(null)).toBe(null);
    expect(compileExpr(F('a.b'))('text')).toBe(null);
    expect(compileExpr(F('constructor'))({})).toBe(null);
    expect(compileExpr(F('a.toString'))({ a: {} })).toBe(null);
  });
  it('finds a value behind a dotted key anywhere off the nested path', () => {
    const read = compileExpr(F('a.b.c.d'));
    expect(read({ a: { b: {} }, 'a.b': { c: { d: 1 } } })).toBe(1);
    expect(read({ a: { b: { c: null } }, 'a.b.c.d': 2 })).toBe(2);
    expect(read({ a: { b: { c: { d: null } } }, a_: 1, 'a.b.c.d': 3 })).toBe(3);
    expect(read({ a: { 'b.c': { d: 4 } } })).toBe(4);
    expect(read({ a: { b: { 'c.d': 5 } } })).toBe(5);
    expect(read({ a: { b: { c: {} } } })).toBe(null);
    // Decision: when a document carries the same field both nested and flattened, the nested copy wins.
    expect(read({ a: { b: { c: { d: [6, 7] } } }, 'a.b': { c: { d: 8 } } })).toEqual([6, 7]);
  });
  it('reads a field whose flattened key sits beside a nested sibling', () => {
    expect(cond('process.pe.original_file_name == "reg.exe"', { process: { name: 'x', 'pe.original_file_name': 'reg.exe' } })).toBe(true);
  });
});

describe('event category', () => {
  it('any value of an array category; any matches everything', () => {
    expect(matches('network where true', { event: { category: ['process', 'network'] } })).toBe(true);
    expect(matches('file where true', { event: { category: ['process', 'network'] } })).toBe(false);
    expect(matches('any where true', { nothing: 1 })).toBe(true);
    expect(matches('process where true', {})).toBe(false);
  });
  it('is case-sensitive and exact', () => {
    expect(matches('process where true', { event: { category: 'Process' } })).toBe(false);
  });
  it('honours eventCategoryField and aliases (ES QA: event.category is an alias of event_type)', () => {
    expect(matches('process where true', { event_type: 'process' }, { eventCategoryField: 'event_type' })).toBe(true);
    expect(matches('process where true', { event_type: 'process' }, { aliases: { 'event.category': 'event_type' } })).toBe(true);
    expect(matches('"my-cat" where true', { event: { category: 'my-cat' } })).toBe(true);
  });
});

describe('aliases and mapping types', () => {
  it('resolves field aliases', () => {
    expect(cond('event.seq == 3', { seq_no: 3 }, { aliases: { 'event.seq': 'seq_no' } })).toBe(true);
    expect(cond('event.seq == 3', { event: { seq: 3 } }, { aliases: { 'event.seq': 'seq_no' } })).toBe(null);
  });
  it('coerces values to the mapped type like ES indexing does', () => {
    const types = { fieldTypes: { pid: 'long', code: 'keyword', ratio: 'double', flag: 'boolean' } };
    expect(cond('pid == 42', { pid: '42' }, types)).toBe(true);
    expect(cond('code == "4688"', { code: 4688 }, types)).toBe(true);
    expect(cond('flag == true', { flag: 'true' }, types)).toBe(true);
    expect(compileExpr(parseExpression('string(ratio)'), types)({ ratio: 2 })).toBe('2.0');
    expect(compileExpr(parseExpression('ratio / 4'), types)({ ratio: 2 })).toBe(0.5);
    expect(compileExpr(parseExpression('pid / 4'), types)({ pid: 2 })).toBe(0);
  });
  it('untyped JSON: a string never equals a number', () => {
    expect(cond('code == "4688"', { code: 4688 })).toBe(null);
    expect(cond('code == 4688', { code: '4688' })).toBe(null);
  });
  it('substitutes null_value for an explicit null, not for a missing field', () => {
    const opts = { nullValues: { f: 'NULL' }, fieldTypes: { f: 'keyword' } };
    expect(cond('?f == "NULL"', { f: null }, opts)).toBe(true);
    expect(cond('?f == null', { f: null }, opts)).toBe(false);
    expect(cond('?f == null', {}, opts)).toBe(true);
    expect(cond('?f == "x"', { f: 'x' }, opts)).toBe(true);
  });
});

describe('date fields (ES rounding of partial date literals)', () => {
  const date = { fieldTypes: { '@timestamp': 'date' } };
  const nanos = { fieldTypes: { '@timestamp': 'date_nanos' } };
  const at = (ts: unknown) => ({ '@timestamp': ts });
  it('== on a literal without millis covers the whole second', () => {
    expect(cond('@timestamp == "2017-08-30T20:47:33Z"', at('2017-08-30T20:47:33.512Z'), date)).toBe(true);
    expect(cond('@timestamp == "2017-08-30T20:47:33Z"', at('2017-08-30T20:47:34.000Z'), date)).toBe(false);
    expect(cond('@timestamp != "2017-08-30T20:47:33Z"', at('2017-08-30T20:47:34.000Z'), date)).toBe(true);
  });
  it('< rounds down, > rounds up, <= and >= include the covered range', () => {
    expect(cond('@timestamp < "2017-08-30T20:47:32Z"', at('2017-08-30T20:47:31.999Z'), date)).toBe(true);
    expect(cond('@timestamp < "2017-08-30T20:47:32Z"', at('2017-08-30T20:47:32.100Z'), date)).toBe(false);
    expect(cond('@timestamp > "2017-08-30T20:47:32Z"', at('2017-08-30T20:47:32.999Z'), date)).toBe(false);
    expect(cond('@timestamp >= "2017-08-30T20:47:32Z"', at('2017-08-30T20:47:32.000Z'), date)).toBe(true);
    expect(cond('@timestamp <= "2017-08-30"', at('2017-08-30T23:59:59.999Z'), date)).toBe(true);
    expect(cond('"2017-08-30T20:47:32Z" > @timestamp', at('2017-08-30T20:47:31.000Z'), date)).toBe(true);
  });
  it('epoch millis numbers and strings', () => {
    expect(cond('@timestamp == 1516116808349', at(1516116808349), date)).toBe(true);
    expect(cond('@timestamp > 1516116808349', at('1516116808350'), date)).toBe(true);
  });
  it('date_nanos keeps nanoseconds', () => {
    expect(cond('@timestamp == "1974-03-03T02:22:54.294365140Z"', at('1974-03-03T02:22:54.294365140Z'), nanos)).toBe(true);
    expect(cond('@timestamp == "1974-03-03T02:22:54.294365140Z"', at('1974-03-03T02:22:54.294365141Z'), nanos)).toBe(false);
    expect(cond('@timestamp == "1974-03-02T19:53:16.510Z"', at('1974-03-02T19:53:16.510999999Z'), nanos)).toBe(true);
  });
  it('a literal that is no date is a coded error', () => {
    expect(() => compileCondition(parseExpression('@timestamp == "yesterday"'), date)).toThrow(/HW_ERR_EQL_BAD_ARGUMENT/);
  });
});

describe('version fields', () => {
  const v = { fieldTypes: { version: 'version' } };
  it('order by semver, pre-releases before releases, invalid versions after valid ones', () => {
    expect(cond('version > "1.5.0"', { version: '1.11.3' }, v)).toBe(true);
    expect(cond('version < "1.5.0"', { version: '1.2.4-SNAPSHOT' }, v)).toBe(true);
    expect(cond('version < "1.2.4"', { version: '1.2.4-SNAPSHOT' }, v)).toBe(true);
    expect(cond('version < "1.5.0"', { version: 'bad' }, v)).toBe(false);
    expect(cond('version == "bad"', { version: 'bad' }, v)).toBe(true);
    expect(cond('version > "1.5.0"', { version: '1.11.3' })).toBe(false); // untyped: plain strings
  });
});

describe('compileExpr values', () => {
  it('returns scalars, null for missing, arrays for multi-valued fields', () => {
    expect(compileExpr(F('a'))({ a: 'x' })).toBe('x');
    expect(compileExpr(F('a'))({})).toBe(null);
    expect(compileExpr(F('a'))({ a: ['x', null, 'y'] })).toEqual(['x', 'y']);
    expect(compileExpr(F('a'))({ a: [null] })).toBe(null);
    expect(compileExpr(parseExpression('a + 1'))({ a: [1, 2] })).toEqual([2, 3]);
  });
  it('folds constant subtrees once, and constant errors surface at compile time', () => {
    expect(compileExpr(parseExpression('(1 + 3) * 2 / (3 - 1)'))({})).toBe(4);
    expect(() => compileExpr(parseExpression('1 / 0'))).toThrow(/HW_ERR_EQL_ARITHMETIC/);
  });
  it('ES QA arithmetic over fields', () => {
    const row = (src: string, id: number) => compileCondition(parseExpression(src))({ serial_event_id: id });
    expect(row('serial_event_id + ((1 + 3) * 2 / (3 - 1)) * 2 == 54', 46)).toBe(true);
    expect(row('-serial_event_id + 100 == 18', 82)).toBe(true);
    expect(row('serial_event_id / 2 == 41', 83)).toBe(true);
    expect(row('serial_event_id / 2.0 == 41', 83)).toBe(false);
    expect(row('serial_event_id % 40 == 2', 82)).toBe(true);
  });
});

describe('three-valued condition values', () => {
  it('a non-boolean value as a condition is unknown; a boolean field is itself', () => {
    expect(cond('?inexistent_field', {})).toBe(null);
    expect(cond('flag', { flag: true })).toBe(true);
    expect(cond('flag', { flag: 'yes' })).toBe(null);
    expect(cond('flag', { flag: [false, true] })).toBe(true);
  });
  it('comparisons between fields work per value (ES rejects them; we evaluate)', () => {
    expect(cond('a == b', { a: 'x', b: ['y', 'x'] })).toBe(true);
    expect(cond('a < b', { a: 1, b: 2 })).toBe(true);
    expect(cond('a == b', { a: 'x' })).toBe(null);
  });
});

describe('adaptive operand order', () => {
  it('after the sample, the reordered filter still gives exactly the closure results', () => {
    const f = filterOf('process where host.os.type == "windows" and event.type == "start" and process.name : "reg.exe" and ?process.pe.original_file_name != "x" and not process.args : "q*"');
    const adaptive = compileFilter(f);
    const reference = compileFilterClosures(f);
    const docs = Array.from({ length: 12_000 }, (_, i) => ({
      event: { category: i % 4 === 0 ? ['file'] : ['process'], type: [i % 3 === 0 ? 'end' : 'start'] },
      host: { os: { type: i % 5 === 0 ? 'linux' : 'windows' } },
      process: {
        name: i % 97 === 0 ? 'REG.exe' : 'svchost.exe',
        args: i % 2 === 0 ? ['reg', 'query'] : ['reg', 'save'],
        ...(i % 7 === 0 ? { pe: { original_file_name: i % 14 === 0 ? 'x' : 'reg.exe' } } : {}),
      },
    }));
    let matched = 0;
    for (const d of docs) {
      const got = adaptive(d);
      expect(got).toBe(reference(d));
      if (got) matched++;
    }
    expect(matched).toBeGreaterThan(0);
  });
});
