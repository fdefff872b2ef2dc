// The subset of the Elasticsearch query DSL the fakes evaluate: bool (filter/must/should/must_not,
// minimum_should_match), term, terms, range (ISO and now-Nh/m/s/d), exists, match_all; sort with
// search_after; _source filtering. Array fields match when any element does (ES semantics).

import { getField } from '../../detection/fields.js';

type Doc = Record<string, unknown>;

function values(doc: Doc, field: string): unknown[] {
  const v = getField(doc, field);
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b);
  return String(a) === String(b);
}

export function dateMath(value: unknown, nowMs: number): number {
  if (typeof value === 'number') return value;
  const s = String(value);
  const m = /^now(?:-(\d+)([smhd]))?$/.exec(s);
  if (m) {
    const n = Number(m[1] ?? 0);
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 's'];
    return nowMs - n * unit;
  }
  return Date.parse(s);
}

function rangeMatch(doc: Doc, field: string, spec: Record<string, unknown>, nowMs: number): boolean {
  const isDate = field.includes('timestamp') || Object.values(spec).some((v) => typeof v === 'string' && /^(now|\d{4}-)/.test(v));
  return values(doc, field).some((raw) => {
    const v = isDate ? Date.parse(String(raw)) : Number(raw);
    const bound = (x: unknown): number => (isDate ? dateMath(x, nowMs) : Number(x));
    if (spec.gte !== undefined && !(v >= bound(spec.gte))) return false;
    if (spec.gt !== undefined && !(v > bound(spec.gt))) return false;
    if (spec.lte !== undefined && !(v <= bound(spec.lte))) return false;
    if (spec.lt !== undefined && !(v < bound(spec.lt))) return false;
    return true;
  });
}

export class QueryError extends Error {}

export function matches(doc: Doc, query: any, nowMs: number): boolean {
  if (!query || typeof query !== 'object') return true;
  const [kind, body] = Object.entries(query)[0] ?? [];
  switch (kind) {
    case undefined:
    case 'match_all':
      return true;
    case 'term': {
      const [field, spec] = Object.entries(body as object)[0] ?? [];
      const want = spec && typeof spec === 'object' && 'value' in spec ? (spec as { value: unknown }).value : spec;
      return values(doc, field!).some((v) => same(v, want));
    }
    case 'terms': {
      const [field, list] = Object.entries(body as object)[0] ?? [];
      if (!Array.isArray(list)) throw new QueryError(`[terms] query on ${field} needs an array`);
      return values(doc, field!).some((v) => list.some((w) => same(v, w)));
    }
    case 'range': {
      const [field, spec] = Object.entries(body as object)[0] ?? [];
      return rangeMatch(doc, field!, spec as Record<string, unknown>, nowMs);
    }
    case 'exists':
      return values(doc, (body as { field: string }).field).length > 0;
    case 'bool': {
      const b = body as Record<string, any>;
      const arr = (x: unknown): any[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
      if (![...arr(b.filter), ...arr(b.must)].every((q) => matches(doc, q, nowMs))) return false;
      if (arr(b.must_not).some((q) => matches(doc, q, nowMs))) return false;
      const should = arr(b.should);
      if (should.length > 0) {
        const min = b.minimum_should_match ?? (arr(b.filter).length + arr(b.must).length > 0 ? 0 : 1);
        if (should.filter((q) => matches(doc, q, nowMs)).length < Number(min)) return false;
      }
      return true;
    }
    default:
      throw new QueryError(`unknown query [${kind}]`);
  }
}

export type SortSpec = { field: string; desc: boolean }[];

export function parseSort(sort: unknown): SortSpec {
  const list = sort === undefined ? [] : Array.isArray(sort) ? sort : [sort];
  return list.map((s) => {
    if (typeof s === 'string') return { field: s, desc: false };
    const [field, spec] = Object.entries(s as object)[0] ?? ['@timestamp', 'asc'];
    const order = typeof spec === 'string' ? spec : (spec as { order?: string }).order;
    return { field, desc: order === 'desc' };
  });
}

export function sortValues(doc: Doc, spec: SortSpec, id: string): unknown[] {
  return spec.map(({ field }) => {
    if (field === '_id' || field === '_doc' || field === '_shard_doc') return id;
    const v = values(doc, field)[0];
    if (v === undefined) return null;
    return field.includes('timestamp') ? Date.parse(String(v)) : v;
  });
}

export function compareTuples(a: unknown[], b: unknown[], spec: SortSpec): number {
  for (let i = 0; i < spec.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === null || x === undefined) return 1; // missing last
    if (y === null || y === undefined) return -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x) < String(y) ? -1 : String(x) > String(y) ? 1 : 0;
    if (c !== 0) return spec[i]!.desc ? -c : c;
  }
  return 0;
}

/** Keeps only the listed fields (dotted paths or prefixes), nested. */
export function filterSource(doc: Doc, fields: unknown): Doc {
  if (!Array.isArray(fields)) return doc;
  const out: Doc = {};
  for (const path of fields as string[]) {
    const v = getField(doc, path);
    if (v === undefined) continue;
    let node = out;
    const parts = path.split('.');
    parts.forEach((p, i) => {
      if (i === parts.length - 1) node[p] = v;
      else node = (node[p] ??= {}) as Doc;
    });
  }
  return out;
}

export interface StoredDoc {
  index: string;
  id: string;
  source: Doc;
}

export interface SearchOutcome {
  hits: { _index: string; _id: string; _score: null; _source: Doc; sort: unknown[] }[];
  total: number;
}

/** Runs an ES search body over stored docs. */
export function runSearch(docs: StoredDoc[], body: any, nowMs: number): SearchOutcome {
  const spec = parseSort(body?.sort);
  const withId = spec.length > 0 ? spec : [{ field: '_doc', desc: false }];
  let hits = docs.filter((d) => matches(d.source, body?.query, nowMs)).map((d) => ({ d, sort: sortValues(d.source, withId, d.id) }));
  const total = hits.length;
  hits.sort((a, b) => compareTuples(a.sort, b.sort, withId));
  if (Array.isArray(body?.search_after)) {
    const after = (body.search_after as unknown[]).map((v, i) => (withId[i]?.field.includes('timestamp') && typeof v === 'string' ? Date.parse(v) : v));
    hits = hits.filter((h) => compareTuples(h.sort, after, withId) > 0);
  }
  const from = Number(body?.from ?? 0);
  const size = Number(body?.size ?? 10);
  return {
    total,
    hits: hits.slice(from, from + size).map((h) => ({ _index: h.d.index, _id: h.d.id, _score: null, _source: filterSource(h.d.source, body?._source), sort: h.sort })),
  };
}

export function globToRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
