// The shipped hive-dump rules through `_eql/search` over the real-event corpus, as one index: the
// events returned must be exactly those the corpus labels as matches (`label` for v317,
// `label_upstream_latest` for v318), in timestamp order.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildIndexSet, parseNdjson } from '../../detection/eql/index-set.js';
import { search } from '../../detection/eql/search.js';
import { loadRule } from '../../detection/rules/load.js';

const repo = path.resolve(import.meta.dirname, '../..');
const corpus = path.resolve(repo, '../shared/corpus/real-events.jsonl');
const { docs } = parseNdjson(readFileSync(corpus, 'utf8'));
const set = buildIndexSet([{ index: 'real-events', docs }]);

type Labelled = { '@timestamp': string; label: string; label_upstream_latest: string };

describe('hive-dump rules through eql search over the real-event corpus', () => {
  for (const [file, label] of [
    ['rule-v317.toml', 'label'],
    ['rule-v318.toml', 'label_upstream_latest'],
  ] as const) {
    it(`${file}: returns exactly the events labelled "match" in ${label}, in timestamp order`, () => {
      const rule = loadRule(path.join(repo, 'playbooks/hive-dump', file));
      const hits = search(rule.ast, set, { size: 10_000, result_position: 'head' });
      const got = hits.events!.map((e) => e._source as Labelled);
      const want = (docs as Labelled[]).filter((d) => d[label] === 'match');
      expect(want.length).toBeGreaterThan(0);
      expect(new Set(got)).toEqual(new Set(want));
      const times = got.map((d) => Date.parse(d['@timestamp']));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });
  }
});
