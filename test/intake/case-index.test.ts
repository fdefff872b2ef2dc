// The case indexes: every case sits in the index of its status (there is no index of all cases), so a listing
// without a filter merges the status indexes; admission now and then drops expired cases from every status
// index and from `index:all`, which earlier landings wrote; host and user indexes expire with their newest case.
import { describe, expect, it } from 'vitest';
import { parseAlert } from '../../detection/alert.js';
import { nestedAlert, useCaseStore } from './helpers.js';

const cases = useCaseStore('case-index');
const DAY = 24 * 3600 * 1000;
let firstId: string;

/** Opens one case per call, one millisecond after the previous one. */
async function openCase(tag: string): Promise<string> {
  cases.clock += 1;
  const { caseId, outcome } = await cases.store.admit(parseAlert(nestedAlert({ hostId: `host-${tag}`, parentEntityId: `p-${tag}` })));
  expect(outcome).toBe('created');
  return caseId;
}

describe('case indexes', () => {
  it('a new case is in its host, user and open indexes only; no index of all cases is written', async () => {
    const id = await openCase('one');
    firstId = id;
    const record = await cases.store.require(id);
    expect(await cases.redis.zscore(cases.store.keys.indexStatus('open'), id)).toBe(String(record.createdAt));
    expect(await cases.redis.zscore(cases.store.keys.indexHost('host-one'), id)).toBe(String(record.createdAt));
    expect(await cases.redis.zscore(cases.store.keys.indexUser(record.userId!), id)).toBe(String(record.createdAt));
    expect(await cases.redis.exists(`${cases.store.keys.base}index:all`)).toBe(0);
  });

  it('the unfiltered list merges every status, newest first, with offset and limit across statuses', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await openCase(`merge-${i}`));
    // Spread them over three statuses; each keeps its creation time as its score.
    await cases.store.setStatus(ids[1]!, 'triaged');
    await cases.store.setStatus(ids[3]!, 'closed');
    await cases.store.setStatus(ids[4]!, 'triaged');
    const newestFirst = [...ids].reverse();
    const listed = async (offset: number, limit: number) => (await cases.store.list({ offset, limit })).map((record) => record.id);
    expect(await listed(0, 6)).toEqual(newestFirst);
    expect(await listed(2, 3)).toEqual(newestFirst.slice(2, 5));
    expect(await listed(5, 10)).toEqual([ids[0], firstId]);
    expect((await cases.store.list({ status: 'triaged' })).map((record) => record.id)).toEqual([ids[4], ids[1]]);
  });

  it('admission drops cases past retention from every status index and from the legacy index:all', async () => {
    const old = await openCase('old');
    await cases.store.setStatus(old, 'closed');
    const legacy = `${cases.store.keys.base}index:all`;
    await cases.redis.zadd(legacy, cases.clock, 'case-from-an-earlier-landing');
    cases.clock += 31 * DAY;
    const fresh = await openCase('fresh');
    await cases.redis.zadd(legacy, cases.clock, 'case-recent-earlier-landing');
    // Trimming runs on some calls only: an hour after the last one (here, 31 days) is always one.
    await cases.store.admitMany(Array.from({ length: 64 }, (_, i) => parseAlert(nestedAlert({ hostId: 'host-trim', parentEntityId: `p-trim-${i}` }))));
    expect(await cases.redis.zscore(cases.store.keys.indexStatus('closed'), old)).toBeNull();
    expect(await cases.redis.zscore(cases.store.keys.indexStatus('open'), fresh)).not.toBeNull();
    expect(await cases.redis.zrange(legacy, 0, -1)).toEqual(['case-recent-earlier-landing']);
  });

  it('host and user indexes expire with their newest case, and a trimming call drops their expired cases', async () => {
    const old = await openCase('aging');
    const record = await cases.store.require(old);
    const hostIndex = cases.store.keys.indexHost('host-aging');
    const userIndex = cases.store.keys.indexUser(record.userId!);
    for (const key of [hostIndex, userIndex]) expect(await cases.redis.pttl(key)).toBeGreaterThan(29 * DAY);
    cases.clock += 31 * DAY;
    // The same host and user again, a month later (so the call trims): the old entry goes, the new one stays.
    const alerts = Array.from({ length: 64 }, (_, i) => parseAlert(nestedAlert({ hostId: 'host-aging', parentEntityId: `p-aging-${i}` })));
    const results = await cases.store.admitMany(alerts);
    expect(await cases.redis.zscore(hostIndex, old)).toBeNull();
    expect(await cases.redis.zscore(userIndex, old)).toBeNull();
    expect(await cases.redis.zscore(hostIndex, results[0]!.caseId)).not.toBeNull();
    expect(await cases.redis.pttl(hostIndex)).toBeGreaterThan(29 * DAY);
  });

  it("trims on a store's first call, then once per trimEveryAlerts alerts or per hour", async () => {
    const counted = cases.storeWith({ trimEveryAlerts: 10 });
    const closed = cases.store.keys.indexStatus('closed');
    const expired = async (tag: string) => {
      await cases.redis.zadd(closed, cases.clock - 31 * DAY, `case-expired-${tag}`);
      return `case-expired-${tag}`;
    };
    const admitSome = (count: number, tag: string) => counted.admitMany(Array.from({ length: count }, (_, i) => parseAlert(nestedAlert({ hostId: `host-${tag}`, parentEntityId: `p-${tag}-${i}` }))));
    const first = await expired('first');
    await admitSome(1, 'first');
    expect(await cases.redis.zscore(closed, first), 'the first call trims').toBeNull();
    const second = await expired('second');
    await admitSome(9, 'nine');
    expect(await cases.redis.zscore(closed, second), '9 alerts later, within the hour: no trim').not.toBeNull();
    await admitSome(1, 'tenth');
    expect(await cases.redis.zscore(closed, second), 'the 10th alert since the last trim').toBeNull();
    const third = await expired('third');
    cases.clock += 3600_000;
    await admitSome(1, 'hour');
    expect(await cases.redis.zscore(closed, third), 'an hour after the last trim').toBeNull();
  });

  it('renews a host or user index expiry once an hour per store, not on every write; trimming calls renew too', async () => {
    const renewing = cases.storeWith({ trimEveryAlerts: 1_000_000 });
    const admitOne = (tag: string, userId: string) => renewing.admit(parseAlert(nestedAlert({ hostId: 'host-renew', userId, parentEntityId: `p-renew-${tag}` })));
    const hostIndex = cases.store.keys.indexHost('host-renew');
    const userIndex = cases.store.keys.indexUser('S-renew-1');
    cases.clock += 2 * 3600_000; // past the hour: the store's first call trims (and so renews)
    await admitOne('first', 'S-renew-1');
    // Retention plus the hour the store may let pass before renewing again.
    for (const key of [hostIndex, userIndex]) expect(await cases.redis.pttl(key)).toBeGreaterThan(30 * DAY);
    await cases.redis.pexpire(hostIndex, 60_000);
    await cases.redis.pexpire(userIndex, 60_000);
    cases.clock += 30 * 60_000;
    await admitOne('half-hour', 'S-renew-1');
    expect(await cases.redis.pttl(hostIndex), 'renewed 30 minutes ago: left as it is').toBeLessThanOrEqual(60_000);
    expect(await cases.redis.zcard(hostIndex)).toBe(2);
    // A user this store has not renewed yet is renewed, the host again with it (one flag per alert).
    await admitOne('new-user', 'S-renew-2');
    expect(await cases.redis.pttl(cases.store.keys.indexUser('S-renew-2'))).toBeGreaterThan(30 * DAY);
    await cases.redis.pexpire(hostIndex, 60_000);
    cases.clock += 31 * 60_000;
    await admitOne('hour', 'S-renew-1');
    // The user was renewed 61 minutes ago (the host 31): the alert is due, and renews both.
    expect(await cases.redis.pttl(hostIndex), 'an hour after the user index was renewed').toBeGreaterThan(30 * DAY);
    expect(await cases.redis.pttl(userIndex)).toBeGreaterThan(30 * DAY);
  });

  it('a duplicate renews nothing, so the next new case of its host still renews the index', async () => {
    const alert = parseAlert(nestedAlert({ hostId: 'host-dup-renew', parentEntityId: 'p-dup-renew-1' }));
    await cases.store.admit(alert);
    const hostIndex = cases.store.keys.indexHost('host-dup-renew');
    await cases.redis.pexpire(hostIndex, 60_000);
    const fresh = cases.storeWith({ trimEveryAlerts: 1_000_000 });
    await fresh.admit(parseAlert(nestedAlert({ hostId: 'host-trim-first', parentEntityId: 'p-first-call' }))); // its first call trims
    expect((await fresh.admit(alert)).outcome).toBe('duplicate');
    expect(await cases.redis.pttl(hostIndex), 'a duplicate writes no index').toBeLessThanOrEqual(60_000);
    const created = await fresh.admit(parseAlert(nestedAlert({ hostId: 'host-dup-renew', parentEntityId: 'p-dup-renew-2' })));
    expect(created.outcome).toBe('created');
    expect(await cases.redis.pttl(hostIndex)).toBeGreaterThan(30 * DAY);
  });
});

