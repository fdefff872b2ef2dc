// A case record as admission writes it: only the fields a reader cannot derive. The store's reader fills in the
// rest, and joining alerts keep the derived fields right, for new records and for records holding every field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { parseAlert } from '../../detection/alert.js';
import { CaseStore } from '../../workers/cases/store.js';
import { cleanup, connect, nestedAlert, uniquePrefix } from './helpers.js';

const prefix = uniquePrefix('case-record');
let clock = Date.UTC(2026, 10, 1);
let redis: Redis;
let store: CaseStore;

beforeAll(async () => {
  redis = await connect();
  store = new CaseStore(redis, { prefix, groupingWindowMinutes: 60, retentionDays: 30, now: () => clock });
});

afterAll(async () => {
  await cleanup(redis, prefix);
  await redis.quit();
});

const alertAt = (originalTime: string, parentEntityId: string, hostId = 'host-rec') => parseAlert(nestedAlert({ hostId, parentEntityId, originalTime }));

describe('the case record', () => {
  it('is created without id, updatedAt, lastAlertAt and alertCount, which the reader derives', async () => {
    clock += 1_000;
    const created = clock;
    const { caseId, outcome } = await store.admit(alertAt('2026-11-01T10:00:00.000Z', 'p-new'));
    expect(outcome).toBe('created');
    const stored = await redis.hgetall(store.keys.record(caseId));
    expect(Object.keys(stored).sort()).toEqual(['createdAt', 'firstAlertAt', 'firstAlertId', 'hostId', 'hostName', 'parentKey', 'status', 'userId', 'userName']);
    expect(await store.get(caseId)).toMatchObject({
      id: caseId,
      status: 'open',
      createdAt: created,
      updatedAt: created,
      firstAlertAt: '2026-11-01T10:00:00.000Z',
      lastAlertAt: '2026-11-01T10:00:00.000Z',
      alertCount: 1,
    });
  });

  it('a joining alert that is older keeps the first alert as the last one', async () => {
    const { caseId } = await store.admit(alertAt('2026-11-01T10:00:00.000Z', 'p-older'));
    clock += 1_000;
    const joined = await store.admit(alertAt('2026-11-01T09:00:00.000Z', 'p-older'));
    expect(joined).toMatchObject({ outcome: 'joined', caseId });
    expect(await store.get(caseId)).toMatchObject({ firstAlertAt: '2026-11-01T09:00:00.000Z', lastAlertAt: '2026-11-01T10:00:00.000Z', alertCount: 2, updatedAt: clock });
  });

  it('joining alerts count from 1 and move the last alert time forward only', async () => {
    const { caseId } = await store.admit(alertAt('2026-11-01T10:00:00.000Z', 'p-count'));
    for (const time of ['2026-11-01T11:00:00.000Z', '2026-11-01T10:30:00.000Z', '2026-11-01T12:00:00.000Z']) {
      expect(await store.admit(alertAt(time, 'p-count'))).toMatchObject({ outcome: 'joined', caseId });
    }
    expect(await store.get(caseId)).toMatchObject({ firstAlertAt: '2026-11-01T10:00:00.000Z', lastAlertAt: '2026-11-01T12:00:00.000Z', alertCount: 4 });
  });

  it('a record written with every field (by an earlier version) reads and joins as before', async () => {
    const { caseId } = await store.admit(alertAt('2026-11-01T10:00:00.000Z', 'p-legacy'));
    await redis.hset(store.keys.record(caseId), 'id', caseId, 'updatedAt', '5', 'lastAlertAt', '2026-11-01T10:30:00.000Z', 'alertCount', '5');
    expect(await store.get(caseId)).toMatchObject({ id: caseId, updatedAt: 5, lastAlertAt: '2026-11-01T10:30:00.000Z', alertCount: 5 });
    clock += 1_000;
    await store.admit(alertAt('2026-11-01T10:10:00.000Z', 'p-legacy'));
    expect(await store.get(caseId)).toMatchObject({ updatedAt: clock, lastAlertAt: '2026-11-01T10:30:00.000Z', alertCount: 6 });
  });

  it('a hash without a status (a report written after its case expired) is no case', async () => {
    await redis.hset(store.keys.record('c-gone'), 'reportAt', '1', 'disposition', 'escalate', 'score', '90');
    expect(await store.get('c-gone')).toBeNull();
  });
});
