// A case record as admission writes it: only the fields a reader cannot derive. The store's reader fills in the
// rest, and joining alerts keep the derived fields right, for new records and for records holding every field.
import { describe, expect, it } from 'vitest';
import { parseAlert } from '../../detection/alert.js';
import { nestedAlert, useCaseStore } from './helpers.js';

const cases = useCaseStore('case-record');

const alertAt = (originalTime: string, parentEntityId: string, hostId = 'host-rec') => parseAlert(nestedAlert({ hostId, parentEntityId, originalTime }));

describe('the case record', () => {
  it('is created without id, updatedAt, lastAlertAt and alertCount, which the reader derives', async () => {
    cases.clock += 1_000;
    const created = cases.clock;
    const { caseId, outcome } = await cases.store.admit(alertAt('2026-11-01T10:00:00.000Z', 'p-new'));
    expect(outcome).toBe('created');
    const stored = await cases.redis.hgetall(cases.store.keys.record(caseId));
    expect(Object.keys(stored).sort()).toEqual(['createdAt', 'firstAlertAt', 'firstAlertId', 'hostId', 'hostName', 'parentKey', 'status', 'userId', 'userName']);
    expect(await cases.store.get(caseId)).toMatchObject({
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
    const { caseId } = await cases.store.admit(alertAt('2026-11-01T10:00:00.000Z', 'p-older'));
    cases.clock += 1_000;
    const joined = await cases.store.admit(alertAt('2026-11-01T09:00:00.000Z', 'p-older'));
    expect(joined).toMatchObject({ outcome: 'joined', caseId });
    expect(await cases.store.get(caseId)).toMatchObject({ firstAlertAt: '2026-11-01T09:00:00.000Z', lastAlertAt: '2026-11-01T10:00:00.000Z', alertCount: 2, updatedAt: cases.clock });
  });

  it('joining alerts count from 1 and move the last alert time forward only', async () => {
    const { caseId } = await cases.store.admit(alertAt('2026-11-01T10:00:00.000Z', 'p-count'));
    for (const time of ['2026-11-01T11:00:00.000Z', '2026-11-01T10:30:00.000Z', '2026-11-01T12:00:00.000Z']) {
      expect(await cases.store.admit(alertAt(time, 'p-count'))).toMatchObject({ outcome: 'joined', caseId });
    }
    expect(await cases.store.get(caseId)).toMatchObject({ firstAlertAt: '2026-11-01T10:00:00.000Z', lastAlertAt: '2026-11-01T12:00:00.000Z', alertCount: 4 });
  });

  it('a record written with every field (by an earlier version) reads and joins as before', async () => {
    const { caseId } = await cases.store.admit(alertAt('2026-11-01T10:00:00.000Z', 'p-legacy'));
    await cases.redis.hset(cases.store.keys.record(caseId), 'id', caseId, 'updatedAt', '5', 'lastAlertAt', '2026-11-01T10:30:00.000Z', 'alertCount', '5');
    expect(await cases.store.get(caseId)).toMatchObject({ id: caseId, updatedAt: 5, lastAlertAt: '2026-11-01T10:30:00.000Z', alertCount: 5 });
    cases.clock += 1_000;
    await cases.store.admit(alertAt('2026-11-01T10:10:00.000Z', 'p-legacy'));
    expect(await cases.store.get(caseId)).toMatchObject({ updatedAt: cases.clock, lastAlertAt: '2026-11-01T10:30:00.000Z', alertCount: 6 });
  });

  it('a hash without a status (a report written after its case expired) is no case', async () => {
    await cases.redis.hset(cases.store.keys.record('c-gone'), 'reportAt', '1', 'disposition', 'escalate', 'score', '90');
    expect(await cases.store.get('c-gone')).toBeNull();
  });
});
