// Elasticsearch's sequence state machine over events in search order.
//
// Per join key there is one pending sequence per stage: an event matching stage k takes the
// sequence waiting after stage k-1 (if it is still within maxspan of its first event) and moves it
// to stage k, overwriting whatever was pending there; an event matching the first stage starts a
// new sequence, replacing the older one. Stages are tried from last to first so that one event
// never fills two stages of one sequence. An `until` event cancels the key's pending sequences
// (after the event itself has advanced them: ES cancels when until ∈ [last match, next match)).
//
// Missing-event stages `![...]` are left out of the state machine; each completed candidate is
// then checked against the events of its missing stages (see passesMissing).
// Completed sequences are ordered by their last event; ties (one event completing several keys)
// by join key.
import type { EventRecord } from './index-set.js';
import { compareTuples, tupleId, type KeyTuple } from './keys.js';
import type { Ordered } from './ordering.js';
import { compareInstants, spanNanos, type Instant } from './timestamps.js';

export interface SequenceStageSpec {
  match: (ev: EventRecord) => boolean;
  keys: (ev: EventRecord) => KeyTuple[];
  missing: boolean;
}

export interface SequenceSpec {
  /** Stages with `runs` already expanded. */
  stages: SequenceStageSpec[];
  until: { match: (ev: EventRecord) => boolean; keys: (ev: EventRecord) => KeyTuple[] } | null;
  maxspanNanos: number | null;
}

export interface SequenceMatch {
  key: KeyTuple;
  /** One entry per stage; null where a missing-event stage (rightly) matched nothing. */
  events: (Ordered | null)[];
}

interface Pending {
  events: Ordered[];
  start: Instant;
}

interface KeyState {
  key: KeyTuple;
  slots: (Pending | undefined)[];
}

/** For each missing stage: key id -> timestamps (ascending) of its matching events. */
type MissingIndex = Map<number, Map<string, Instant[]>>;

function buildMissingIndex(events: readonly Ordered[], spec: SequenceSpec): MissingIndex {
  const idx: MissingIndex = new Map();
  spec.stages.forEach((st, s) => {
    if (!st.missing) return;
    const byKey = new Map<string, Instant[]>();
    for (const o of events) {
      if (!st.match(o.ev)) continue;
      for (const t of st.keys(o.ev)) {
        const id = tupleId(t);
        let list = byKey.get(id);
        if (!list) byKey.set(id, (list = []));
        list.push(o.ts);
      }
    }
    idx.set(s, byKey);
  });
  return idx;
}

/** Index of the first instant in the ascending list that is > t. */
function firstAfter(list: readonly Instant[], t: Instant): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareInstants(list[mid]!, t) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first instant in the ascending list that is >= t. */
function firstAtOrAfter(list: readonly Instant[], t: Instant): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareInstants(list[mid]!, t) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** ES bounds its missing-event range queries in whole epoch milliseconds. */
const millis = (t: Instant): Instant => ({ ms: t.ms, ns: 0 });

/**
 * Elasticsearch's missing-event check of a completed candidate: a middle missing stage with an
 * event strictly between its neighbours' timestamps discards it; leading and trailing stages take
 * the latest event before the first match / the earliest after the last one, and the candidate
 * survives when such an event is absent or lies beyond maxspan (measured across both edges when
 * both exist).
 */
function passesMissing(seq: Pending, keyId: string, spec: SequenceSpec, positive: readonly number[], idx: MissingIndex): boolean {
  const first = seq.events[0]!.ts;
  const last = seq.events[seq.events.length - 1]!.ts;
  let lastLeading: Instant | null = null;
  let firstTrailing: Instant | null = null;
  for (let s = 0; s < spec.stages.length; s++) {
    if (!spec.stages[s]!.missing) continue;
    const list = idx.get(s)?.get(keyId) ?? [];
    let before = -1;
    let after = -1;
    for (let j = 0; j < positive.length; j++) {
      if (positive[j]! < s) before = j;
      else if (after < 0) after = j;
    }
    if (before < 0) {
      const k = firstAtOrAfter(list, millis(first)) - 1;
      if (k >= 0 && (lastLeading === null || compareInstants(list[k]!, lastLeading) > 0)) lastLeading = list[k]!;
    } else if (after < 0) {
      const k = firstAfter(list, millis(last));
      if (k < list.length && (firstTrailing === null || compareInstants(list[k]!, firstTrailing) < 0)) firstTrailing = list[k]!;
    } else {
      const lo = millis(seq.events[before]!.ts);
      const hi = millis(seq.events[after]!.ts);
      const k = firstAfter(list, lo);
      if (k < list.length && compareInstants(list[k]!, hi) < 0) return false;
    }
  }
  const leadingStage = spec.stages[0]!.missing;
  const trailingStage = spec.stages[spec.stages.length - 1]!.missing;
  const beyond = (from: Instant | null, to: Instant | null): boolean =>
    from === null || to === null || (spec.maxspanNanos !== null && spec.maxspanNanos > 0 && spanNanos(from, to) > spec.maxspanNanos);
  if (lastLeading === null && firstTrailing === null) return true;
  if (leadingStage && lastLeading === null) return true;
  if (trailingStage && firstTrailing === null) return true;
  if (leadingStage && trailingStage) return beyond(lastLeading, firstTrailing);
  if (leadingStage) return beyond(lastLeading, last);
  return beyond(first, firstTrailing);
}

/** All sequences, in the order they complete (the position of their last event). */
export function matchSequences(events: readonly Ordered[], spec: SequenceSpec): SequenceMatch[] {
  const positive: number[] = [];
  spec.stages.forEach((s, i) => {
    if (!s.missing) positive.push(i);
  });
  const P = positive.length;
  if (P === 0) return [];
  const hasMissing = positive.length !== spec.stages.length;
  const missingIdx = hasMissing ? buildMissingIndex(events, spec) : new Map();
  const state = new Map<string, KeyState>();
  const out: (SequenceMatch & { pos: number })[] = [];
  let pos = 0;

  const complete = (key: KeyTuple, keyId: string, seq: Pending): void => {
    if (hasMissing && !passesMissing(seq, keyId, spec, positive, missingIdx)) return;
    const full: (Ordered | null)[] = new Array(spec.stages.length).fill(null);
    positive.forEach((s, j) => {
      full[s] = seq.events[j]!;
    });
    out.push({ key, events: full, pos });
  };

  for (pos = 0; pos < events.length; pos++) {
    const o = events[pos]!;
    for (let j = P - 1; j >= 0; j--) {
      const stage = spec.stages[positive[j]!]!;
      if (!stage.match(o.ev)) continue;
      for (const key of stage.keys(o.ev)) {
        const id = tupleId(key);
        if (j === 0) {
          const seq: Pending = { events: [o], start: o.ts };
          if (P === 1) {
            complete(key, id, seq);
            continue;
          }
          let st = state.get(id);
          if (!st) state.set(id, (st = { key, slots: new Array(P - 1).fill(undefined) }));
          st.slots[0] = seq;
          continue;
        }
        const st = state.get(id);
        const prev = st?.slots[j - 1];
        if (!st || !prev) continue;
        st.slots[j - 1] = undefined;
        // As ES: a zero maxspan means none.
        if (spec.maxspanNanos !== null && spec.maxspanNanos > 0 && spanNanos(prev.start, o.ts) > spec.maxspanNanos) continue;
        const next: Pending = { events: [...prev.events, o], start: prev.start };
        if (j === P - 1) complete(st.key, id, next);
        else st.slots[j] = next;
      }
    }
    if (spec.until && spec.until.match(o.ev)) {
      for (const key of spec.until.keys(o.ev)) state.delete(tupleId(key));
    }
  }
  out.sort((a, b) => a.pos - b.pos || compareTuples(a.key, b.key));
  return out.map(({ key, events: evs }) => ({ key, events: evs }));
}
