// One test per row of the semantics sheet's tables (../shared/docs/eql-semantics.md): §2 case sensitivity,
// §10 functions, and the Elasticsearch column of §12 for every difference the single-event evaluator owns.
// Queries go through the real parser and the compiler.
import { describe, expect, it } from 'vitest';
import { compileCondition, compileExpr, compileFilter } from '../../detection/eql/compile.js';
import { parseExpression, parseQuery } from '../../detection/eql/parser.js';

const cond = (src: string, doc: unknown = {}) => compileCondition(parseExpression(src))(doc);
const value = (src: string, doc: unknown = {}) => compileExpr(parseExpression(src))(doc);
const filter = (src: string, doc: unknown) => {
  const q = parseQuery(src);
  if (q.type !== 'event_query') throw new Error('event query expected');
  return compileFilter(q.filter)(doc);
};

const reg = { f: 'Reg.EXE' };

describe('§2 case sensitivity (field value "Reg.EXE")', () => {
  it('== / != are case-sensitive with no wildcards', () => {
    expect(cond('f == "reg.exe"', reg)).toBe(false);
    expect(cond('f == "Reg.*"', reg)).toBe(false);
    expect(cond('f == "Reg.EXE"', reg)).toBe(true);
    expect(cond('f != "reg.exe"', reg)).toBe(true);
    expect(cond('f == "Reg.*"', { f: 'Reg.*' })).toBe(true);
  });
  it(': is case-insensitive equality with * and ? wildcards and lists', () => {
    expect(cond('f : "reg.exe"', reg)).toBe(true);
    expect(cond('f : ("a", "r?g.*")', reg)).toBe(true);
    expect(cond('f : ("a", "b")', reg)).toBe(false);
  });
  it('like is sensitive, like~ insensitive, both take wildcards and lists', () => {
    expect(cond('f like "Reg.*"', reg)).toBe(true);
    expect(cond('f like "reg.*"', reg)).toBe(false);
    expect(cond('f like~ "reg.*"', reg)).toBe(true);
    expect(cond('f like ("x", "R?g.EXE")', reg)).toBe(true);
  });
  it('regex / regex~ are Lucene regexps, sensitive / insensitive', () => {
    expect(cond('f regex "Reg\\\\.EXE"', reg)).toBe(true);
    expect(cond('f regex "reg\\\\.exe"', reg)).toBe(false);
    expect(cond('f regex~ "reg\\\\.exe"', reg)).toBe(true);
    expect(cond('f regex ("x", "R.*")', reg)).toBe(true);
  });
  it('in / not in are case-sensitive set membership', () => {
    expect(cond('f in ("reg.exe")', reg)).toBe(false);
    expect(cond('f in ("Reg.EXE", "x")', reg)).toBe(true);
    expect(cond('f not in ("reg.exe")', reg)).toBe(true);
  });
  it('in~ / not in~ are case-insensitive membership, still without wildcards', () => {
    expect(cond('f in~ ("reg.exe")', reg)).toBe(true);
    expect(cond('f not in~ ("reg.exe")', reg)).toBe(false);
    expect(cond('f in~ ("reg.*")', reg)).toBe(false);
  });
  it('< <= > >= on strings are case-sensitive lexicographic ("B" < "a")', () => {
    expect(cond('"a" < "B"')).toBe(false);
    expect(cond('"B" < "a"')).toBe(true);
    expect(cond('f >= "Reg"', reg)).toBe(true);
  });
  it('string functions are sensitive; ~ makes them insensitive', () => {
    expect(cond('startsWith(f, "reg")', reg)).toBe(false);
    expect(cond('startsWith~(f, "reg")', reg)).toBe(true);
  });
});

describe('§3 wildcards', () => {
  it('match the whole string', () => {
    expect(cond('f : "doc*"', { f: 'docs' })).toBe(true);
    expect(cond('f : "doc*"', { f: 'a doc' })).toBe(false);
    expect(cond('f : "d?c"', { f: 'doc' })).toBe(true);
    expect(cond('f : "d?c"', { f: 'dc' })).toBe(false);
  });
  it('treat backslashes as literal characters', () => {
    expect(cond('f : "C:\\\\Windows\\\\*.exe"', { f: 'C:\\Windows\\notepad.exe' })).toBe(true);
    expect(cond('f : """C:\\Windows\\*.exe"""', { f: 'c:\\windows\\NOTEPAD.exe' })).toBe(true);
    expect(cond('f : "C:\\\\Windows\\\\*.exe"', { f: 'C:/Windows/notepad.exe' })).toBe(false);
  });
});

describe('§4 Lucene regex', () => {
  it('is anchored to the whole string and has no shorthand classes', () => {
    expect(cond('f regex "re"', { f: 'REG.exe' })).toBe(false);
    expect(cond('f regex~ "re"', { f: 'REG.exe' })).toBe(false);
    expect(cond('f regex~ "re.*"', { f: 'REG.exe' })).toBe(true);
    expect(cond('f regex """\\d+"""', { f: '123' })).toBe(false);
    expect(cond('f regex """\\d+"""', { f: 'ddd' })).toBe(true);
    expect(cond('f regex "[0-9]+"', { f: '123' })).toBe(true);
  });
});

describe('§5 strings', () => {
  it('"hklm\\\\sam" and """hklm\\sam""" are the same value', () => {
    expect(cond('f == "hklm\\\\sam"', { f: 'hklm\\sam' })).toBe(true);
    expect(cond('f == """hklm\\sam"""', { f: 'hklm\\sam' })).toBe(true);
  });
  it('\\u{XXXX} escapes', () => {
    expect(cond('f == "a\\u{200f}b"', { f: 'a\u200fb' })).toBe(true);
  });
});

describe('§6 optional fields', () => {
  it('a missing ?field is null', () => {
    expect(cond('?missing == null')).toBe(true);
    expect(cond('?missing == "x"')).toBe(null);
    expect(cond('?missing == "x" or f == "Reg.EXE"', reg)).toBe(true);
  });
});

describe('§7 null handling', () => {
  it('== null / != null test existence', () => {
    expect(cond('f == null')).toBe(true);
    expect(cond('f != null')).toBe(false);
    expect(cond('f == null', reg)).toBe(false);
    expect(cond('f != null', reg)).toBe(true);
    expect(cond('null == null')).toBe(true);
  });
  it('other comparisons, arithmetic and calls with null give null', () => {
    expect(cond('f > 1')).toBe(null);
    expect(value('f + 1')).toBe(null);
    expect(value('length(f)')).toBe(null);
  });
  it('Kleene and/or/not', () => {
    expect(cond('false and f > 1')).toBe(false);
    expect(cond('true or f > 1')).toBe(true);
    expect(cond('f > 1 and true')).toBe(null);
    expect(cond('not (f > 1)')).toBe(null);
  });
  it('a null condition does not match; exit_code examples', () => {
    expect(filter('process where exit_code >= 0', { event: { category: 'process' } })).toBe(false);
    expect(filter('process where exit_code >= 0', { event: { category: 'process' }, exit_code: 0 })).toBe(true);
    expect(filter('process where null == (exit_code > -1)', { event: { category: 'process' } })).toBe(true);
    expect(filter('process where null == (exit_code > -1)', { event: { category: 'process' }, exit_code: 3 })).toBe(false);
    expect(filter('process where not (fake_field == "*")', { event: { category: 'process' } })).toBe(false);
  });
});

describe('§8 numbers', () => {
  it('ints and floats compare numerically', () => {
    expect(cond('1 == 1.0')).toBe(true);
    expect(cond('n < 4.5', { n: 4 })).toBe(true);
  });
  it('int op int is int, with a float it is a float', () => {
    expect(value('7 / 2')).toBe(3);
    expect(value('-7 / 2')).toBe(-3);
    expect(value('7 / 2.0')).toBe(3.5);
    expect(value('n / 2', { n: 83 })).toBe(41);
    expect(value('66.0 / n', { n: 66 })).toBe(1);
  });
  it('% takes the sign of the dividend', () => {
    expect(value('modulo(10, -6)')).toBe(4);
    expect(value('modulo(-10, -6)')).toBe(-4);
    expect(value('-10 % 6')).toBe(-4);
  });
  it('integer division by zero and long overflow are errors', () => {
    expect(() => value('n / 0', { n: 1 })).toThrow(/HW_ERR_EQL_ARITHMETIC/);
    expect(() => value('n % 0', { n: 1 })).toThrow(/HW_ERR_EQL_ARITHMETIC/);
    expect(() => value('n * 9223372036854775807', { n: 2 })).toThrow(/overflow/);
    expect(value('n / 0.0', { n: 1 })).toBe(Infinity);
  });
});

describe('§9 multi-valued fields', () => {
  const doc = { process: { args: ['reg.exe', 'SAVE', 'hklm\\sam'] }, event: { type: ['start', 'process_started'] } };
  it('a comparison is true when any value satisfies it', () => {
    expect(cond('process.args : ("save", "export")', doc)).toBe(true);
    expect(cond('event.type == "start"', doc)).toBe(true);
    expect(cond('process.args in ("SAVE")', doc)).toBe(true);
    expect(cond('process.args like~ "HKLM*"', doc)).toBe(true);
  });
  it('each use of a field iterates on its own', () => {
    expect(cond('f == "a" and f == "b"', { f: ['a', 'b'] })).toBe(true);
  });
  it('functions run once per value', () => {
    expect(cond('startsWith(process.args, "hklm")', doc)).toBe(true);
    expect(cond('length(process.args) > 7', doc)).toBe(true);
    expect(cond('length(process.args) > 9', doc)).toBe(false);
  });
  it('negations mean "no value matches"', () => {
    expect(cond('f != "a"', { f: ['a', 'b'] })).toBe(false);
    expect(cond('not f : "A"', { f: ['a', 'b'] })).toBe(false);
    expect(cond('f not in ("a")', { f: ['a', 'b'] })).toBe(false);
    expect(cond('f != "c"', { f: ['a', 'b'] })).toBe(true);
  });
  it('decision: a missing field under a negation is null (three-valued), not a match', () => {
    expect(cond('f != "a"')).toBe(null);
    expect(cond('not f : "a"')).toBe(null);
    expect(cond('f not in ("a")')).toBe(null);
  });
  it('an empty array is a missing field', () => {
    expect(cond('f == null', { f: [] })).toBe(true);
    expect(cond('f == "a"', { f: [] })).toBe(null);
  });
});

describe('§10 functions', () => {
  it('add / subtract / multiply take two numbers; null gives null', () => {
    expect(value('add(4, 0.5)')).toBe(4.5);
    expect(value('subtract(1, -5)')).toBe(6);
    expect(value('multiply(6, 5)')).toBe(30);
    expect(value('add(n, 1)')).toBe(null);
  });
  it('divide truncates int/int', () => {
    expect(value('divide(4, 3)')).toBe(1);
    expect(value('divide(4, 3.0)')).toBeCloseTo(1.3333333, 6);
    expect(value('divide(-7, 2)')).toBe(-3);
    expect(() => value('divide(n, 0)', { n: 4 })).toThrow(/HW_ERR_EQL_ARITHMETIC/);
  });
  it('modulo is the Java remainder', () => {
    expect(value('modulo(10, 6)')).toBe(4);
    expect(value('modulo(10, -6)')).toBe(4);
    expect(value('modulo(-10, -6)')).toBe(-4);
  });
  it('between: not found and empty source give "", null source gives null, greedy, ~', () => {
    expect(value('between("C:\\\\Windows\\\\System32\\\\cmd.exe", "System32\\\\", ".exe")')).toBe('cmd');
    expect(value('between("a.b.c.d", ".", ".", true)')).toBe('b.c');
    expect(value('between("a.b.c.d", ".", ".")')).toBe('b');
    expect(value('between("abc", "x", "c")')).toBe('');
    expect(value('between("", "x", "c")')).toBe('');
    expect(value('between(f, "x", "c")')).toBe(null);
    expect(value('between~("System Idle Process", "s", "E")')).toBe('yst');
  });
  it('cidrMatch: IPv4 and IPv6, several blocks, null gives null', () => {
    expect(value('cidrMatch("10.6.48.157", "10.6.48.157/8")')).toBe(true);
    expect(value('cidrMatch("10.6.48.157", "192.168.0.0/16")')).toBe(false);
    expect(value('cidrMatch("10.6.48.157", "192.168.0.0/16", "10.0.0.0/8")')).toBe(true);
    expect(value('cidrMatch("fd00::1", "fd00::/8")')).toBe(true);
    expect(value('cidrMatch("fe80::1", "fd00::/8")')).toBe(false);
    expect(value('cidrMatch(ip, "10.0.0.0/8")')).toBe(null);
  });
  it('concat stringifies; any null gives null', () => {
    expect(value('concat("a", 42.5, true)')).toBe('a42.5true');
    expect(value('concat("a", f)')).toBe(null);
  });
  it('endsWith / startsWith: sensitive, "" ends "", null gives null, ~ insensitive', () => {
    expect(value('endsWith("", "")')).toBe(true);
    expect(value('endsWith("regsvr32.exe", ".EXE")')).toBe(false);
    expect(value('endsWith~("regsvr32.exe", ".EXE")')).toBe(true);
    expect(value('startsWith(f, "x")')).toBe(null);
  });
  it('indexOf: start, negative start is 0, start past the end / null start / not found give null', () => {
    expect(value('indexOf("hello", "l")')).toBe(2);
    expect(value('indexOf("hello", "l", 3)')).toBe(3);
    expect(value('indexOf("hello", "l", -2)')).toBe(2);
    expect(value('indexOf("hello", "")')).toBe(0);
    expect(value('indexOf("hello", "", 2)')).toBe(2);
    expect(value('indexOf("hello", "l", 9)')).toBe(null);
    expect(value('indexOf("hello", "z")')).toBe(null);
    expect(value('indexOf("hello", "l", n)')).toBe(null);
    expect(value('indexOf~("subdomain.example.com", "D")')).toBe(3);
  });
  it('length counts a string; null gives null', () => {
    expect(value('length("abc")')).toBe(3);
    expect(value('length(f)')).toBe(null);
  });
  it('number: decimal, float, auto-hex, signs, whitespace, base, null base', () => {
    expect(value('number("1337")')).toBe(1337);
    expect(value('number("42.5")')).toBe(42.5);
    expect(value('number("0xdeadbeef")')).toBe(0xdeadbeef);
    expect(value('number("+1337")')).toBe(1337);
    expect(value('number("-1337")')).toBe(-1337);
    expect(value('number("  12 ")')).toBe(12);
    expect(value('number("0x32", 16)')).toBe(50);
    expect(value('number("32", 16)')).toBe(50);
    expect(value('number("17", null)')).toBe(17);
  });
  it('string formats like Java', () => {
    expect(value('string(42.5)')).toBe('42.5');
    expect(value('string(true)')).toBe('true');
    expect(value('string(42.0)')).toBe('42.0');
    expect(value('string(f)')).toBe(null);
  });
  it('stringContains: sensitive, empty substring is false, ~ insensitive', () => {
    expect(value('stringContains("regsvr32.exe", "svr")')).toBe(true);
    expect(value('stringContains("regsvr32.exe", "SVR")')).toBe(false);
    expect(value('stringContains("regsvr32.exe", "")')).toBe(false);
    expect(value('stringContains~("cmd /c Regsvr32", "regsvr32")')).toBe(true);
  });
  it('substring: end exclusive, negative offsets from the end, past the end gives ""', () => {
    expect(value('substring("start regsvr32.exe", -4)')).toBe('.exe');
    expect(value('substring("start regsvr32.exe", -4, -1)')).toBe('.ex');
    expect(value('substring("start regsvr32.exe", 0, 5)')).toBe('start');
    expect(value('substring("abc", 10)')).toBe('');
    expect(value('substring("abc", 2, 1)')).toBe('');
  });
});

describe('§12 differences: the Elasticsearch column', () => {
  it('1 == / != on strings are case-sensitive', () => expect(cond('"a" == "A"')).toBe(false));
  it('2 * in == is a literal character', () => expect(cond('f == "a*"', { f: 'abc' })).toBe(false));
  it('3 : is insensitive equality with wildcards', () => expect(cond('f : "A*"', { f: 'abc' })).toBe(true));
  it('4 like/regex/in sensitive, ~ variants insensitive', () => {
    expect(cond('f like "A*"', { f: 'abc' })).toBe(false);
    expect(cond('f regex~ "A.C"', { f: 'abc' })).toBe(true);
    expect(cond('f in~ ("ABC")', { f: 'abc' })).toBe(true);
  });
  it('5 both * and ? are wildcards', () => expect(cond('f : "a?c"', { f: 'abc' })).toBe(true));
  it('6 Lucene regex, whole string', () => expect(cond('f regex "b"', { f: 'abc' })).toBe(false));
  it('7 in is sensitive', () => expect(cond('f in ("ABC")', { f: 'abc' })).toBe(false));
  it('8 string ordering is case-sensitive', () => expect(cond('"a" > "B"')).toBe(true));
  it('10 an array field matches when any value does', () => expect(cond('f == "b"', { f: ['a', 'b'] })).toBe(true));
  it('11 negation on arrays: no value matches', () => expect(cond('f != "b"', { f: ['a', 'b'] })).toBe(false));
  it('15 string functions are case-sensitive by default', () => expect(cond('endsWith(f, "C")', { f: 'abc' })).toBe(false));
  it('16/17 ?field and an unknown field are null at run time (we have no mapping)', () => {
    expect(cond('?nope == null')).toBe(true);
    expect(cond('nope == null')).toBe(true);
  });
  it('19 integer / truncates', () => expect(value('-7 / 2')).toBe(-3));
  it('20 % has the sign of the dividend', () => expect(value('10 % -6')).toBe(4));
  it('21 division by zero is an error', () => expect(() => value('n / 0', { n: 1 })).toThrow());
  it('22 long overflow is an error', () => expect(() => value('n + 9223372036854775807', { n: 9223372036854775807 })).toThrow(/overflow/));
  it('23 number() trims whitespace', () => expect(value('number("  12 ")')).toBe(12));
  it('24 indexOf: null start is null, negative start is 0', () => {
    expect(value('indexOf("hello", "l", n)')).toBe(null);
    expect(value('indexOf("hello", "l", -2)')).toBe(2);
  });
  it('25 between not found is ""', () => expect(value('between("abc", "x", "y")')).toBe(''));
  it('26 stringContains(x, "") is false', () => expect(value('stringContains("abc", "")')).toBe(false));
  it('27 cidrMatch(null, ...) is null', () => expect(value('cidrMatch(ip, "10.0.0.0/8")')).toBe(null));
  it('28 length() takes strings: on an array it is per value', () => expect(value('length(f)', { f: ['ab', 'abc'] })).toEqual([2, 3]));
  it('32 the event category is event.category, any value', () => {
    expect(filter('process where true', { event: { category: ['network', 'process'] } })).toBe(true);
    expect(filter('process where true', { event_type: 'process' })).toBe(false);
    expect(filter('any where true', {})).toBe(true);
  });
  // Rows the query checker owns: Elasticsearch rejects these queries, so the engine does too.
  it('9 field-to-field comparison is an error', () => expect(() => parseQuery('process where process.parent.name == process.name')).toThrow(/fields/));
  it("12 only \"...\" and \"\"\"...\"\"\" strings: '...' and ?\"...\" are rejected", () => {
    expect(() => parseQuery("process where f == 'x'")).toThrow();
    expect(() => parseQuery('process where f == ?"x"')).toThrow();
  });
  it('13 = is not equality', () => expect(() => parseQuery('process where f = "x"')).toThrow(/==/));
  it('14 ~ only on the case-aware string functions', () => {
    expect(() => parseQuery('process where length~(f) > 1')).toThrow();
    expect(() => parseQuery('process where startsWith~(f, "x")')).not.toThrow();
  });
  it('29 endgame-only functions do not exist', () => expect(() => parseQuery('process where arrayContains(f, "x")')).toThrow(/Unknown function/));
  it('35 !: is not an operator', () => expect(() => parseQuery('process where f !: "x"')).toThrow());
  it('34 @timestamp is a bare field name', () => expect(cond('@timestamp != null', { '@timestamp': '2024-01-01T00:00:00Z' })).toBe(true));
});

describe('§13 worked example: the target rule', () => {
  const q = `process where host.os.type == "windows" and event.type == "start" and
    (?process.pe.original_file_name == "reg.exe" or process.name : "reg.exe") and
    process.args : ("save", "export") and
    process.args : ("hklm\\\\sam", "hklm\\\\security")`;
  const base = {
    event: { category: ['process'], type: ['start'] },
    host: { os: { type: 'windows' } },
    process: { name: 'REG.EXE', args: ['reg.exe', 'SAVE', 'HKLM\\SAM', 'C:\\t\\sam'] },
  };
  it('matches reg.exe by name in any case', () => expect(filter(q, base)).toBe(true));
  it('original_file_name == "reg.exe" is case-sensitive; missing is null and the or falls to process.name', () => {
    expect(filter(q, { ...base, process: { ...base.process, name: 'x.exe', pe: { original_file_name: 'REG.EXE' } } })).toBe(false);
    expect(filter(q, { ...base, process: { ...base.process, name: 'x.exe', pe: { original_file_name: 'reg.exe' } } })).toBe(true);
  });
  it('host.os.type is exact; an arg must be a whole token', () => {
    expect(filter(q, { ...base, host: { os: { type: 'Windows' } } })).toBe(false);
    expect(filter(q, { ...base, process: { ...base.process, args: ['reg', 'save', 'HKLM\\SAM\\'] } })).toBe(false);
  });
});
