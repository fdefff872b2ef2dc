// Batched admission (one script call per chunk of alerts) decides exactly what one call per alert decides:
// the same created / joined / duplicate outcomes and the same grouping into cases, across chunk boundaries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { parseAlert, type Alert } from '../../detection/alert.js';
import { CaseStore } from '../../workers/cases/store.js';
import { cleanup, connect, nestedAlert, uniquePrefix } from './helpers.js';

const batchPrefix = uniquePrefix('admit-batch');
const singlePrefix = uniquePrefix('admit-single');
let redis: Redis;

beforeAll(async () => {
  redis = await connect();
});

afterAll(async () => {
  await cleanup(redis, batchPrefix);
  await cleanup(redis, singlePrefix);
  await redis.quit();
});

const store = (prefix: string) => new CaseStore(redis, { prefix, groupingWindowMinutes: 30, retentionDays: 30, now: () => 1_800_000_000_000 });

/** 450 alerts (over two chunk boundaries): groups of three share a host and parent, some have no parent, some repeat. */
function alerts(): Alert[] {
  const list: Alert[] = [];
  for (let i = 0; i < 450; i++) {
    const group = Math.floor(i / 3);
    list.push(parseAlert(nestedAlert({ uuid: `u-${i}`, hostId: `h-${group % 40}`, parentEntityId: i % 17 === 0 ? null : `p-${group}`, parentPid: 9000 + i })));
  }
  return list;
}

/** Outcomes by position, with case ids replaced by the index of the first alert of their case. */
function shape(results: { outcome: string; caseId: string }[]): string[] {
  const firstOf = new Map<string, number>();
  return results.map((r, i) => {
    if (!firstOf.has(r.caseId)) firstOf.set(r.caseId, i);
    return `${r.outcome}:${firstOf.get(r.caseId)}`;
  });
}

describe('batched admission', () => {
  it('matches one call per alert, across chunks, for new alerts and for a re-delivery of them', async () => {
    const list = alerts();
    const batch = store(batchPrefix);
    const single = store(singlePrefix);
    const batched = await batch.admitMany(list);
    const oneByOne = [];
    for (const alert of list) oneByOne.push(await single.admit(alert));
    expect(batched).toHaveLength(450);
    expect(shape(batched)).toEqual(shape(oneByOne));
    expect(new Set(batched.map((r) => r.outcome))).toEqual(new Set(['created', 'joined']));
    // a group split over the chunk boundary (alerts 198, 199, 200) still lands in one case
    expect(batched[199]!.caseId).toBe(batched[198]!.caseId);
    expect(batched[200]!.caseId).toBe(batched[198]!.caseId);

    const again = await batch.admitMany(list);
    expect(again.every((r, i) => r.outcome === 'duplicate' && r.caseId === batched[i]!.caseId && r.queued === false)).toBe(true);
    const record = await batch.get(batched[198]!.caseId);
    expect(record?.alertCount).toBe(3);
    expect(await batch.alertIds(batched[198]!.caseId)).toEqual(['u-198', 'u-199', 'u-200']);
    // A new case keeps its first alert in the record only: no alerts list is written for it.
    expect(batched[442]!.outcome).toBe('created');
    expect(await redis.exists(batch.keys.alerts(batched[442]!.caseId))).toBe(0);
    expect(await batch.alertIds(batched[442]!.caseId)).toEqual(['u-442']);
  });

  it('reads the alerts of a case admitted by the first landing (first alert listed too) once', async () => {
    const cases = store(batchPrefix);
    const [first] = await cases.admitMany([parseAlert(nestedAlert({ uuid: 'legacy-1', hostId: 'h-legacy', parentEntityId: 'p-legacy' }))]);
    await redis.rpush(cases.keys.alerts(first!.caseId), 'legacy-1');
    await cases.admitMany([parseAlert(nestedAlert({ uuid: 'legacy-2', hostId: 'h-legacy', parentEntityId: 'p-legacy' }))]);
    expect(await cases.alertIds(first!.caseId)).toEqual(['legacy-1', 'legacy-2']);
  });

  it('admits ids with lone surrogates and quotes, storing what a plain Redis argument would (U+FFFD)', async () => {
    const cases = store(batchPrefix);
    // JSON escapes: a lone high surrogate, an e-acute and a surrogate pair (an emoji).
    const body = '{"host":{"id":"h-\\ud800"},"process":{"entity_id":"e","parent":{"entity_id":"p-\\"x\\""}},"@timestamp":"2026-11-20T10:00:00Z","kibana":{"alert":{"uuid":"id-\\ud800-\\u00e9-\\ud83d\\ude00"}}}';
    const alert = parseAlert(JSON.parse(body));
    expect(alert.id).toBe('id-\ud800-\u00e9-\ud83d\ude00');
    const [created, again] = await cases.admitMany([alert, alert]);
    expect(created!.outcome).toBe('created');
    expect(again).toEqual({ outcome: 'duplicate', caseId: created!.caseId, queued: false });
    const record = await cases.get(created!.caseId);
    expect(record).toMatchObject({ hostId: 'h-\ufffd', firstAlertId: 'id-\ufffd-\u00e9-\ud83d\ude00', parentKey: 'entity:p-"x"' });
    expect(await redis.get(cases.keys.alert('id-\ufffd-\u00e9-\ud83d\ude00'))).toBe(created!.caseId);
  });
});
