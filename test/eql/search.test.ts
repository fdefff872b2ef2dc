// `_eql/search` semantics on small hand-made index sets: ordering, pipes and limits, the sequence
// state machine (maxspan, until, runs, missing events, join keys), samples, multi-index sets,
// mappings (aliases, null_value, date formats, runtime fields) and request validation.
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../detection/eql/parser.js';
import { buildIndexSet, parseNdjson, type IndexInput } from '../../detection/eql/index-set.js';
import { parseMapping } from '../../detection/eql/mapping.js';
import { search, searchResponse, type SearchHits, type SearchRequest } from '../../detection/eql/search.js';

type Doc = Record<string, unknown>;

function set(...inputs: IndexInput[]) {
  return buildIndexSet(inputs);
}

/** One index "events" of docs `{'@timestamp': i, id: i, ...}`. */
function events(docs: Doc[], mapping?: unknown) {
  return set({ index: 'events', docs, mapping: mapping === undefined ? undefined : parseMapping(mapping) });
}

function ids(hits: SearchHits, field = 'id'): number[] {
  const evs = hits.events ?? (hits.sequences ?? []).flatMap((s) => s.events);
  return evs.map((e) => ('missing' in e ? -1 : Number((e._source as Doc)[field])));
}

function run(q: string, index: ReturnType<typeof set>, req: SearchRequest = {}): SearchHits {
  return search(parseQuery(q), index, { size: 100, ...req });
}

const proc = (id: number, ts: number | string, extra: Doc = {}): Doc => ({ '@timestamp': ts, id, event: { category: 'process' }, ...extra });

describe('event queries: ordering, pipes, size', () => {
  const idx = events([proc(3, 30), proc(1, 10), proc(2, 10, { tb: 1 }), proc(4, '1970-01-01T00:00:00.020Z'), proc(5, undefined as never)]);

  it('orders by timestamp (missing last), then tiebreaker (missing last), then indexing order', () => {
    expect(ids(run('process where true', idx))).toEqual([1, 2, 4, 3, 5]);
    expect(ids(run('process where true', idx, { tiebreaker_field: 'tb' }))).toEqual([2, 1, 4, 3, 5]);
  });

  it('leaves events without a timestamp out of sequences', () => {
    expect(ids(run('sequence [process where id == 3] [process where true]', idx))).toEqual([]);
    expect(ids(run('sample by event.category [process where id == 3] [process where id == 5]', idx))).toEqual([3, 5]);
  });

  it('applies head/tail pipes left to right, tail keeping ascending order', () => {
    expect(ids(run('process where true | tail 2', idx))).toEqual([3, 5]);
    expect(ids(run('process where true | head 3 | tail 2', idx))).toEqual([2, 4]);
    expect(ids(run('process where true | head 0', idx))).toEqual([]);
  });

  it('limits to size from the head or (ES default) the tail', () => {
    expect(ids(search(parseQuery('process where true'), idx, { size: 2 }))).toEqual([3, 5]);
    expect(ids(search(parseQuery('process where true'), idx, { size: 2, result_position: 'head' }))).toEqual([1, 2]);
    expect(ids(search(parseQuery('process where true'), idx, { size: 0 }))).toEqual([]);
  });

  it('defaults size to 10 like the API', () => {
    const many = events(Array.from({ length: 15 }, (_, i) => proc(i + 1, i + 1)));
    expect(ids(search(parseQuery('process where true'), many))).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it('honours the filter pipe on event queries and rejects it on sequences', () => {
    expect(ids(run('process where true | filter id > 2', idx))).toEqual([4, 3, 5]);
    expect(() => run('sequence [process where true] [process where true] | filter true', idx)).toThrow(/event queries only/);
  });

  it('keeps date_nanos precision and truncates date to milliseconds', () => {
    const docs = [proc(1, '2022-01-01T00:00:00.000900Z', { seq: 2 }), proc(2, '2022-01-01T00:00:00.000100Z', { seq: 1 })];
    const nanos = { properties: { '@timestamp': { type: 'date_nanos' } } };
    expect(ids(run('process where true', events(docs, nanos), { tiebreaker_field: 'seq' }))).toEqual([2, 1]);
    // Unmapped: dynamic mapping makes it a plain `date`, so both fall in one millisecond and the tiebreaker decides.
    expect(ids(run('process where true', events(docs), { tiebreaker_field: 'seq' }))).toEqual([2, 1]);
    // With plain `date` both are the same millisecond: the tiebreaker decides.
    expect(ids(run('process where true', events(docs, { properties: { '@timestamp': { type: 'date' } } }), { tiebreaker_field: 'seq' }))).toEqual([2, 1]);
    expect(ids(run('process where true', events([{ ...docs[0], seq: 1 }, { ...docs[1], seq: 2 }], { properties: { '@timestamp': { type: 'date' } } }), { tiebreaker_field: 'seq' }))).toEqual([1, 2]);
  });

  it('uses the timestamp, tiebreaker and category fields the request names', () => {
    const docs = [
      { t: 2, k: 'b', cat: 'x', id: 1 },
      { t: 1, k: 'a', cat: 'x', id: 2 },
      { t: 1, k: 'c', cat: 'y', id: 3 },
    ];
    const idx2 = events(docs);
    expect(ids(run('x where true', idx2, { timestamp_field: 't', event_category_field: 'cat' }))).toEqual([2, 1]);
    expect(ids(run('any where true', idx2, { timestamp_field: 't', event_category_field: 'cat', tiebreaker_field: 'k' }))).toEqual([2, 3, 1]);
  });
});

describe('sequences: the state machine', () => {
  const five = events([1, 2, 3, 4, 5, 6, 7].map((i) => proc(i, i)));

  it('keeps one pending sequence per stage and key; a newer one overwrites', () => {
    expect(ids(run('sequence [process where id < 5] [process where id == 5]', five))).toEqual([4, 5]);
    expect(ids(run('sequence [process where id <= 3] [process where true] [process where true]', five))).toEqual([1, 2, 3, 2, 3, 4, 3, 4, 5]);
    expect(ids(run('sequence [process where true] [process where id <= 3] [process where true]', five))).toEqual([1, 2, 3, 2, 3, 4]);
    expect(ids(run('sequence [process where id < 5] [process where id < 5]', five))).toEqual([1, 2, 2, 3, 3, 4]);
  });

  it('expands `with runs=N` into N consecutive stages', () => {
    expect(ids(run('sequence [process where id == 1] [process where true] with runs=3', five))).toEqual([1, 2, 3, 4]);
  });

  it('orders matches by their last event and counts whole sequences in head/tail and size', () => {
    const seqs = run('sequence [process where true] [process where true]', five);
    expect(ids(seqs)).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7]);
    expect(ids(run('sequence [process where true] [process where true] | tail 1', five))).toEqual([6, 7]);
    expect(ids(run('sequence [process where true] [process where true] | head 3 | tail 2', five))).toEqual([2, 3, 3, 4]);
    expect(ids(search(parseQuery('sequence [process where true] [process where true]'), five, { size: 2, result_position: 'head' }))).toEqual([1, 2, 2, 3]);
    expect(ids(search(parseQuery('sequence [process where true] [process where true]'), five, { size: 2 }))).toEqual([5, 6, 6, 7]);
  });

  it('drops a sequence whose next event falls outside maxspan (counted from the first event, ES units)', () => {
    const timed = events([proc(1, 0), proc(2, 999), proc(3, 2500), proc(4, 2600)]);
    expect(ids(run('sequence with maxspan=1s [process where true] [process where true]', timed))).toEqual([1, 2, 3, 4]);
    expect(ids(run('sequence with maxspan=999ms [process where id == 1] [process where id == 2]', timed))).toEqual([1, 2]);
    expect(ids(run('sequence with maxspan=998ms [process where id == 1] [process where id == 2]', timed))).toEqual([]);
    expect(ids(run('sequence with maxspan=2s [process where id == 1] [process where true] [process where true]', timed))).toEqual([]);
    expect(ids(run('sequence with maxspan=3s [process where id == 1] [process where true] [process where true]', timed))).toEqual([1, 2, 3]);
  });

  it('cancels pending sequences of the key on an until event, after that event advanced them', () => {
    const docs = [proc(1, 1, { k: 'a' }), proc(2, 2, { k: 'a', stop: true }), proc(3, 3, { k: 'a' }), proc(4, 4, { k: 'b' }), proc(5, 5, { k: 'b' })];
    const idx = events(docs);
    // Event 2 advances 1 to stage 2, then cancels it: nothing completes for key a.
    expect(ids(run('sequence by k [process where true] [process where true] [process where true] until [process where stop == true]', idx))).toEqual([]);
    // An until event that completes a sequence does not undo it.
    expect(ids(run('sequence by k [process where id == 1] [process where true] until [process where stop == true]', idx))).toEqual([1, 2]);
    // An until event between the matches cancels; one of another key does not.
    expect(ids(run('sequence by k [process where id != 2] [process where id != 2] until [process where stop == true]', idx))).toEqual([4, 5]);
  });

  it('joins on each value of a multi-valued key and on the cartesian product of several keys (ties ordered by key)', () => {
    const docs = [
      proc(1, 1, { tags: ['t1', 't2'], items: ['i1', 'i2'] }),
      proc(2, 2, { tags: ['t2', 't1', 't1'], items: 'i2' }),
    ];
    const hits = run('sequence by tags, items [process where id == 1] [process where id == 2]', events(docs));
    expect(hits.sequences!.map((s) => s.join_keys)).toEqual([
      ['t1', 'i2'],
      ['t2', 'i2'],
    ]);
  });

  it('reads join keys through arrays of objects and flattened keys, as ES flattens them', () => {
    const docs = [proc(1, 1, { user: [{ name: 'x' }, { name: 'y' }] }), proc(2, 2, { 'user.name': 'y' })];
    const hits = run('sequence by user.name [process where id == 1] [process where id == 2]', events(docs));
    expect(hits.sequences!.map((s) => s.join_keys)).toEqual([['y']]);
  });

  it('excludes events with a null join key unless the key is ?optional', () => {
    const docs = [proc(1, 1), proc(2, 2, { k: null }), proc(3, 3, { k: [] }), proc(4, 4, { k: [null] })];
    const idx = events(docs, { properties: { k: { type: 'keyword' } } });
    expect(ids(run('sequence by k [process where true] [process where true]', idx))).toEqual([]);
    const hits = run('sequence by ?k [process where true] [process where true]', idx);
    expect(ids(hits)).toEqual([1, 2, 2, 3, 3, 4]);
    expect(hits.sequences!.map((s) => s.join_keys)).toEqual([[null], [null], [null]]);
  });

  it('uses query-level keys then stage keys, positionally', () => {
    const docs = [proc(1, 1, { host: 'h', pid: 7 }), proc(2, 2, { host: 'h', ppid: 7 }), proc(3, 3, { host: 'x', ppid: 7 })];
    const hits = run('sequence by host [process where id == 1] by pid [process where true] by ppid', events(docs));
    expect(ids(hits)).toEqual([1, 2]);
    expect(hits.sequences![0]!.join_keys).toEqual(['h', 7]);
  });

  it('joins ip keys on the address, printed as ES prints it', () => {
    const docs = [proc(1, 1, { ip: '2001:0DB8:0:0:0:0:0:1' }), proc(2, 2, { ip: '2001:db8::1' }), proc(3, 3, { ip: '::ffff:10.0.0.1' }), proc(4, 4, { ip: '10.0.0.1' })];
    const idx = events(docs, { properties: { ip: { type: 'ip' } } });
    const hits = run('sequence by ip [process where true] [process where true]', idx);
    expect(ids(hits)).toEqual([1, 2, 3, 4]);
    expect(hits.sequences!.map((s) => s.join_keys)).toEqual([['2001:db8::1'], ['10.0.0.1']]);
  });

  it('renders date keys as ISO strings in sequences and as epoch millis in samples', () => {
    const docs = [proc(1, 1, { d: '1970-01-02T00:00:00Z' }), proc(2, 2, { d: 86400000 })];
    const idx = events(docs, { properties: { d: { type: 'date' } } });
    expect(run('sequence by d [process where id == 1] [process where id == 2]', idx).sequences![0]!.join_keys).toEqual(['1970-01-02T00:00:00.000Z']);
    expect(run('sample by d [process where id == 1] [process where id == 2]', idx).sequences![0]!.join_keys).toEqual([86400000]);
  });
});

describe('sequences: missing events', () => {
  const t = (id: number, ts: number, tag: string, extra: Doc = {}): Doc => ({ '@timestamp': ts, id, tag, event: { category: 'e' }, ...extra });
  const data = events([t(1, 1, 'n'), t(2, 2, 'n'), t(3, 3, 'm'), t(4, 4, 'n')]);

  it('rejects a candidate when the missing stage has an event between its neighbours, and renders a placeholder', () => {
    const hits = run('sequence with maxspan=1s [e where tag == "n"] ![e where tag == "m"] [e where tag == "n"]', data);
    expect(ids(hits)).toEqual([1, -1, 2]);
    expect(hits.sequences![0]!.events[1]).toEqual({ missing: true });
    expect(ids(run('sequence with maxspan=1s [e where tag == "n"] ![e where tag == "none"] [e where tag == "n"]', data))).toEqual([1, -1, 2, 2, -1, 4]);
  });

  it('checks a trailing or leading missing stage within maxspan of the sequence', () => {
    expect(ids(run('sequence with maxspan=1s [e where tag == "n"] ![e where tag == "m"]', data))).toEqual([4, -1]);
    expect(ids(run('sequence with maxspan=1ms [e where tag == "n"] ![e where tag == "m"]', data))).toEqual([1, -1, 4, -1]);
    expect(ids(run('sequence with maxspan=1s ![e where tag == "m"] [e where tag == "n"]', data))).toEqual([-1, 1, -1, 2]);
  });

  it('needs leading and trailing missing events together to reject (the whole within maxspan)', () => {
    const d = events([t(1, 0, 'm'), t(2, 10, 'n'), t(3, 20, 'm'), t(4, 21, 'n')]);
    expect(ids(run('sequence with maxspan=19ms ![e where tag == "m"] [e where tag == "n"] ![e where tag == "m"]', d))).toEqual([-1, 2, -1, -1, 4, -1]);
    expect(ids(run('sequence with maxspan=20ms ![e where tag == "m"] [e where tag == "n"] ![e where tag == "m"]', d))).toEqual([-1, 4, -1]);
  });

  it('bounds the missing-event window by timestamps (in whole milliseconds), not by tiebreakers', () => {
    const d = events([t(1, 1, 'n', { s: 1 }), t(2, 1, 'm', { s: 2 }), t(3, 2, 'n', { s: 3 })]);
    // The missing event shares the first event's millisecond: ES's range (gt 1ms, lt 2ms) does not see it.
    expect(ids(run('sequence with maxspan=1s [e where tag == "n"] ![e where tag == "m"] [e where tag == "n"]', d, { tiebreaker_field: 's' }))).toEqual([1, -1, 3]);
  });

  it('matches the missing event on the same join key', () => {
    const d = events([t(1, 1, 'n', { k: 'a' }), t(2, 2, 'm', { k: 'b' }), t(3, 3, 'n', { k: 'a' })]);
    expect(ids(run('sequence by k with maxspan=1s [e where tag == "n"] ![e where tag == "m"] [e where tag == "n"]', d))).toEqual([1, -1, 3]);
    const d2 = events([t(1, 1, 'n', { k: 'a' }), t(2, 2, 'm', { k: 'a' }), t(3, 3, 'n', { k: 'a' })]);
    expect(ids(run('sequence by k with maxspan=1s [e where tag == "n"] ![e where tag == "m"] [e where tag == "n"]', d2))).toEqual([]);
  });
});

describe('samples', () => {
  const docs = [
    { id: 1, event: { category: 'a' }, host: 'doom', os: 'win' },
    { id: 2, event: { category: 'a' }, host: 'GTA', os: 'win' },
    { id: 3, event: { category: 'b' }, host: 'doom' },
    { id: 4, event: { category: 'b' }, host: 'GTA' },
    { id: 5, event: { category: 'a' }, host: 'doom' },
    { id: 6, event: { category: 'b' }, host: 'doom' },
    { id: 7, event: { category: 'a' }, os: 'x' },
    { id: 8, event: { category: 'b' }, os: 'x' },
  ];
  const idx = events(docs, { properties: { host: { type: 'keyword' }, os: { type: 'keyword' } } });

  it('visits keys in ascending byte order (upper case first), needs no timestamp, and keeps stage order', () => {
    const hits = run('sample by host [a where true] [b where true]', idx);
    expect(hits.sequences!.map((s) => s.join_keys)).toEqual([['GTA'], ['doom']]);
    expect(ids(hits)).toEqual([2, 4, 1, 3]);
  });

  it('honours max_samples_per_key, never using one event twice in a sample', () => {
    expect(ids(run('sample by host [a where true] [b where true]', idx, { max_samples_per_key: 3 }))).toEqual([2, 4, 1, 3, 1, 6, 5, 3]);
    expect(ids(run('sample by host [any where true] [any where true]', idx, { max_samples_per_key: 2 }))).toEqual([2, 4, 4, 2, 1, 3, 1, 5]);
  });

  it('puts the null key first when the key is optional, and drops it otherwise', () => {
    expect(run('sample by ?host [a where true] [b where true]', idx).sequences!.map((s) => s.join_keys)).toEqual([[null], ['GTA'], ['doom']]);
    expect(run('sample by host [a where true] [b where true]', idx).sequences!.length).toBe(2);
  });

  it('limits the number of samples to size', () => {
    expect(ids(search(parseQuery('sample by ?host [a where true] [b where true]'), idx, { size: 1 }))).toEqual([7, 8]);
  });

  it('compares date keys as instants across indices with different formats', () => {
    const s = set(
      { index: 'one', docs: [{ id: 1, event_type: 'alert', d: '17-12-2022' }], mapping: parseMapping({ properties: { d: { type: 'date', format: 'dd-MM-yyyy' }, event: { properties: { category: { type: 'alias', path: 'event_type' } } } } }) },
      { index: 'two', docs: [{ id: 2, event_type: 'fail', d: '2022-12-17' }], mapping: parseMapping({ properties: { d: { type: 'date', format: 'yyyy-MM-dd' }, event: { properties: { category: { type: 'alias', path: 'event_type' } } } } }) },
    );
    const hits = run('sample by d [alert where true] [fail where true]', s);
    expect(ids(hits)).toEqual([1, 2]);
    expect(hits.sequences![0]!.join_keys).toEqual([1671235200000]);
  });
});

describe('index sets and mappings', () => {
  const mapping = {
    mappings: {
      properties: {
        event_type: { type: '[runtime_random_keyword_type]' },
        serial: { type: 'long' },
        event: { properties: { category: { type: 'alias', path: 'event_type' }, sequence: { type: 'alias', path: 'serial' } } },
        opt: { type: 'keyword', null_value: 'NULL' },
        addr: { type: 'ip' },
      },
    },
  };

  it('searches several indices as one set, each event keeping its _index and an _id per index', () => {
    const s = set(
      { index: 'b-index', docs: [{ '@timestamp': 1, event_type: 'p', serial: 2 }], mapping: parseMapping(mapping) },
      { index: 'a-index', docs: [{ '@timestamp': 1, event_type: 'p', serial: 1 }, { '@timestamp': 1, event_type: 'p', serial: 1 }], mapping: parseMapping(mapping) },
    );
    const hits = run('p where true', s, { tiebreaker_field: 'event.sequence' });
    expect(hits.events!.map((e) => [e._index, e._id])).toEqual([
      ['a-index', '1'],
      ['a-index', '2'],
      ['b-index', '1'],
    ]);
  });

  it('keeps the _index and _id of exported hits', () => {
    const s = set({ index: 'file', docs: [{ _index: 'logs-1', _id: 'abc', _source: { '@timestamp': 5, event: { category: 'x' } } }] });
    expect(run('x where true', s).events).toEqual([{ _index: 'logs-1', _id: 'abc', _source: { '@timestamp': 5, event: { category: 'x' } } }]);
  });

  it('resolves aliases (category and tiebreaker) and indexes null_value in place of a JSON null', () => {
    const s = set({ index: 'i', docs: [{ '@timestamp': 1, event_type: 'p', serial: 2, opt: null }, { '@timestamp': 1, event_type: 'p', serial: 1 }], mapping: parseMapping(mapping) });
    expect(ids(run('p where true', s, { tiebreaker_field: 'event.sequence' }), 'serial')).toEqual([1, 2]);
    expect(ids(run('p where ?opt == "NULL"', s), 'serial')).toEqual([2]);
    expect(ids(run('p where ?opt == null', s), 'serial')).toEqual([1]);
    expect(search(parseQuery('p where ?opt == "NULL"'), s).events![0]!._source).toEqual({ '@timestamp': 1, event_type: 'p', serial: 2, opt: null });
  });

  it('binds an optional field no mapping or document has to null (so ?x == ?y holds)', () => {
    const s = set({ index: 'i', docs: [{ '@timestamp': 1, event_type: 'p', serial: 1 }], mapping: parseMapping(mapping) });
    expect(ids(run('p where ?x == ?y', s), 'serial')).toEqual([1]);
  });

  it('rejects a field nothing maps when a mapping is given, unless written ?field', () => {
    const s = set({ index: 'i', docs: [{ '@timestamp': 1, event_type: 'p', serial: 1, extra: null }], mapping: parseMapping(mapping) });
    expect(() => run('p where nosuch == 1', s)).toThrow(expect.objectContaining({ code: 'HW_ERR_EQL_UNKNOWN_FIELD', message: expect.stringContaining('[nosuch]') }));
    expect(() => run('p where extra == 1', s)).toThrow(/unknown field \[extra\]/);
    expect(() => run('sequence by nosuch [p where true] [p where true]', s)).toThrow(/HW_ERR|unknown field/);
    expect(ids(run('p where ?nosuch == null', s), 'serial')).toEqual([1]);
    // Dynamic mapping: a field some event holds is known.
    const withDoc = set({ index: 'i', docs: [{ '@timestamp': 1, event_type: 'p', serial: 1, other: 'x' }], mapping: parseMapping(mapping) });
    expect(ids(run('p where other == "x"', withDoc), 'serial')).toEqual([1]);
    // Without any mapping there is nothing to check against: the field is null.
    expect(ids(run('any where nosuch == null', events([proc(1, 1)])))).toEqual([1]);
  });

  it('reads the accepted mapping envelopes and rejects a bad one with a code', () => {
    const m = parseMapping({ myindex: mapping });
    expect(m.aliases.get('event.category')).toBe('event_type');
    expect(m.types.get('event_type')).toBe('keyword');
    expect(parseMapping(mapping.mappings).nullValues.get('opt')).toBe('NULL');
    expect(() => parseMapping({ properties: { a: { type: 'alias' } } })).toThrow(expect.objectContaining({ code: 'HW_ERR_EQL_MAPPING' }));
    expect(() => parseMapping({ properties: 'nope' })).toThrow(/properties/);
  });

  it('reads NDJSON, reporting malformed lines by number', () => {
    const r = parseNdjson('{"a":1}\n\nnot json\n[1]\n{"b":2}');
    expect(r.docs).toEqual([{ a: 1 }, { b: 2 }]);
    expect(r.problems.map((p) => p.line)).toEqual([3, 4]);
  });
});

describe('partial results: scripted runtime fields', () => {
  const healthy = { index: 'good', docs: [proc(1, 1), proc(2, 2)] };
  const broken = {
    index: 'bad',
    docs: [proc(3, 3)],
    mapping: parseMapping({ runtime: { broken: { type: 'long', script: { source: 'emit(1)' } } }, properties: {} }),
  };
  const s = set(healthy, broken);

  it('leaves the failing index out of event and sample queries and reports it', () => {
    const r = searchResponse(parseQuery('process where id == 1 or broken == 1'), s, { size: 10 });
    expect(ids(r.hits)).toEqual([1]);
    expect(r.is_partial).toBe(true);
    expect(r.shard_failures.map((f) => f.index)).toEqual(['bad']);
    expect(ids(run('sample by event.category [process where id == 1 or broken == 1] [process where id == 2]', s))).toEqual([1, 2]);
    expect(ids(run('sample by event.category [process where id == 3 or broken == 1] [process where id == 2]', s))).toEqual([]);
  });

  it('returns no sequences unless allow_partial_sequence_results, and errors without partial search results', () => {
    const q = 'sequence [process where id == 1 or broken == 1] [process where id == 2]';
    expect(ids(run(q, s))).toEqual([]);
    expect(ids(run(q, s, { allow_partial_sequence_results: true }))).toEqual([1, 2]);
    expect(() => run(q, s, { allow_partial_search_results: false })).toThrow(expect.objectContaining({ code: 'HW_ERR_EQL_SHARD_FAILURE' }));
    expect(ids(run('sequence [process where id == 1] [process where id == 2]', s))).toEqual([1, 2]);
  });
});

describe('request options', () => {
  const idx = events([proc(1, 1, { name: 'Reg.EXE' }), proc(2, 2, { name: 'cmd.exe' })]);

  it('rejects bad options with a code naming the field', () => {
    expect(() => run('process where true', idx, { size: -1 })).toThrow(expect.objectContaining({ code: 'HW_ERR_EQL_REQUEST', message: expect.stringContaining('"size"') }));
    expect(() => run('process where true', idx, { result_position: 'middle' as never })).toThrow(/result_position/);
    expect(() => run('process where true', idx, { bogus: 1 } as never)).toThrow(/HW_ERR_EQL_REQUEST|bogus|Unrecognized/);
  });

  it('accepts fetch_size without changing results', () => {
    const q = 'sequence [process where true] [process where true]';
    expect(ids(run(q, idx, { fetch_size: 2 }))).toEqual(ids(run(q, idx, { fetch_size: 1000 })));
  });

  it('case_sensitive: false folds case in ==, in and the string functions (ES 7.10)', () => {
    expect(ids(run('process where name == "reg.exe"', idx))).toEqual([]);
    expect(ids(run('process where name == "reg.exe"', idx, { case_sensitive: false }))).toEqual([1]);
    expect(ids(run('process where name in ("REG.exe")', idx, { case_sensitive: false }))).toEqual([1]);
    expect(ids(run('process where startsWith(name, "reg")', idx, { case_sensitive: false }))).toEqual([1]);
    expect(ids(run('process where name != "REG.EXE"', idx, { case_sensitive: false }))).toEqual([2]);
    expect(ids(run('process where name == "reg.exe"', idx, { case_sensitive: true }))).toEqual([]);
  });
});
