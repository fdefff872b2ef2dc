// The case indexes: every case sits in the index of its status (there is no index of all cases), so a listing
// without a filter merges the status indexes; admission now and then drops expired cases from every status
// index and from `index:all`, which earlier landings wrote; host and user indexes expire with their newest case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { parseAlert } from '../../detection/alert.js';
import { CaseStore } from '../../workers/cases/store.js';
import { cleanup, connect, nestedAlert, uniquePrefix } from './helpers.js';

const prefix = uniquePrefix('case-index');
const DAY = 24 * 3600 * 1000;
let clock = Date.UTC(2026, 10, 1);
let redis: Redis;
let store: CaseStore;
let firstId: string;

beforeAll(async () => {
  redis = await connect();
  store = new CaseStore(redis, { prefix, groupingWindowMinutes: 60, retentionDays: 30, now: () => clock });
});

afterAll(async () => {
  await cleanup(redis, prefix);
  await redis.quit();
});

/** Opens one case per call, one millisecond after the previous one. */
async function openCase(tag: string): Promise<string> {
  clock += 1;
  const { caseId, outcome } = await store.admit(parseAlert(nestedAlert({ hostId: `host-${tag}`, parentEntityId: `p-${tag}` })));
  expect(outcome).toBe('created');
  return caseId;
}

describe('case indexes', () => {
  it('a new case is in its host, user and open indexes only; no index of all cases is written', async () => {
    const id = await openCase('one');
    firstId = id;
    const record = await store.require(id);
    expect(await redis.zscore(store.keys.indexStatus('open'), id)).toBe(String(record.createdAt));
    expect(await redis.zscore(store.keys.indexHost('host-one'), id)).toBe(String(record.createdAt));
    expect(await redis.zscore(store.keys.indexUser(record.userId!), id)).toBe(String(record.createdAt));
    expect(await redis.exists(`${store.keys.base}index:all`)).toBe(0);
  });

  it('the unfiltered list merges every status, newest first, with offset and limit across statuses', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await openCase(`merge-${i}`));
    // Spread them over three statuses; each keeps its creation time as its score.
    await store.setStatus(ids[1]!, 'triaged');
    await store.setStatus(ids[3]!, 'closed');
    await store.setStatus(ids[4]!, 'triaged');
    const newestFirst = [...ids].reverse();
    const listed = async (offset: number, limit: number) => (await store.list({ offset, limit })).map((record) => record.id);
    expect(await listed(0, 6)).toEqual(newestFirst);
    expect(await listed(2, 3)).toEqual(newestFirst.slice(2, 5));
    expect(await listed(5, 10)).toEqual([ids[0], firstId]);
    expect((await store.list({ status: 'triaged' })).map((record) => record.id)).toEqual([ids[4], ids[1]]);
  });

  it('admission drops cases past retention from every status index and from the legacy index:all', async () => {
    const old = await openCase('old');
    await store.setStatus(old, 'closed');
    const legacy = `${store.keys.base}index:all`;
    await redis.zadd(legacy, clock, 'case-from-an-earlier-landing');
    clock += 31 * DAY;
    const fresh = await openCase('fresh');
    await redis.zadd(legacy, clock, 'case-recent-earlier-landing');
    // Trimming runs on some calls only: an hour after the last one (here, 31 days) is always one.
    await store.admitMany(Array.from({ length: 64 }, (_, i) => parseAlert(nestedAlert({ hostId: 'host-trim', parentEntityId: `p-trim-${i}` }))));
    expect(await redis.zscore(store.keys.indexStatus('closed'), old)).toBeNull();
    expect(await redis.zscore(store.keys.indexStatus('open'), fresh)).not.toBeNull();
    expect(await redis.zrange(legacy, 0, -1)).toEqual(['case-recent-earlier-landing']);
  });

  it('host and user indexes expire with their newest case, and a trimming call drops their expired cases', async () => {
    const old = await openCase('aging');
    const record = await store.require(old);
    const hostIndex = store.keys.indexHost('host-aging');
    const userIndex = store.keys.indexUser(record.userId!);
    for (const key of [hostIndex, userIndex]) expect(await redis.pttl(key)).toBeGreaterThan(29 * DAY);
    clock += 31 * DAY;
    // The same host and user again, a month later (so the call trims): the old entry goes, the new one stays.
    const alerts = Array.from({ length: 64 }, (_, i) => parseAlert(nestedAlert({ hostId: 'host-aging', parentEntityId: `p-aging-${i}` })));
    const results = await store.admitMany(alerts);
    expect(await redis.zscore(hostIndex, old)).toBeNull();
    expect(await redis.zscore(userIndex, old)).toBeNull();
    expect(await redis.zscore(hostIndex, results[0]!.caseId)).not.toBeNull();
    expect(await redis.pttl(hostIndex)).toBeGreaterThan(29 * DAY);
  });

  it("trims on a store's first call, then once per trimEveryAlerts alerts or per hour", async () => {
    const counted = new CaseStore(redis, { prefix, groupingWindowMinutes: 60, retentionDays: 30, now: () => clock, trimEveryAlerts: 10 });
    const closed = store.keys.indexStatus('closed');
    const expired = async (tag: string) => {
      await redis.zadd(closed, clock - 31 * DAY, `case-expired-${tag}`);
      return `case-expired-${tag}`;
    };
    const admitSome = (count: number, tag: string) => counted.admitMany(Array.from({ length: count }, (_, i) => parseAlert(nestedAlert({ hostId: `host-${tag}`, parentEntityId: `p-${tag}-${i}` }))));
    const first = await expired('first');
    await admitSome(1, 'first');
    expect(await redis.zscore(closed, first), 'the first call trims').toBeNull();
    const second = await expired('second');
    await admitSome(9, 'nine');
    expect(await redis.zscore(closed, second), '9 alerts later, within the hour: no trim').not.toBeNull();
    await admitSome(1, 'tenth');
    expect(await redis.zscore(closed, second), 'the 10th alert since the last trim').toBeNull();
    const third = await expired('third');
    clock += 3600_000;
    await admitSome(1, 'hour');
    expect(await redis.zscore(closed, third), 'an hour after the last trim').toBeNull();
  });

  it('renews a host or user index expiry once an hour per store, not on every write; trimming calls renew too', async () => {
    const renewing = new CaseStore(redis, { prefix, groupingWindowMinutes: 60, retentionDays: 30, now: () => clock, trimEveryAlerts: 1_000_000 });
    const admitOne = (tag: string, userId: string) => renewing.admit(parseAlert(nestedAlert({ hostId: 'host-renew', userId, parentEntityId: `p-renew-${tag}` })));
    const hostIndex = store.keys.indexHost('host-renew');
    const userIndex = store.keys.indexUser('S-renew-1');
    clock += 2 * 3600_000; // past the hour: the store's first call trims (and so renews)
    await admitOne('first', 'S-renew-1');
    // Retention plus the hour the store may let pass before renewing again.
    for (const key of [hostIndex, userIndex]) expect(await redis.pttl(key)).toBeGreaterThan(30 * DAY);
    await redis.pexpire(hostIndex, 60_000);
    await redis.pexpire(userIndex, 60_000);
    clock += 30 * 60_000;
    await admitOne('half-hour', 'S-renew-1');
    expect(await redis.pttl(hostIndex), 'renewed 30 minutes ago: left as it is').toBeLessThanOrEqual(60_000);
    expect(await redis.zcard(hostIndex)).toBe(2);
    // A user this store has not renewed yet is renewed, the host again with it (one flag per alert).
    await admitOne('new-user', 'S-renew-2');
    expect(await redis.pttl(store.keys.indexUser('S-renew-2'))).toBeGreaterThan(30 * DAY);
    await redis.pexpire(hostIndex, 60_000);
    clock += 31 * 60_000;
    await admitOne('hour', 'S-renew-1');
    // The user was renewed 61 minutes ago (the host 31): the alert is due, and renews both.
    expect(await redis.pttl(hostIndex), 'an hour after the user index was renewed').toBeGreaterThan(30 * DAY);
    expect(await redis.pttl(userIndex)).toBeGreaterThan(30 * DAY);
  });

  it('a duplicate renews nothing, so the next new case of its host still renews the index', async () => {
    const alert = parseAlert(nestedAlert({ hostId: 'host-dup-renew', parentEntityId: 'p-dup-renew-1' }));
    await store.admit(alert);
    const hostIndex = store.keys.indexHost('host-dup-renew');
    await redis.pexpire(hostIndex, 60_000);
    const fresh = new CaseStore(redis, { prefix, groupingWindowMinutes: 60, retentionDays: 30, now: () => clock, trimEveryAlerts: 1_000_000 });
    await fresh.admit(parseAlert(nestedAlert({ hostId: 'host-trim-first', parentEntityId: 'p-first-call' }))); // its first call trims
    expect((await fresh.admit(alert)).outcome).toBe('duplicate');
    expect(await redis.pttl(hostIndex), 'a duplicate writes no index').toBeLessThanOrEqual(60_000);
    const created = await fresh.admit(parseAlert(nestedAlert({ hostId: 'host-dup-renew', parentEntityId: 'p-dup-renew-2' })));
    expect(created.outcome).toBe('created');
    expect(await redis.pttl(hostIndex)).toBeGreaterThan(30 * DAY);
  });
});

