// `_eql/search` over an index set: event queries, sequences and samples with Elasticsearch's
// request options (size, fetch_size, result_position, timestamp/tiebreaker/category fields,
// max_samples_per_key, partial results) and response shape (`hits.events` / `hits.sequences`).
//
// Filters are compiled once per index (date formats, aliases and null values can differ between
// indices). A scripted runtime field cannot be run here: a filter that touches one fails on the
// index defining it, which is treated as ES treats a failed shard - left out, results partial;
// a sequence query then returns nothing unless `allow_partial_sequence_results` is set, and
// `allow_partial_search_results: false` turns the failure into an error.
import { z } from 'zod';
import type { EventFilter, Expr, Query, Stage } from './ast.js';
import { compileCondition, compileExpr, compileFilter, type CompileOptions } from './compile.js';
import type { EventRecord, IndexSet } from './index-set.js';
import { keyExtractor, keyParts, sampleKeyJson, sequenceKeyJson, type KeyTuple } from './keys.js';
import { dynamicType, resolveAlias, type MappingInfo } from './mapping.js';
import { orderEvents, type Ordered } from './ordering.js';
import { applyPipes, limitResults } from './pipes.js';
import { matchSamples } from './sample.js';
import { matchSequences, type SequenceStageSpec } from './sequence.js';
import { timeSpanNanos } from './timestamps.js';
import { fieldValues } from './field-access.js';

export class SearchError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SearchError';
  }
}

const field = z.string().min(1);

/** The `_eql/search` request body (without `query`), with Elasticsearch's defaults. */
export const searchRequestSchema = z
  .object({
    size: z.number().int().min(0).default(10),
    fetch_size: z.number().int().min(2).default(1000),
    timestamp_field: field.default('@timestamp'),
    tiebreaker_field: field.optional(),
    event_category_field: field.default('event.category'),
    result_position: z.enum(['head', 'tail']).default('tail'),
    max_samples_per_key: z.number().int().min(1).default(1),
    allow_partial_search_results: z.boolean().default(true),
    allow_partial_sequence_results: z.boolean().default(false),
    /** ES 7.10/7.11's request-level switch: false folds case in `==`, `!=`, `in`, `like`, `regex` and the string functions. */
    case_sensitive: z.boolean().optional(),
  })
  .strict();

export type SearchRequest = z.input<typeof searchRequestSchema>;
type Req = z.output<typeof searchRequestSchema>;

export function parseSearchRequest(raw: unknown): Req {
  const r = searchRequestSchema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    const keys = issue && 'keys' in issue ? (issue.keys as string[]).join(', ') : '';
    const at = issue?.path.join('.') || keys || '(request)';
    throw new SearchError('HW_ERR_EQL_REQUEST', `invalid search option "${at}": ${issue?.message ?? 'bad value'}`);
  }
  return r.data;
}

export interface HitEvent {
  _index: string;
  _id: string;
  _source: unknown;
}

export interface MissingEvent {
  missing: true;
}

export interface SequenceHit {
  join_keys: (string | number | boolean | null)[];
  events: (HitEvent | MissingEvent)[];
}

export interface SearchHits {
  total: { value: number; relation: 'eq' };
  events?: HitEvent[];
  sequences?: SequenceHit[];
}

export interface ShardFailure {
  index: string;
  reason: string;
}

export interface SearchResponse {
  is_partial: boolean;
  shard_failures: ShardFailure[];
  hits: SearchHits;
}

function hit(ev: EventRecord): HitEvent {
  return { _index: ev._index, _id: ev._id, _source: ev._source };
}

// ---------------------------------------------------------------- query analysis

function walkExpr(e: Expr, visit: (f: Extract<Expr, { type: 'field' }>) => void): void {
  switch (e.type) {
    case 'field': visit(e); return;
    case 'literal': return;
    case 'not': case 'negate': walkExpr(e.expr, visit); return;
    case 'and': case 'or': case 'compare': case 'arith': walkExpr(e.left, visit); walkExpr(e.right, visit); return;
    case 'in': walkExpr(e.expr, visit); e.values.forEach((v) => walkExpr(v, visit)); return;
    case 'match': walkExpr(e.expr, visit); return;
    case 'call': e.args.forEach((a) => walkExpr(a, visit)); return;
  }
}

/** The fields a query reads; `required` are those written without `?` somewhere. */
function queryFields(q: Query): { all: Set<string>; required: Set<string> } {
  const all = new Set<string>();
  const required = new Set<string>();
  const add = (e: Expr): void =>
    walkExpr(e, (f) => {
      all.add(f.name);
      if (!f.optional) required.add(f.name);
    });
  const stage = (s: Stage): void => {
    add(s.filter.condition);
    s.by.forEach(add);
  };
  if (q.type === 'event_query') add(q.filter.condition);
  else {
    q.by.forEach(add);
    q.stages.forEach(stage);
    if (q.type === 'sequence' && q.until) stage(q.until);
  }
  q.pipes.forEach((p) => p.args.forEach(add));
  return { all, required };
}

const CASE_AWARE = new Set(['between', 'endsWith', 'indexOf', 'startsWith', 'stringContains']);

/** ES 7.10's `case_sensitive: false`: every string comparison folds case (`==` with a string becomes `in~`). */
function foldCase(e: Expr): Expr {
  switch (e.type) {
    case 'field': case 'literal': return e;
    case 'not': return { ...e, expr: foldCase(e.expr) };
    case 'negate': return { ...e, expr: foldCase(e.expr) };
    case 'and': case 'or': case 'arith': return { ...e, left: foldCase(e.left), right: foldCase(e.right) };
    case 'compare': {
      const isStr = (x: Expr): boolean => x.type === 'literal' && x.kind === 'string';
      if ((e.op === '==' || e.op === '!=') && (isStr(e.left) !== isStr(e.right))) {
        const [lit, other] = isStr(e.right) ? [e.right, e.left] : [e.left, e.right];
        return { type: 'in', expr: foldCase(other), values: [lit], negated: e.op === '!=', insensitive: true };
      }
      return { ...e, left: foldCase(e.left), right: foldCase(e.right) };
    }
    case 'in': return { ...e, expr: foldCase(e.expr), insensitive: true };
    case 'match': return { ...e, expr: foldCase(e.expr), insensitive: true };
    case 'call': return { ...e, insensitive: e.insensitive || CASE_AWARE.has(e.name), args: e.args.map(foldCase) };
  }
}

/** ES turns an optional field that no index maps into a literal null when planning (so `?x == ?y` is `null == null`). */
function bindUnmapped(e: Expr, mapped: (name: string) => boolean): Expr {
  const r = (x: Expr): Expr => bindUnmapped(x, mapped);
  switch (e.type) {
    case 'field': return e.optional && !mapped(e.name) ? { type: 'literal', kind: 'null', value: null } : e;
    case 'literal': return e;
    case 'not': case 'negate': return { ...e, expr: r(e.expr) };
    case 'and': case 'or': case 'arith': case 'compare': return { ...e, left: r(e.left), right: r(e.right) };
    case 'in': return { ...e, expr: r(e.expr), values: e.values.map(r) };
    case 'match': return { ...e, expr: r(e.expr) };
    case 'call': return { ...e, args: e.args.map(r) };
  }
}

function mapQueryFilters(q: Query, fn: (e: Expr) => Expr): Query {
  const filter = (f: EventFilter): EventFilter => ({ ...f, condition: fn(f.condition) });
  const stage = (s: Stage): Stage => ({ ...s, filter: filter(s.filter) });
  if (q.type === 'event_query') return { ...q, filter: filter(q.filter) };
  if (q.type === 'sample') return { ...q, stages: q.stages.map(stage) };
  return { ...q, stages: q.stages.map(stage), until: q.until ? stage(q.until) : null };
}

// ---------------------------------------------------------------- compilation per index

class Compiled {
  private readonly perIndex = new Map<string, CompileOptions>();
  private readonly dynamicTypes: Record<string, string> = {};
  readonly failures = new Map<string, string>();

  constructor(
    private readonly set: IndexSet,
    req: Req,
    fields: Set<string>,
  ) {
    const merged = set.mapping;
    // Dynamic mapping for referenced fields no mapping declares: the first value seen decides.
    const dynamicTypes = this.dynamicTypes;
    for (const name of fields) {
      const path = resolveAlias(merged, name);
      if (merged.types.has(path)) continue;
      for (const ev of set.events) {
        const values = fieldValues(ev.doc, path);
        if (values.length === 0) continue;
        const t = dynamicType(values[0]);
        if (t !== undefined) {
          dynamicTypes[path] = t;
          break;
        }
      }
    }
    for (const [name, info] of set.indices) {
      this.perIndex.set(name, this.options(info.mapping, merged, dynamicTypes, req));
    }
  }

  private options(m: MappingInfo, merged: MappingInfo, dynamicTypes: Record<string, string>, req: Req): CompileOptions {
    const fieldTypes: Record<string, string> = { ...dynamicTypes };
    for (const [k, v] of merged.types) fieldTypes[k] = v;
    for (const [k, v] of m.types) fieldTypes[k] = v;
    const aliases: Record<string, string> = {};
    for (const [k, v] of merged.aliases) aliases[k] = v;
    for (const [k, v] of m.aliases) aliases[k] = v;
    return {
      eventCategoryField: req.event_category_field,
      aliases,
      fieldTypes,
      dateFormats: Object.fromEntries(m.formats),
      nullValues: Object.fromEntries(m.nullValues),
    };
  }

  /** Whether a mapping declares the field or some document holds a non-null value for it. */
  isMapped(name: string): boolean {
    const path = resolveAlias(this.set.mapping, name);
    return this.set.mapping.types.has(path) || path in this.dynamicTypes;
  }

  /** Indices on which this expression cannot run (it touches a scripted runtime field there). */
  private failingIndices(exprs: Expr[]): Set<string> {
    const out = new Set<string>();
    for (const [name, info] of this.set.indices) {
      if (info.mapping.runtime.size === 0) continue;
      for (const e of exprs) {
        walkExpr(e, (f) => {
          const rt = info.mapping.runtime.get(resolveAlias(info.mapping, f.name));
          if (rt?.scripted) {
            out.add(name);
            this.failures.set(name, `runtime field [${f.name}] has a script, which this engine cannot run`);
          }
        });
      }
    }
    return out;
  }

  filter(f: EventFilter): (ev: EventRecord) => boolean {
    const failing = this.failingIndices([f.condition]);
    const byIndex = new Map<string, (doc: unknown) => boolean>();
    for (const [name, opts] of this.perIndex) byIndex.set(name, compileFilter(f, opts));
    const fallback = compileFilter(f, this.perIndex.values().next().value ?? {});
    return (ev) => !failing.has(ev._index) && (byIndex.get(ev._index) ?? fallback)(ev.doc);
  }

  condition(e: Expr): (ev: EventRecord) => boolean {
    const byIndex = new Map<string, (doc: unknown) => boolean | null>();
    for (const [name, opts] of this.perIndex) byIndex.set(name, compileCondition(e, opts));
    return (ev) => (byIndex.get(ev._index) ?? (() => null))(ev.doc) === true;
  }

  keys(queryBy: Expr[], stageBy: Expr[]): (ev: EventRecord) => KeyTuple[] {
    const opts = this.perIndex.values().next().value ?? {};
    return keyExtractor(keyParts(queryBy, stageBy), this.set, (e) => compileExpr(e, opts));
  }
}

// ---------------------------------------------------------------- search

function expandRuns(stages: Stage[]): Stage[] {
  const out: Stage[] = [];
  for (const s of stages) for (let i = 0; i < Math.max(1, s.runs); i++) out.push(s);
  return out;
}

function sequenceHit(key: KeyTuple, events: (Ordered | null)[]): SequenceHit {
  return { join_keys: key.map(sequenceKeyJson), events: events.map((o) => (o ? hit(o.ev) : { missing: true as const })) };
}

/** Runs a parsed query over an index set; the full response (partial-result flags included). */
export function searchResponse(query: Query, index: IndexSet, request: SearchRequest = {}): SearchResponse {
  const req = parseSearchRequest(request);
  let q = req.case_sensitive === false ? mapQueryFilters(query, foldCase) : query;
  const fields = queryFields(q);
  const compiled = new Compiled(index, req, fields.all);
  // With a mapping, ES rejects a query that names a field nothing maps (unless written `?field`).
  // Without one there is nothing to check against: such a field is simply null.
  const hasMapping = [...index.indices.values()].some((i) => i.mapping.types.size > 0 || i.mapping.aliases.size > 0);
  if (hasMapping) {
    for (const name of fields.required) {
      if (!compiled.isMapped(name)) {
        throw new SearchError(
          'HW_ERR_EQL_UNKNOWN_FIELD',
          `unknown field [${name}]: no mapping declares it and no event has a value for it; fix the name, or write ?${name} to read it as null`,
        );
      }
    }
  }
  q = mapQueryFilters(q, (e) => bindUnmapped(e, (name) => compiled.isMapped(name)));
  let hits: SearchHits;

  if (q.type === 'event_query') {
    const match = compiled.filter(q.filter);
    // Filter first: only matches need a timestamp parsed and a place in the order.
    const matched = orderEvents(index, index.events.filter(match), {
      timestampField: req.timestamp_field,
      tiebreakerField: req.tiebreaker_field,
      keepUntimed: true,
    });
    const piped = applyPipes(matched, q.pipes, (() => {
      const conds = new Map<object, (ev: EventRecord) => boolean>();
      return (o: Ordered, pipe) => {
        let c = conds.get(pipe);
        if (!c) {
          const args = pipe.args;
          const all = args.map((a) => compiled.condition(a));
          c = (ev) => all.every((f) => f(ev));
          conds.set(pipe, c);
        }
        return c(o.ev);
      };
    })());
    const events = limitResults(piped, req.size, req.result_position).map((o) => hit(o.ev));
    hits = { total: { value: events.length, relation: 'eq' }, events };
  } else if (q.type === 'sequence') {
    // Each distinct stage filter is evaluated once per event into a bit mask; only events that
    // match some stage (or until) are ordered and fed to the state machine.
    const distinct = [...new Set([...q.stages, ...(q.until ? [q.until] : [])])];
    const filters = distinct.map((s) => compiled.filter(s.filter));
    if (filters.length > 52) throw new SearchError('HW_ERR_EQL_TOO_MANY_STAGES', `a sequence may have at most 52 distinct stages, got ${filters.length}`);
    const masks = new Float64Array(index.events.length);
    const relevant: EventRecord[] = [];
    for (const ev of index.events) {
      let m = 0;
      for (let i = 0; i < filters.length; i++) if (filters[i]!(ev)) m += 2 ** i;
      if (m !== 0) {
        masks[ev.docOrder] = m;
        relevant.push(ev);
      }
    }
    const test = (s: Stage) => {
      const bit = 2 ** distinct.indexOf(s);
      return (ev: EventRecord) => Math.floor(masks[ev.docOrder]! / bit) % 2 === 1;
    };
    const spec: SequenceStageSpec[] = expandRuns(q.stages).map((s) => ({ match: test(s), keys: compiled.keys(q.by, s.by), missing: s.missing }));
    const until = q.until ? { match: test(q.until), keys: compiled.keys(q.by, q.until.by) } : null;
    const failed = compiled.failures.size > 0;
    let seqs: SequenceHit[] = [];
    if (!failed || req.allow_partial_sequence_results) {
      const ordered = orderEvents(index, relevant, { timestampField: req.timestamp_field, tiebreakerField: req.tiebreaker_field });
      const found = matchSequences(ordered, { stages: spec, until, maxspanNanos: q.maxspan ? timeSpanNanos(q.maxspan) : null });
      const piped = applyPipes(found, q.pipes);
      seqs = limitResults(piped, req.size, req.result_position).map((m) => sequenceHit(m.key, m.events));
    }
    hits = { total: { value: seqs.length, relation: 'eq' }, sequences: seqs };
  } else {
    const stages = q.stages.map((s) => ({ match: compiled.filter(s.filter), keys: compiled.keys(q.by, s.by) }));
    const found = matchSamples(index.events, stages, req.max_samples_per_key, Number.MAX_SAFE_INTEGER);
    const piped = applyPipes(found, q.pipes);
    const seqs = limitResults(piped, req.size, 'head').map((m) => ({
      join_keys: m.key.map(sampleKeyJson),
      events: m.events.map(hit),
    }));
    hits = { total: { value: seqs.length, relation: 'eq' }, sequences: seqs };
  }

  const shard_failures = [...compiled.failures].map(([idx, reason]) => ({ index: idx, reason }));
  if (shard_failures.length > 0 && !req.allow_partial_search_results) {
    throw new SearchError(
      'HW_ERR_EQL_SHARD_FAILURE',
      `search failed on index [${shard_failures[0]!.index}]: ${shard_failures[0]!.reason}; set allow_partial_search_results to get the other indices' results`,
    );
  }
  return { is_partial: shard_failures.length > 0, shard_failures, hits };
}

/** `_eql/search`: the response's `hits`. */
export function search(query: Query, index: IndexSet, request: SearchRequest = {}): SearchHits {
  return searchResponse(query, index, request).hits;
}
