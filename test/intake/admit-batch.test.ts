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
  });
});
