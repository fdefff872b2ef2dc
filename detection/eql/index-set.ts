// An index set: the documents of one or more indices searched together, as `_eql/search` over
// `index-a,index-b` would see them. Each document remembers its `_index` and gets an `_id`; the
// filters see the document with the mapping's `null_value`s applied (ES indexes the substitute
// while `_source` keeps the JSON null).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { emptyMapping, mergeMappings, resolveAlias, type MappingInfo } from './mapping.js';
import { getField } from '../fields.js';

export interface EventRecord {
  _index: string;
  _id: string;
  _source: unknown;
  /** What filters evaluate: `_source`, or a shallow copy carrying `null_value` substitutes. */
  doc: unknown;
  /** The implicit `_doc`/`_shard_doc` order: indices by name, then indexing order. */
  docOrder: number;
}

export interface IndexInfo {
  name: string;
  mapping: MappingInfo;
  /** Events of this index (in indexing order). */
  count: number;
}

export interface IndexSet {
  indices: Map<string, IndexInfo>;
  /** All events, in `_doc` order. */
  events: EventRecord[];
  /** The merged mapping (field capabilities over all indices). */
  mapping: MappingInfo;
}

export interface IndexInput {
  /** `_index`; documents of inputs with the same name form one index. */
  index: string;
  /** Raw documents, or search hits `{_index?, _id?, _source}` (their `_id`/`_index` are kept). */
  docs: readonly unknown[];
  mapping?: MappingInfo | undefined;
}

function isHit(d: unknown): d is { _source: unknown; _id?: unknown; _index?: unknown } {
  return (
    d !== null &&
    typeof d === 'object' &&
    !Array.isArray(d) &&
    '_source' in d &&
    typeof (d as { _source: unknown })._source === 'object'
  );
}

function applyNullValues(source: unknown, mapping: MappingInfo): unknown {
  if (mapping.nullValues.size === 0 || source === null || typeof source !== 'object') return source;
  let copy: Record<string, unknown> | undefined;
  for (const [field, substitute] of mapping.nullValues) {
    if (getField(source, field) === null) {
      copy ??= { ...(source as Record<string, unknown>) };
      // A flattened key wins over a nested one in getField, so the copy stays shallow.
      copy[field] = substitute;
    }
  }
  return copy ?? source;
}

export function buildIndexSet(inputs: readonly IndexInput[]): IndexSet {
  // An exported hit belongs to its own `_index` (with the mapping of the input it came in).
  const byName = new Map<string, { mapping: MappingInfo; docs: unknown[] }>();
  for (const input of inputs) {
    for (const raw of input.docs) {
      const name = isHit(raw) && typeof raw._index === 'string' && raw._index !== '' ? raw._index : input.index;
      let entry = byName.get(name);
      if (!entry) {
        entry = { mapping: input.mapping ?? emptyMapping(), docs: [] };
        byName.set(name, entry);
      } else if (input.mapping && entry.mapping !== input.mapping) {
        entry.mapping = mergeMappings([entry.mapping, input.mapping]);
      }
      entry.docs.push(raw);
    }
    if (input.docs.length === 0 && !byName.has(input.index)) {
      byName.set(input.index, { mapping: input.mapping ?? emptyMapping(), docs: [] });
    }
  }
  const names = [...byName.keys()].sort();
  const indices = new Map<string, IndexInfo>();
  const events: EventRecord[] = [];
  for (const name of names) {
    const entry = byName.get(name)!;
    let n = 0;
    for (const raw of entry.docs) {
      n++;
      const hit = isHit(raw) ? raw : undefined;
      const source = hit ? hit._source : raw;
      const id = hit && (typeof hit._id === 'string' || typeof hit._id === 'number') ? String(hit._id) : String(n);
      events.push({ _index: name, _id: id, _source: source, doc: applyNullValues(source, entry.mapping), docOrder: events.length });
    }
    indices.set(name, { name, mapping: entry.mapping, count: n });
  }
  return { indices, events, mapping: mergeMappings(names.map((n) => indices.get(n)!.mapping)) };
}

/** The index name ES would see for a file: its base name without `.ndjson`/`.jsonl`/`.json`. */
export function indexNameForFile(file: string): string {
  if (file === '-') return 'stdin';
  return basename(file).replace(/\.(ndjson|jsonl|json)$/i, '') || 'index';
}

export interface NdjsonProblem {
  line: number;
  message: string;
}

/** Parses NDJSON text; blank lines are skipped, malformed lines reported with their 1-based number. */
export function parseNdjson(text: string): { docs: unknown[]; problems: NdjsonProblem[] } {
  const docs: unknown[] = [];
  const problems: NdjsonProblem[] = [];
  let start = 0;
  let line = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const raw = text.slice(start, end);
    start = end + 1;
    // Only a line starting with whitespace can be blank; JSON.parse ignores surrounding whitespace.
    if (raw.length === 0 || (raw.charCodeAt(0) <= 32 && raw.trim() === '')) continue;
    try {
      const v: unknown = JSON.parse(raw);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        problems.push({ line, message: 'not a JSON object' });
        continue;
      }
      docs.push(v);
    } catch (err) {
      problems.push({ line, message: `malformed JSON (${(err as Error).message})` });
    }
  }
  return { docs, problems };
}

export function readNdjsonFile(file: string): { docs: unknown[]; problems: NdjsonProblem[] } {
  return parseNdjson(readFileSync(file === '-' ? 0 : file, 'utf8'));
}

/** The field's type in this index (alias-resolved), if mapped. */
export function fieldType(mapping: MappingInfo, field: string): string | undefined {
  return mapping.types.get(resolveAlias(mapping, field));
}
