// Dates as Elasticsearch indexes them: `date` keeps milliseconds, `date_nanos` nanoseconds; the
// default formats accept ISO-8601 (strict_date_optional_time) and epoch milliseconds (number or
// numeric string, with an optional fraction for nanoseconds); custom Java patterns such as
// `dd-MM-yyyy` are supported for the common letters. An instant is kept as whole epoch
// milliseconds plus 0..999999 nanoseconds, because epoch nanoseconds exceed 2^53.
import type { TimeSpan } from './ast.js';

export interface Instant {
  ms: number;
  /** Nanoseconds within the millisecond, 0..999999. */
  ns: number;
}

export function compareInstants(a: Instant, b: Instant): number {
  return a.ms !== b.ms ? (a.ms < b.ms ? -1 : 1) : a.ns - b.ns;
}

/** b - a in nanoseconds (exact while the difference stays under ~104 days; beyond that within a few ns). */
export function spanNanos(a: Instant, b: Instant): number {
  return (b.ms - a.ms) * 1e6 + (b.ns - a.ns);
}

const UNIT_NANOS: Record<TimeSpan['unit'], number> = {
  nanos: 1,
  micros: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86400e9,
};

export function timeSpanNanos(span: TimeSpan): number {
  return span.value * UNIT_NANOS[span.unit];
}

const ISO =
  /^([+-]?\d{4,9})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

function fromParts(y: number, mo: number, d: number, h: number, mi: number, s: number, frac: string, zone: string | undefined): Instant | null {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  let ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (y >= 0 && y < 100) {
    const dt = new Date(ms);
    dt.setUTCFullYear(y);
    ms = dt.getTime();
  }
  const nanosOfSecond = frac ? Number(frac.padEnd(9, '0')) : 0;
  ms += Math.floor(nanosOfSecond / 1e6);
  const ns = nanosOfSecond % 1e6;
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    ms -= sign * (oh * 60 + om) * 60000;
  }
  return Number.isFinite(ms) ? { ms, ns } : null;
}

const SIMPLE_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

export function parseIso(s: string): Instant | null {
  // Fast path for the common ECS shape (UTC, at most milliseconds): the native parser is exact there.
  if (SIMPLE_UTC.test(s)) {
    const ms = Date.parse(s);
    if (Number.isFinite(ms)) return { ms, ns: 0 };
  }
  const m = ISO.exec(s.trim());
  if (!m) return null;
  return fromParts(
    Number(m[1]),
    m[2] ? Number(m[2]) : 1,
    m[3] ? Number(m[3]) : 1,
    m[4] ? Number(m[4]) : 0,
    m[5] ? Number(m[5]) : 0,
    m[6] ? Number(m[6]) : 0,
    m[7] ?? '',
    m[8],
  );
}

const EPOCH = /^([+-]?\d+)(?:\.(\d{1,6}))?$/;

export function parseEpochMillis(v: string | number): Instant | null {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    const ms = Math.floor(v);
    return { ms, ns: Math.round((v - ms) * 1e6) };
  }
  const m = EPOCH.exec(v.trim());
  if (!m) return null;
  const ms = Number(m[1]);
  const ns = m[2] ? Number(m[2].padEnd(6, '0')) : 0;
  return ms < 0 && ns > 0 ? { ms: ms - 1, ns: 1e6 - ns } : { ms, ns };
}

/** A small Java DateTimeFormatter subset: y M d H h m s S, quoted literals, other punctuation literal. */
function parsePattern(pattern: string, value: string): Instant | null {
  let re = '^';
  const groups: string[] = [];
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i] as string;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      const lit = pattern.slice(i + 1, end < 0 ? pattern.length : end);
      re += lit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i = end < 0 ? pattern.length : end + 1;
      continue;
    }
    if (/[a-zA-Z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      const n = j - i;
      groups.push(c);
      if (c === 'S') re += `(\\d{1,${Math.max(n, 9)}})`;
      else if (c === 'y' || c === 'u') re += n === 2 ? '(\\d{2})' : '([+-]?\\d{4,9})';
      else if (c === 'X' || c === 'Z') re += '(Z|[+-]\\d{2}:?\\d{2})';
      else re += `(\\d{${n === 1 ? '1,2' : n}})`;
      i = j;
      continue;
    }
    re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    i++;
  }
  const m = new RegExp(re + '$').exec(value.trim());
  if (!m) return null;
  let y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0;
  let frac = '';
  let zone: string | undefined;
  groups.forEach((g, k) => {
    const v = m[k + 1] as string;
    switch (g) {
      case 'y': case 'u': y = v.length === 2 ? 2000 + Number(v) : Number(v); break;
      case 'M': mo = Number(v); break;
      case 'd': d = Number(v); break;
      case 'H': case 'h': case 'k': h = Number(v); break;
      case 'm': mi = Number(v); break;
      case 's': s = Number(v); break;
      case 'S': frac = v; break;
      case 'X': case 'Z': zone = v; break;
    }
  });
  return fromParts(y, mo, d, h, mi, s, frac, zone);
}

const NAMED_ISO = new Set([
  'strict_date_optional_time',
  'date_optional_time',
  'strict_date_optional_time_nanos',
  'strict_date_time',
  'date_time',
  'strict_date',
  'date',
  'iso8601',
]);

/**
 * Parses a date field value with its mapping `format` (default `strict_date_optional_time||epoch_millis`).
 * `nanos` keeps sub-millisecond precision (`date_nanos`); otherwise it is truncated like ES's `date`.
 */
export function parseDate(value: unknown, format: string | undefined, nanos: boolean): Instant | null {
  let out: Instant | null = null;
  const formats = (format ?? 'strict_date_optional_time||epoch_millis').split('||').map((f) => f.trim());
  if (typeof value === 'number') {
    // A JSON number is epoch millis, or seconds when the format only knows epoch_second.
    const seconds = formats.includes('epoch_second') && !formats.includes('epoch_millis');
    out = parseEpochMillis(seconds ? value * 1000 : value);
  } else if (typeof value === 'string') {
    for (const f of formats) {
      if (NAMED_ISO.has(f)) out = parseIso(value);
      else if (f === 'epoch_millis') out = parseEpochMillis(value);
      else if (f === 'epoch_second') {
        const e = parseEpochMillis(value);
        out = e ? { ms: e.ms * 1000 + Math.floor(e.ns / 1000), ns: (e.ns % 1000) * 1000 } : null;
      } else out = parsePattern(f, value);
      if (out) break;
    }
  }
  if (out && !nanos) out = { ms: out.ms, ns: 0 };
  return out;
}

/** ES's default date rendering (strict_date_optional_time): millis, or nanos when there are any. */
export function formatIso(t: Instant): string {
  const iso = new Date(t.ms).toISOString();
  if (t.ns === 0) return iso;
  const millis = iso.slice(20, 23);
  return `${iso.slice(0, 20)}${millis}${String(t.ns).padStart(6, '0')}Z`;
}
