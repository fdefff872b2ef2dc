// The semantic checker: what Elasticsearch rejects in well-formed queries, with code and position.
import { describe, expect, it } from 'vitest';
import { EqlError, EqlSemanticError } from '../../detection/eql/errors.js';
import { FUNCTIONS, lookupFunction } from '../../detection/eql/functions.js';
import { parseAndCheckExpression, parseQuery } from '../../detection/eql/parser.js';

function rejects(query: string): EqlError {
  try {
    parseQuery(query);
  } catch (err) {
    if (err instanceof EqlSemanticError) return err;
    throw err;
  }
  throw new Error(`expected a semantic error for: ${query}`);
}

const where = (cond: string) => `process where ${cond}`;

describe('function signatures', () => {
  it('lists every function of the ES EQL reference, looked up in any case', () => {
    expect(FUNCTIONS.map((f) => f.name)).toEqual([
      'add',
      'between',
      'cidrMatch',
      'concat',
      'divide',
      'endsWith',
      'indexOf',
      'length',
      'modulo',
      'multiply',
      'number',
      'startsWith',
      'string',
      'stringContains',
      'substring',
      'subtract',
    ]);
    expect(lookupFunction('STARTSWITH')?.name).toBe('startsWith');
    expect(lookupFunction('arrayContains')).toBeUndefined();
    expect(FUNCTIONS.filter((f) => f.caseInsensitive).map((f) => f.name)).toEqual([
      'between',
      'endsWith',
      'indexOf',
      'startsWith',
      'stringContains',
    ]);
  });

  it('accepts every function at its arity bounds', () => {
    const ok = [
      'add(1, 2) == 3',
      'between(a, "x", "y") == "z"',
      'between~(a, "x", "y", true) == "z"',
      'cidrMatch(ip, "10.0.0.0/8")',
      'cidrMatch(ip, "10.0.0.0/8", "fd00::/8", "192.168.0.0/16")',
      'concat(a) == "x"',
      'concat(a, 1, true, null) == "x"',
      'divide(a, 2) == 1',
      'endsWith~(a, "x")',
      'indexOf(a, "x") == 1',
      'indexOf~(a, "x", 2) == 1',
      'length(a) > 1',
      'modulo(a, 2) == 1',
      'multiply(a, 2) == 1',
      'number(a) == 1',
      'number(a, 16) == 1',
      'startsWith(a, "x")',
      'string(a) == "1"',
      'stringContains~(a, "x")',
      'substring(a, 1) == "x"',
      'substring(a, -3, -1) == "x"',
      'subtract(a, 1) == 1',
    ];
    for (const c of ok) expect(() => parseQuery(where(c)), c).not.toThrow();
  });

  it('rejects unknown functions, wrong arity and ~ where ES has none', () => {
    expect(rejects(where('arrayContains(a, "x")')).message).toBe('line 1:15: Unknown function [arrayContains]');
    expect(rejects(where('length(a, b) > 1')).message).toBe(
      'line 1:15: function [length] takes exactly 1 argument but got 2',
    );
    expect(rejects(where('between(a, "x") == ""')).message).toMatch(/\[between\] takes 3 to 4 arguments but got 2/);
    expect(rejects(where('cidrMatch(ip)')).message).toMatch(/\[cidrMatch\] takes at least 2 arguments but got 1/);
    expect(rejects(where('concat() == ""')).message).toMatch(/\[concat\] takes at least 1/);
    expect(rejects(where('length~(a) > 1')).message).toMatch(/\[length\] has no case-insensitive form/);
    expect(rejects(where('add~(1, 2) == 3')).code).toBe('HW_ERR_EQL_SEMANTIC');
  });

  it('rejects literal arguments of the wrong type and fields where ES wants constants', () => {
    expect(rejects(where('startsWith(a, 1)')).message).toBe(
      'line 1:29: argument 2 of [startsWith] must be a string, found a number [1]',
    );
    expect(rejects(where('add(a, "1") == 2')).message).toMatch(/argument 2 of \[add\] must be a number/);
    expect(rejects(where('substring(a, 1.5) == ""')).message).toMatch(/argument 2 of \[substring\] must be an integer/);
    expect(rejects(where('cidrMatch(ip, b)')).message).toMatch(/argument 2 of \[cidrMatch\] must be a constant/);
    expect(rejects(where('between(a, "x", "y", b) == ""')).message).toMatch(/must be a constant/);
    expect(() => parseQuery(where('startsWith(a, null)'))).not.toThrow();
    expect(() => parseQuery(where('startsWith(concat(a, 1), string(2))'))).not.toThrow();
  });
});

describe('operators', () => {
  it('rejects comparing a field with a field, even through functions or arithmetic', () => {
    expect(rejects(where('process.parent.name == process.name')).message).toBe(
      'line 1:38: Comparisons against fields are not (currently) supported; offender [process.name] in [process.parent.name == process.name]',
    );
    expect(rejects(where('length(a) < length(b)')).code).toBe('HW_ERR_EQL_SEMANTIC');
    expect(rejects(where('a == b + 1')).code).toBe('HW_ERR_EQL_SEMANTIC');
    expect(rejects(where('a in ("x", b)')).message).toMatch(/offender \[b\]/);
  });

  it('allows literals on either side and optional fields ES may fold to null', () => {
    for (const c of ['1 == a', 'a + 1 == 2', 'a in (1, -1, 1 + 1)', '?x == ?y', 'a == ?y', 'null == (a > -1)']) {
      expect(() => parseQuery(where(c)), c).not.toThrow();
    }
  });

  it('wants string patterns for :, like and regex', () => {
    expect(rejects(where('a : 1')).message).toBe('line 1:19: the pattern of [:] must be a string, found [1]');
    expect(rejects(where('a like~ ("x", null)')).message).toMatch(/\[like~\] must be a string, found \[null\]/);
  });

  it('wants booleans where conditions go, and numbers for arithmetic', () => {
    expect(rejects('process where 1').message).toBe('line 1:15: the condition after [where] must be a boolean condition, found a number [1]');
    expect(rejects(where('a == 1 and "x"')).message).toMatch(/right side of \[and\] must be a boolean/);
    expect(rejects(where('not length(a)')).message).toMatch(/operand of \[not\]/);
    expect(rejects(where('"a" + 1 == 2')).message).toMatch(/arithmetic \[\+\] needs numbers, found a string/);
    expect(() => parseQuery(where('a'))).not.toThrow();
    expect(() => parseQuery(where('true'))).not.toThrow();
  });

  it('rejects comparisons and matches whose literal types clash', () => {
    expect(rejects(where('"a" == 1')).message).toBe(
      'line 1:22: first argument of ["a" == 1] is a string so the second argument must also be a string, but it is a number [1]',
    );
    expect(rejects(where('length(a) < "3"')).code).toBe('HW_ERR_EQL_SEMANTIC');
    expect(rejects(where('length(a) : "3"')).message).toMatch(/\[:\] matches strings, but its left side is a number/);
    for (const c of ['1 == 1.0', 'a == null', 'null == length(a)', '(a == 1) == true', 'string(1) : "1"']) {
      expect(() => parseQuery(where(c)), c).not.toThrow();
    }
  });

  it('checks standalone expressions too', () => {
    expect(() => parseAndCheckExpression('a == b')).toThrow(EqlSemanticError);
    expect(parseAndCheckExpression('a == 1')).toMatchObject({ type: 'compare' });
  });
});

describe('sequences, samples and pipes', () => {
  it('needs two stages counting runs, runs within 1..100', () => {
    expect(() => parseQuery('sequence [a where true] with runs=2')).not.toThrow();
    expect(rejects('sequence [a where true]').message).toBe('line 1:10: A sequence requires a minimum of 2 queries, found [1]');
    expect(rejects('sequence [a where true] with runs=101 [b where true]').message).toBe(
      'line 1:35: A positive runs value between 1 and 100 is required; found [101]',
    );
    expect(rejects('sequence [a where true] with runs=0 [b where true]').code).toBe('HW_ERR_EQL_SEMANTIC');
    expect(() => parseQuery('sequence [a where true] with runs=100 [b where true]')).not.toThrow();
  });

  it('wants the same number of join keys in every stage, and fields as keys', () => {
    expect(rejects('sequence [a where true] by x [b where true]').message).toBe(
      'line 1:30: Inconsistent number of join keys specified; expected [1] but found [0]',
    );
    expect(rejects('sequence [a where true] by x [b where true] by y until [c where true]').code).toBe('HW_ERR_EQL_SEMANTIC');
    expect(rejects('sequence by length(x) [a where true] [b where true]').message).toMatch(/Unsupported join key \[length\(x\)\]/);
    expect(() => parseQuery('sequence by h [a where true] by x [b where true] by y until [c where true] by z')).not.toThrow();
  });

  it('limits missing events to sequences with maxspan and a positive stage', () => {
    expect(() => parseQuery('sequence with maxspan=1h [a where true] ![b where true]')).not.toThrow();
    expect(() => parseQuery('sequence with maxspan=1h ![a where true] [b where true] with runs=2')).not.toThrow();
    expect(rejects('sequence [a where true] ![b where true]').message).toBe(
      'line 1:25: A sequence with missing events [![...]] requires [maxspan]',
    );
    expect(rejects('sequence with maxspan=1h ![a where true] ![b where true]').message).toMatch(/at least one positive/);
    expect(rejects('sequence with maxspan=1h [a where true] [b where true] until ![c where true]').message).toMatch(
      /until\] stage cannot be a missing event/,
    );
    expect(rejects('sample by x [a where true] ![b where true]').message).toMatch(/not supported in samples/);
  });

  it('needs two stages in a sample', () => {
    expect(rejects('sample by x [a where true]').message).toMatch(/A sample requires a minimum of 2 queries, found \[1\]/);
  });

  it('wants one non-negative integer for head and tail, one condition for filter', () => {
    expect(() => parseQuery('process where true | head 0 | tail 5')).not.toThrow();
    expect(rejects('process where true | head -1').message).toBe('line 1:27: Pipe [head] expects a positive integer but found [-1]');
    expect(rejects('process where true | tail 1.5').message).toMatch(/Pipe \[tail\] expects a positive integer/);
    expect(rejects('process where true | head').message).toBe('line 1:22: Pipe [head] expects exactly one argument but found [0]');
    expect(rejects('process where true | head 1, 2').message).toMatch(/exactly one argument but found \[2\]/);
    expect(rejects('process where true | filter 1').message).toMatch(/argument of \[filter\] must be a boolean/);
    expect(rejects('process where true | filter a == b').message).toMatch(/Comparisons against fields/);
  });
});
