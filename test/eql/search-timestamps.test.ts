// Dates as `_eql/search` orders and compares them: ES's default formats, custom Java patterns,
// date vs date_nanos precision, and the ES time units of maxspan.
import { describe, expect, it } from 'vitest';
import { compareInstants, formatIso, parseDate, spanNanos, timeSpanNanos } from '../../detection/eql/timestamps.js';

describe('parseDate', () => {
  it('reads ISO-8601 with offsets and up to nanoseconds, keeping them only for date_nanos', () => {
    expect(parseDate('1974-03-03T02:22:54.294365140Z', undefined, true)).toEqual({ ms: 131509374294, ns: 365140 });
    expect(parseDate('1974-03-03T02:22:54.294365140Z', undefined, false)).toEqual({ ms: 131509374294, ns: 0 });
    expect(parseDate('2022-05-04T14:00:00+02:00', undefined, false)).toEqual({ ms: Date.UTC(2022, 4, 4, 12), ns: 0 });
    expect(parseDate('2022-05-04', undefined, false)).toEqual({ ms: Date.UTC(2022, 4, 4), ns: 0 });
    expect(parseDate('2024-01-01T00:00:01.5Z', undefined, false)).toEqual({ ms: Date.UTC(2024, 0, 1, 0, 0, 1, 500), ns: 0 });
  });

  it('reads epoch millis from numbers and numeric strings, with a fraction as nanoseconds', () => {
    expect(parseDate(1516116808349, undefined, false)).toEqual({ ms: 1516116808349, ns: 0 });
    expect(parseDate('100', undefined, false)).toEqual({ ms: 100, ns: 0 });
    expect(parseDate('131509374294.365140', undefined, true)).toEqual({ ms: 131509374294, ns: 365140 });
    expect(parseDate('131509374294.36514', undefined, true)).toEqual({ ms: 131509374294, ns: 365140 });
  });

  it('honours the mapping format: custom patterns, alternatives, epoch_second', () => {
    expect(parseDate('17-12-2022', 'dd-MM-yyyy', false)).toEqual({ ms: 1671235200000, ns: 0 });
    expect(parseDate('2022-12-17', 'yyyy-MM-dd', false)).toEqual({ ms: 1671235200000, ns: 0 });
    expect(parseDate('2022/12/17 10:30:00', "yyyy/MM/dd HH:mm:ss||epoch_millis", false)).toEqual({ ms: Date.UTC(2022, 11, 17, 10, 30), ns: 0 });
    expect(parseDate('1671235200', 'epoch_second', false)).toEqual({ ms: 1671235200000, ns: 0 });
    expect(parseDate(1671235200, 'epoch_second', false)).toEqual({ ms: 1671235200000, ns: 0 });
    expect(parseDate('17-12-2022', 'yyyy-MM-dd', false)).toBeNull();
    expect(parseDate('not a date', undefined, false)).toBeNull();
    expect(parseDate(null, undefined, false)).toBeNull();
  });
});

describe('instants and spans', () => {
  it('orders by millisecond then nanosecond and measures spans in nanoseconds', () => {
    const a = { ms: 10, ns: 999_999 };
    const b = { ms: 11, ns: 0 };
    expect(compareInstants(a, b)).toBeLessThan(0);
    expect(compareInstants(b, a)).toBeGreaterThan(0);
    expect(spanNanos(a, b)).toBe(1);
  });

  it('converts ES time units', () => {
    expect(timeSpanNanos({ value: 500, unit: 'ms', raw: 'ms' })).toBe(500e6);
    expect(timeSpanNanos({ value: 2, unit: 'm', raw: 'm' })).toBe(120e9);
    expect(timeSpanNanos({ value: 1, unit: 'd', raw: 'd' })).toBe(86_400e9);
    expect(timeSpanNanos({ value: 3, unit: 'micros', raw: 'micros' })).toBe(3000);
  });

  it('formats like strict_date_optional_time, with nanos only when present', () => {
    expect(formatIso({ ms: 0, ns: 0 })).toBe('1970-01-01T00:00:00.000Z');
    expect(formatIso({ ms: 131509374294, ns: 365140 })).toBe('1974-03-03T02:22:54.294365140Z');
  });
});
