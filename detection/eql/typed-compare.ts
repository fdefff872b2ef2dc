// Comparisons that depend on the field's mapping type: `date`/`date_nanos` (ES parses the literal as a date
// and rounds a partial one to a range, so `@timestamp == "2017-08-30T20:47:33Z"` is the whole second) and
// `version` (semantic-version order, non-semver values after all valid ones).
import { compareInstants, parseDate, type Instant } from './timestamps.js';

export const DATE_TYPES = new Set(['date', 'date_nanos']);

/** A date literal as the range it denotes at the field's resolution: [lo, hi]. */
export interface DateRange {
  lo: Instant;
  hi: Instant;
}

const ISO_PARTS =
  /^[+-]?\d{4,9}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2}([.,](\d{1,9}))?)?)?)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/;

function addNanos(t: Instant, nanos: number): Instant {
  const total = t.ns + nanos;
  const carryMs = Math.floor(total / 1e6);
  return { ms: t.ms + carryMs, ns: total - carryMs * 1e6 };
}

/** The last instant covered by an ISO literal, at ms (date) or ns (date_nanos) resolution. */
function roundUp(lo: Instant, literal: string, nanos: boolean): Instant {
  const m = ISO_PARTS.exec(literal.trim());
  if (!m) return lo;
  const resolution = nanos ? 1 : 1e6;
  if (m[7] !== undefined) {
    const unit = 10 ** (9 - m[7].length);
    return addNanos(lo, Math.max(unit - resolution, 0));
  }
  if (m[5] !== undefined) return addNanos(lo, 1e9 - resolution);
  if (m[4] !== undefined) return addNanos(lo, 60e9 - resolution);
  if (m[3] !== undefined) return addNanos(lo, 3600e9 - resolution);
  // A date without time, a month or a year: round to the end of that calendar unit.
  const d = new Date(lo.ms);
  if (m[2] !== undefined) d.setUTCDate(d.getUTCDate() + 1);
  else if (m[1] !== undefined) d.setUTCMonth(d.getUTCMonth() + 1);
  else d.setUTCFullYear(d.getUTCFullYear() + 1);
  return addNanos({ ms: d.getTime(), ns: 0 }, -resolution);
}

/** Parses a literal compared with a date field; null if it is not a date. */
export function dateLiteralRange(literal: unknown, format: string | undefined, nanos: boolean): DateRange | null {
  const lo = parseDate(literal, format, nanos);
  if (lo === null) return null;
  if (typeof literal !== 'string') return { lo, hi: lo };
  return { lo, hi: roundUp(lo, literal, nanos) };
}

export type CompareOpName = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A date field value against a literal range, with ES's rounding (gt/lte round up, gte/lt round down). */
export function compareDateToRange(v: Instant, op: CompareOpName, r: DateRange): boolean {
  switch (op) {
    case '==':
      return compareInstants(v, r.lo) >= 0 && compareInstants(v, r.hi) <= 0;
    case '!=':
      return !(compareInstants(v, r.lo) >= 0 && compareInstants(v, r.hi) <= 0);
    case '<':
      return compareInstants(v, r.lo) < 0;
    case '<=':
      return compareInstants(v, r.hi) <= 0;
    case '>':
      return compareInstants(v, r.hi) > 0;
    case '>=':
      return compareInstants(v, r.lo) >= 0;
  }
}

export { parseDate, compareInstants };

const SEMVER = /^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Number(a) - Number(b) || (a.length - b.length);
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** ES `version` field order: valid versions by semver precedence, then invalid ones lexicographically. */
export function compareVersions(a: string, b: string): number {
  const ma = SEMVER.exec(a);
  const mb = SEMVER.exec(b);
  if (!ma || !mb) {
    if (ma) return -1;
    if (mb) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const pa = ma[1]!.split('.').map(Number);
  const pb = mb[1]!.split('.').map(Number);
  for (let k = 0; k < Math.max(pa.length, pb.length); k++) {
    const d = (pa[k] ?? -1) - (pb[k] ?? -1);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  const ra = ma[2];
  const rb = mb[2];
  if (ra === undefined || rb === undefined) return ra === rb ? 0 : ra === undefined ? 1 : -1;
  const ia = ra.split('.');
  const ib = rb.split('.');
  for (let k = 0; k < Math.max(ia.length, ib.length); k++) {
    const x = ia[k];
    const y = ib[k];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const d = compareIdentifiers(x, y);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
