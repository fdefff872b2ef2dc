// Elasticsearch's sequence state machine over events in search order.
//
// Per join key there is one pending sequence per stage: an event matching stage k takes the
// sequence waiting after stage k-1 (if it is still within maxspan of its first event) and moves it
// to stage k, overwriting whatever was pending there; an event matching the first stage starts a
// new sequence, replacing the older one. Stages are tried from last to first so that one event
// never fills two stages of one sequence. An `until` event cancels the key's pending sequences
// (after the event itself has advanced them: ES cancels when until ∈ [last match, next match)).
//
// Missing-event stages `![...]` are left out of the state machine; a completed candidate is then
// rejected when a missing stage's event exists for its key: between its two neighbouring positive
// events (each middle stage on its own), or - for leading and trailing missing stages, together -
// before the first / after the last positive event such that the whole would fit in maxspan.
// (Derived from the expectations of ES's test_missing_events.toml.)
import type { EventRecord } from './index-set.js';
import { tupleId, type KeyTuple } from './keys.js';
import type { Ordered } from './ordering.js';
import { spanNanos, type Instant } from './timestamps.js';

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
  /** Positions (in the ordered stream) of the events. */
  positions: number[];
  start: Instant;
}

interface KeyState {
  key: KeyTuple;
  slots: (Pending | undefined)[];
}

/** For each missing stage: key id -> ascending stream positions of its matching events. */
type MissingIndex = Map<number, Map<string, number[]>>;

function buildMissingIndex(events: readonly Ordered[], spec: SequenceSpec): MissingIndex {
  const idx: MissingIndex = new Map();
  spec.stages.forEach((st, s) => {
    if (!st.missing) return;
    const byKey = new Map<string, number[]>();
    events.forEach((o, pos) => {
      if (!st.match(o.ev)) return;
      for (const t of st.keys(o.ev)) {
        const id = tupleId(t);
        let list = byKey.get(id);
        if (!list) byKey.set(id, (list = []));
        list.push(pos);
      }
    });
    idx.set(s, byKey);
  });
  return idx;
}

/** First index in the ascending list whose value is > pos. */
function upperBound(list: readonly number[], pos: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function passesMissing(
  seq: Pending,
  keyId: string,
  spec: SequenceSpec,
  positive: readonly number[],
  idx: MissingIndex,
  events: readonly Ordered[],
): boolean {
  const firstPos = seq.positions[0]!;
  const lastPos = seq.positions[seq.positions.length - 1]!;
  let edgeStages = 0;
  let edgeFound = 0;
  let earliest: Instant = seq.start;
  let latest: Instant = seq.events[seq.events.length - 1]!.ts;
  for (let s = 0; s < spec.stages.length; s++) {
    if (!spec.stages[s]!.missing) continue;
    const list = idx.get(s)?.get(keyId) ?? [];
    // Neighbouring positive stages, as indices into seq.positions.
    let before = -1;
    let after = -1;
    for (let j = 0; j < positive.length; j++) {
      if (positive[j]! < s) before = j;
      else if (after < 0) after = j;
    }
    if (before >= 0 && after >= 0) {
      const lo = seq.positions[before]!;
      const hi = seq.positions[after]!;
      const k = upperBound(list, lo);
      if (k < list.length && list[k]! < hi) return false;
      continue;
    }
    edgeStages++;
    if (after >= 0) {
      // Leading: the latest such event before the first positive one.
      const k = upperBound(list, firstPos - 1) - 1;
      if (k >= 0 && list[k]! < firstPos) {
        edgeFound++;
        const t = events[list[k]!]!.ts;
        if (spanNanos(t, earliest) > 0) earliest = t;
      }
    } else {
      // Trailing: the earliest such event after the last positive one.
      const k = upperBound(list, lastPos);
      if (k < list.length) {
        edgeFound++;
        const t = events[list[k]!]!.ts;
        if (spanNanos(latest, t) > 0) latest = t;
      }
    }
  }
  if (edgeStages === 0 || edgeFound < edgeStages) return true;
  if (spec.maxspanNanos === null) return false;
  return spanNanos(earliest, latest) > spec.maxspanNanos;
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
  const out: SequenceMatch[] = [];

  const complete = (key: KeyTuple, keyId: string, seq: Pending): void => {
    if (hasMissing && !passesMissing(seq, keyId, spec, positive, missingIdx, events)) return;
    const full: (Ordered | null)[] = new Array(spec.stages.length).fill(null);
    positive.forEach((s, j) => {
      full[s] = seq.events[j]!;
    });
    out.push({ key, events: full });
  };

  for (let pos = 0; pos < events.length; pos++) {
    const o = events[pos]!;
    for (let j = P - 1; j >= 0; j--) {
      const stage = spec.stages[positive[j]!]!;
      if (!stage.match(o.ev)) continue;
      for (const key of stage.keys(o.ev)) {
        const id = tupleId(key);
        if (j === 0) {
          const seq: Pending = { events: [o], positions: [pos], start: o.ts };
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
        if (spec.maxspanNanos !== null && spanNanos(prev.start, o.ts) > spec.maxspanNanos) continue;
        const next: Pending = { events: [...prev.events, o], positions: [...prev.positions, pos], start: prev.start };
        if (j === P - 1) complete(st.key, id, next);
        else st.slots[j] = next;
      }
    }
    if (spec.until && spec.until.match(o.ev)) {
      for (const key of spec.until.keys(o.ev)) state.delete(tupleId(key));
    }
  }
  return out;
}
