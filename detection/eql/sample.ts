// Samples: unordered groups of events, one per stage, sharing the join key. As in
// Elasticsearch, keys are visited in composite-aggregation order (ascending, null first); for each
// key, each stage contributes its first `stages + max_samples_per_key - 1` matching events in
// `_doc` order (what ES fetches per stage), and samples are built from those by backtracking - the
// first stage varying slowest - with no event used twice within one sample, up to
// `max_samples_per_key`. Timestamps play no part.
import type { EventRecord } from './index-set.js';
import { compareTuples, tupleId, type KeyTuple } from './keys.js';

export interface SampleStageSpec {
  match: (ev: EventRecord) => boolean;
  keys: (ev: EventRecord) => KeyTuple[];
}

export interface SampleMatch {
  key: KeyTuple;
  events: EventRecord[];
}

interface Bucket {
  key: KeyTuple;
  hits: EventRecord[][];
}

export function matchSamples(
  events: readonly EventRecord[],
  stages: readonly SampleStageSpec[],
  maxPerKey: number,
  limit: number,
): SampleMatch[] {
  if (stages.length === 0 || limit <= 0 || maxPerKey <= 0) return [];
  const perStage = stages.length + maxPerKey - 1;
  const buckets = new Map<string, Bucket>();
  for (const ev of events) {
    for (let s = 0; s < stages.length; s++) {
      const st = stages[s]!;
      if (!st.match(ev)) continue;
      for (const key of st.keys(ev)) {
        const id = tupleId(key);
        let b = buckets.get(id);
        if (!b) buckets.set(id, (b = { key, hits: stages.map(() => []) }));
        const hits = b.hits[s]!;
        if (hits.length < perStage) hits.push(ev);
      }
    }
  }
  const complete = [...buckets.values()].filter((b) => b.hits.every((h) => h.length > 0));
  complete.sort((a, b) => compareTuples(a.key, b.key));

  const out: SampleMatch[] = [];
  for (const b of complete) {
    if (out.length >= limit) break;
    let found = 0;
    const chosen: EventRecord[] = [];
    const used = new Set<EventRecord>();
    const walk = (s: number): boolean => {
      if (s === stages.length) {
        out.push({ key: b.key, events: [...chosen] });
        found++;
        return found >= maxPerKey || out.length >= limit;
      }
      for (const ev of b.hits[s]!) {
        if (used.has(ev)) continue;
        used.add(ev);
        chosen.push(ev);
        const stop = walk(s + 1);
        chosen.pop();
        used.delete(ev);
        if (stop) return true;
      }
      return false;
    };
    walk(0);
  }
  return out;
}
