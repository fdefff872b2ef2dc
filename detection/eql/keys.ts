// Join keys of sequences and samples, as Elasticsearch builds them: values are read as the
// mapping types them (an `ip` is canonical, a date is an instant whatever its format, a number in a
// keyword field is a string), a multi-valued field gives one key per distinct non-null value and
// several keys their cartesian product, and a null key drops the event unless the key is `?field`.
import type { Expr } from './ast.js';
import { fieldValues } from './field-access.js';
import { isDateType, resolveAlias, type MappingInfo } from './mapping.js';
import { compareInstants, formatIso, parseDate, type Instant } from './timestamps.js';
import type { EventRecord, IndexSet } from './index-set.js';

export type KeyAtom = string | number | boolean | null | Instant;
export type KeyTuple = KeyAtom[];

/** Evaluates a non-field key expression (ES allows only fields; kept for completeness). */
export type ExprEvaluator = (expr: Expr) => (doc: unknown) => unknown;

function canonicalIpv4(s: string): string | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const nums = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return nums.every((n) => n >= 0 && n <= 255) ? nums.join('.') : null;
}

function parseIpv6(s: string): number[] | null {
  let text = s.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = canonicalIpv4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    const b = v4.split('.').map(Number);
    tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    // Keep a `::` before the dotted part; drop a single separating colon.
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const part = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = part(halves[0]!);
  const rest = halves.length === 2 ? part(halves[1]!) : [];
  if (head === null || rest === null) return null;
  const have = head.length + rest.length + tail.length;
  if (halves.length === 1 ? have !== 8 : have > 7) return null;
  return [...head, ...new Array(8 - have).fill(0), ...rest, ...tail];
}

/** An address as ES prints an `ip` field: dotted IPv4 (also for IPv4-mapped IPv6), else RFC 5952. */
export function canonicalIp(s: string): string | null {
  const v4 = canonicalIpv4(s);
  if (v4 !== null) return v4;
  const g = parseIpv6(s);
  if (g === null) return null;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255].join('.');
  }
  // Compress the longest run (>= 2) of zero groups, the first one on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function atomFor(value: unknown, type: string | undefined, format: string | undefined): KeyAtom {
  if (value === null || value === undefined) return null;
  if (isDateType(type)) {
    const t = parseDate(value, format, type === 'date_nanos');
    return t ?? (typeof value === 'object' ? JSON.stringify(value) : (value as string | number | boolean));
  }
  switch (type) {
    case 'ip':
      return typeof value === 'string' ? canonicalIp(value) ?? value.toLowerCase() : String(value);
    case 'long': case 'integer': case 'short': case 'byte': case 'unsigned_long':
    case 'double': case 'float': case 'half_float': case 'scaled_float': {
      if (typeof value === 'number') return value;
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      return Number.isFinite(n) ? n : String(value);
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      return value === 'true' ? true : value === 'false' ? false : String(value);
    case 'keyword': case 'wildcard': case 'constant_keyword': case 'text': case 'version': case 'match_only_text':
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : (value as string | number | boolean);
  }
}

function flatten(v: unknown, out: unknown[]): void {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
}

export function atomId(a: KeyAtom): string {
  if (a !== null && typeof a === 'object') return `d${a.ms}.${a.ns}`;
  return typeof a === 'string' ? `s${a}` : typeof a === 'number' ? `n${a}` : `${a}`;
}

export function tupleId(t: KeyTuple): string {
  return t.map(atomId).join('\u0000');
}

export interface KeyPart {
  expr: Expr;
  optional: boolean;
}

/** The key parts of a stage: the query-level `by` keys, then the stage's own. */
export function keyParts(queryBy: readonly Expr[], stageBy: readonly Expr[]): KeyPart[] {
  return [...queryBy, ...stageBy].map((expr) => ({ expr, optional: expr.type === 'field' && expr.optional }));
}

/**
 * Builds the function that gives an event's key tuples for a stage: [] when the event has no
 * usable key (null on a non-optional key), one tuple per combination of values otherwise.
 */
export function keyExtractor(
  parts: readonly KeyPart[],
  set: IndexSet,
  evalExpr: ExprEvaluator,
): (ev: EventRecord) => KeyTuple[] {
  if (parts.length === 0) return () => [[]];
  const readers = parts.map((part) => {
    if (part.expr.type === 'field') {
      const name = part.expr.name;
      // Per index: alias target, type and date format differ between indices.
      const perIndex = new Map<string, { path: string; type: string | undefined; format: string | undefined }>();
      for (const [idx, info] of set.indices) {
        const path = resolveAlias(info.mapping, name);
        perIndex.set(idx, { path, type: info.mapping.types.get(path) ?? set.mapping.types.get(path), format: info.mapping.formats.get(path) });
      }
      const fallback = { path: resolveAlias(set.mapping, name), type: set.mapping.types.get(resolveAlias(set.mapping, name)), format: undefined };
      return (ev: EventRecord): unknown[] => {
        const how = perIndex.get(ev._index) ?? fallback;
        // ES flattens arrays of objects too (`{p: [{n: a}, {n: b}]}` gives p.n = [a, b]).
        return fieldValues(ev.doc, how.path).map((v) => atomFor(v, how.type, how.format));
      };
    }
    const fn = evalExpr(part.expr);
    return (ev: EventRecord): unknown[] => {
      const raw: unknown[] = [];
      flatten(fn(ev.doc), raw);
      return raw.map((v) => atomFor(v, undefined, undefined));
    };
  });
  return (ev) => {
    let tuples: KeyTuple[] = [[]];
    for (let i = 0; i < readers.length; i++) {
      const atoms = readers[i]!(ev) as KeyAtom[];
      const seen = new Set<string>();
      const values: KeyAtom[] = [];
      for (const a of atoms) {
        if (a === null) continue;
        const id = atomId(a);
        if (seen.has(id)) continue;
        seen.add(id);
        values.push(a);
      }
      if (values.length === 0) {
        if (!parts[i]!.optional) return [];
        values.push(null);
      }
      if (values.length === 1) {
        for (const t of tuples) t.push(values[0]!);
      } else {
        const next: KeyTuple[] = [];
        for (const t of tuples) for (const v of values) next.push([...t, v]);
        tuples = next;
      }
    }
    return tuples;
  };
}

/** ES's rendering of a key in a sequence response: dates formatted (strict_date_optional_time). */
export function sequenceKeyJson(a: KeyAtom): string | number | boolean | null {
  return a !== null && typeof a === 'object' ? formatIso(a) : a;
}

/** ES's rendering of a key in a sample response (composite aggregation): dates as epoch millis. */
export function sampleKeyJson(a: KeyAtom): string | number | boolean | null {
  return a !== null && typeof a === 'object' ? a.ms : a;
}

function rank(a: KeyAtom): number {
  if (a === null) return 0;
  if (typeof a === 'boolean') return 1;
  if (typeof a === 'number' || typeof a === 'object') return 2;
  return 3;
}

/** Code-point (UTF-8 byte) order, as Lucene sorts terms. */
function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Composite-aggregation order of one key value: null first, then values ascending. */
export function compareAtoms(a: KeyAtom, b: KeyAtom): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (a === null || b === null) return 0;
  if (typeof a === 'boolean') return Number(a) - Number(b as boolean);
  if (typeof a === 'string') return compareStrings(a, b as string);
  const ia: Instant = typeof a === 'number' ? { ms: a, ns: 0 } : a;
  const ib: Instant = typeof b === 'number' ? { ms: b, ns: 0 } : (b as Instant);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compareInstants(ia, ib);
}

export function compareTuples(a: KeyTuple, b: KeyTuple): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareAtoms(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}
