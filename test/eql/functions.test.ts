// Function implementations: every function in the parser's signature registry has one, and each behaves
// like Elasticsearch's (examples from ES's function reference and QA suite, with the sheet's errata fixed).
import { describe, expect, it } from 'vitest';
import { compileExpr } from '../../detection/eql/compile.js';
import { FUNCTION_IMPLS, functionImpl } from '../../detection/eql/function-impls.js';
import { FUNCTIONS } from '../../detection/eql/functions.js';
import { parseExpression } from '../../detection/eql/parser.js';
import { javaDoubleToString } from '../../detection/eql/values.js';

const value = (src: string, doc: unknown = {}) => compileExpr(parseExpression(src))(doc);

describe('registry coverage', () => {
  it('every registered function has an implementation, and nothing else is implemented', () => {
    const registered = FUNCTIONS.map((f) => f.name).sort();
    expect(registered.length).toBeGreaterThan(10);
    for (const name of registered) expect(FUNCTION_IMPLS[name], name).toBeDefined();
    expect(Object.keys(FUNCTION_IMPLS).sort()).toEqual(registered);
  });
  it('lookup is case-insensitive like ES; an unknown name is a coded error', () => {
    expect(functionImpl('CIDRMATCH')).toBe(FUNCTION_IMPLS.cidrMatch);
    expect(() => functionImpl('arrayContains')).toThrow(/HW_ERR_EQL_UNKNOWN_FUNCTION/);
  });
  it('each function evaluates through the compiler', () => {
    const calls: Record<string, [string, unknown]> = {
      add: ['add(1, 2)', 3],
      between: ['between("a[b]c", "[", "]")', 'b'],
      cidrMatch: ['cidrMatch("192.168.1.7", "192.168.0.0/16")', true],
      concat: ['concat("a", 1)', 'a1'],
      divide: ['divide(9, 2)', 4],
      endsWith: ['endsWith("abc", "bc")', true],
      indexOf: ['indexOf("abc", "c")', 2],
      length: ['length("abcd")', 4],
      modulo: ['modulo(9, 4)', 1],
      multiply: ['multiply(3, 4)', 12],
      number: ['number("12")', 12],
      startsWith: ['startsWith("abc", "ab")', true],
      string: ['string(12)', '12'],
      stringContains: ['stringContains("abc", "b")', true],
      substring: ['substring("abcdef", 1, 3)', 'bc'],
      subtract: ['subtract(3, 4)', -1],
    };
    for (const f of FUNCTIONS) {
      const c = calls[f.name];
      expect(c, `an example call for ${f.name}`).toBeDefined();
      expect(value(c![0]), c![0]).toEqual(c![1]);
    }
  });
});

describe('ES QA suite behaviours', () => {
  const file = { file_name: 'explorer.exe' };
  it('startsWith / endsWith / stringContains with and without ~', () => {
    expect(value('startsWith(file_name, "explorer.")', file)).toBe(true);
    expect(value('startsWith~(file_name, "expLORER.ExE")', file)).toBe(true);
    expect(value('endsWith~(file_name, "loREr.exe")', file)).toBe(true);
    expect(value('startsWith("explorer.exeaaaaaaaa", file_name)', file)).toBe(true);
    expect(value('stringContains("ABCDEFGHIexplorer.exeJKLMNOP", file_name)', file)).toBe(true);
  });
  it('indexOf', () => {
    expect(value('indexOf~(file_name, "plore")', file)).toBe(2);
    expect(value('indexOf~(file_name, ".pf")', file)).toBe(null);
    expect(value('indexOf(file_name, "plore", 100)', file)).toBe(null);
    expect(value('indexOf(file_name, "plorer.", 2)', file)).toBe(2);
    expect(value('indexOf(file_name, "plorer.", 4)', file)).toBe(null);
    expect(value('indexOf(file_name, "explorer.", 0)', file)).toBe(0);
  });
  it('substring', () => {
    expect(value('substring(file_name, 0, 4)', file)).toBe('expl');
    expect(value('substring(file_name, 1, 3)', file)).toBe('xp');
    expect(value('substring(file_name, -4)', file)).toBe('.exe');
    expect(value('substring(file_name, -4, -1)', file)).toBe('.ex');
  });
  it('between with greedy and ~', () => {
    const p = { process_name: 'System Idle Process' };
    expect(value('between(process_name, "S", "e", true)', p)).toBe('ystem Idle Proc');
    expect(value('between~(process_name, "s", "e", true)', p)).toBe('ystem Idle Proc');
    expect(value('between(process_name, "s", "e", false)', p)).toBe('t');
    expect(value('between(file_path, "dev", ".json", true)', { file_path: 'C:\\dev\\TestLogs\\something.json' })).toBe('\\TestLogs\\something');
    expect(value('length(between(process_name, "g", "z"))', p)).toBe(0);
  });
  it('number and string conversions', () => {
    expect(value('number(string(n))', { n: 17 })).toBe(17);
    expect(value('number(string(n), 16)', { n: 11 })).toBe(17);
    expect(value('number(string(n), 13)', { n: 31 })).toBe(value('number("31", 13)'));
    expect(value('number("not a number")')).toBe(null);
    expect(() => value('number("1", 99)')).toThrow(/HW_ERR_EQL_BAD_ARGUMENT/);
  });
  it('concat with numbers and nulls', () => {
    expect(value('concat(serial_event_id, ":", process_name, opcode)', { serial_event_id: 5, process_name: 'wininit.exe', opcode: 3 })).toBe('5:wininit.exe3');
    expect(value('concat(process_name, null, null)', { process_name: 'x' })).toBe(null);
    expect(value('concat(1.0, 2.5e-5, 1e21)')).toBe('1.02.5E-51.0E21');
  });
  it('arithmetic helpers keep Java kinds', () => {
    expect(value('divide(30, 4.0)')).toBe(7.5);
    expect(value('multiply(6, n)', { n: 5 })).toBe(30);
    expect(value('add(n, 0)', { n: 1 })).toBe(1);
    expect(value('subtract(n, -5)', { n: 1 })).toBe(6);
    expect(value('modulo(11, 10)')).toBe(1);
  });
  it('cidrMatch on IPv4, IPv6 and mapped addresses; a bad block is a coded error', () => {
    expect(value('cidrMatch(ip, "10.6.48.157/8")', { ip: '10.6.48.157' })).toBe(true);
    expect(value('cidrMatch(ip, "0.0.0.0/0")', { ip: '8.8.8.8' })).toBe(true);
    expect(value('cidrMatch(ip, "10.0.0.0/8")', { ip: '::ffff:10.1.2.3' })).toBe(true);
    expect(value('cidrMatch(ip, "2001:db8::/32")', { ip: '2001:db8:0:0:1::1' })).toBe(true);
    expect(value('cidrMatch(ip, "2001:db8::/32")', { ip: '2001:db9::1' })).toBe(false);
    expect(value('cidrMatch(ip, "10.0.0.0/8")', { ip: 'not an ip' })).toBe(false);
    expect(() => value('cidrMatch(ip, "10.0.0.0/33")', { ip: '10.0.0.1' })).toThrow(/HW_ERR_EQL_BAD_ARGUMENT/);
  });
});

describe('multi-valued arguments', () => {
  it('a function runs once per value (cartesian product for several)', () => {
    expect(value('startsWith(args, "x")', { args: ['xa', 'b'] })).toEqual([true, false]);
    expect(value('concat(a, b)', { a: ['1', '2'], b: ['x', 'y'] })).toEqual(['1x', '1y', '2x', '2y']);
  });
});

describe('Java number formatting', () => {
  it('Double.toString', () => {
    expect(javaDoubleToString(1)).toBe('1.0');
    expect(javaDoubleToString(42.5)).toBe('42.5');
    expect(javaDoubleToString(1e7)).toBe('1.0E7');
    expect(javaDoubleToString(0.001)).toBe('0.001');
    expect(javaDoubleToString(0.0001)).toBe('1.0E-4');
    expect(javaDoubleToString(-0)).toBe('-0.0');
    expect(javaDoubleToString(NaN)).toBe('NaN');
  });
});
