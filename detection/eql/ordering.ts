// The order `_eql/search` sees events in: by the timestamp field, then the tiebreaker field, then
// the implicit `_shard_doc` order (indices by name, then indexing order). An event without a
// parseable timestamp sorts after all others (ES's `missing: _last`) in an event query, and is
// left out of sequences, which cannot place it in time.
import { getField } from '../fields.js';
import type { EventRecord, IndexSet } from './index-set.js';
import { resolveAlias } from './mapping.js';
import { compareInstants, parseDate, type Instant } from './timestamps.js';

export interface Ordered {
  ev: EventRecord;
  ts: Instant;
  /** The tiebreaker's sort value (the smallest of a multi-valued field), or null. */
  tb: number | string | null;
}

function sortValue(v: unknown): number | string | null {
  if (Array.isArray(v)) {
    let best: number | string | null = null;
    for (const x of v) {
      const s = sortValue(x);
      if (s !== null && (best === null || compareTb(s, best) < 0)) best = s;
    }
    return best;
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

function compareTb(a: number | string | null, b: number | string | null): number {
  if (a === b) return 0;
  // Missing values sort last, as ES's default `missing: _last`.
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareOrdered(a: Ordered, b: Ordered): number {
  return compareInstants(a.ts, b.ts) || compareTb(a.tb, b.tb) || a.ev.docOrder - b.ev.docOrder;
}

export interface OrderOptions {
  timestampField: string;
  tiebreakerField?: string | undefined;
  /** Keep events without a timestamp, last (event queries); otherwise drop them. */
  keepUntimed?: boolean;
}

const UNTIMED: Instant = { ms: Infinity, ns: 0 };

/** The events that have a timestamp, in search order. */
export function orderEvents(set: IndexSet, events: readonly EventRecord[], opts: OrderOptions): Ordered[] {
  const how = new Map<string, { ts: string; nanos: boolean; format: string | undefined; tb: string | undefined }>();
  for (const [name, info] of set.indices) {
    const ts = resolveAlias(info.mapping, opts.timestampField);
    how.set(name, {
      ts,
      nanos: (info.mapping.types.get(ts) ?? set.mapping.types.get(ts)) === 'date_nanos',
      format: info.mapping.formats.get(ts),
      tb: opts.tiebreakerField === undefined ? undefined : resolveAlias(info.mapping, opts.tiebreakerField),
    });
  }
  const out: Ordered[] = [];
  for (const ev of events) {
    const h = how.get(ev._index);
    const tsPath = h?.ts ?? opts.timestampField;
    let raw = getField(ev.doc, tsPath);
    if (Array.isArray(raw)) raw = raw[0];
    let ts = parseDate(raw, h?.format, h?.nanos ?? false);
    if (ts === null) {
      if (!opts.keepUntimed) continue;
      ts = UNTIMED;
    }
    const tbPath = h ? h.tb : opts.tiebreakerField;
    out.push({ ev, ts, tb: tbPath === undefined ? null : sortValue(getField(ev.doc, tbPath)) });
  }
  out.sort(compareOrdered);
  return out;
}
