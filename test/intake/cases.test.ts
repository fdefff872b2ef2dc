// Dedup (even days later), case grouping (same host + parent process within the window), the cases API with
// job history across queues, and the intake worker that links alerts to cases and starts triage once per case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { Job } from 'bullmq';
import { buildServer, type HivewatchServer } from '../../workers/api/server.js';
import { parentKeyOf } from '../../workers/cases/store.js';
import { parseAlert } from '../../detection/alert.js';
import { alertJobId, QUEUE_NAMES, triageJobId } from '../../workers/queues.js';
import { startWorkers, type RunningWorkers } from '../../workers/worker.js';
import type { TriageJobData } from '../../workers/triage/job.js';
import type { TriageReport } from '../../playbooks/hive-dump/report.js';
import { bearer, cleanup, connect, legacyAlert, nestedAlert, testConfig, uniquePrefix } from './helpers.js';
import { until } from '../poll.js';

const prefix = uniquePrefix('cases');
const DAY = 24 * 3600 * 1000;
let clock = Date.now();
let redis: Redis;
let workerRedis: Redis;
let app: HivewatchServer;
let workers: RunningWorkers;
const triaged: string[] = [];

beforeAll(async () => {
  redis = await connect();
  workerRedis = await connect('worker');
  const config = testConfig(prefix);
  app = await buildServer({ config, redis, logger: false, now: () => clock });
  workers = await startWorkers({
    config,
    connection: workerRedis,
    // Stands in for the playbook: logs a step, then stores a report as processTriage will.
    triageProcessor: async (job: Job<TriageJobData>) => {
      triaged.push(job.data.caseId);
      await job.log(`triage of ${job.data.alert.id}`);
      if (job.data.alert.hostId === 'host-fails') throw new Error('EDR unreachable');
      return { caseId: job.data.caseId };
    },
  });
});

afterAll(async () => {
  await workers.close();
  await app.close();
  await app.hivewatch.queues.close();
  await cleanup(redis, prefix);
  await workerRedis.quit();
  await redis.quit();
});

async function post(payload: unknown) {
  const res = await app.inject({ method: 'POST', url: '/v1/alerts/elastic', headers: { ...bearer, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
  return res.json() as { results: { status: string; caseId: string; alertId: string; case: string }[] };
}

async function getCase(id: string) {
  const res = await app.inject({ method: 'GET', url: `/v1/cases/${id}`, headers: bearer });
  return { status: res.statusCode, body: res.json() };
}

describe('dedup', () => {
  it('the same alert again, three days later, is a duplicate that links to the existing case', async () => {
    const alert = nestedAlert({ hostId: 'host-dedup' });
    const first = (await post(alert)).results[0]!;
    expect(first.status).toBe('queued');
    clock += 3 * DAY;
    const again = (await post(alert)).results[0]!;
    expect(again).toMatchObject({ status: 'duplicate', caseId: first.caseId, case: `/v1/cases/${first.caseId}`, alertId: first.alertId });
    const twice = await post([alert, alert]);
    expect(twice.results.map((r) => r.status)).toEqual(['duplicate', 'duplicate']);
    const { body } = await getCase(first.caseId);
    expect(body.case.alertCount).toBe(1);
  });

  it('the same alert twice in one body is queued once', async () => {
    const alert = nestedAlert({ hostId: 'host-dedup-2' });
    const res = await post([alert, alert]);
    expect(res.results.map((r) => r.status)).toEqual(['queued', 'duplicate']);
    expect(res.results[1]!.caseId).toBe(res.results[0]!.caseId);
  });

  it('without kibana.alert.uuid the hash of rule id + source event id + original time is the key', async () => {
    const alert = legacyAlert({ hostId: 'host-legacy' });
    const first = (await post(alert)).results[0]!;
    // The same source event delivered through the dotted 8.x shape without uuid is the same alert.
    const again = (await post(alert)).results[0]!;
    expect(again).toMatchObject({ status: 'duplicate', caseId: first.caseId });
    const otherTime = structuredClone(alert) as { signal: { original_time: string } };
    otherTime.signal.original_time = '2026-07-10T15:00:00.000Z';
    expect((await post(otherTime)).results[0]!.status).toBe('queued');
  });

  it('an alert admitted but never queued (crash between the two) gets its job on redelivery', async () => {
    const raw = nestedAlert({ hostId: 'host-crash' });
    const alert = parseAlert(raw);
    const admitted = await app.hivewatch.cases.admit(alert);
    expect(await app.hivewatch.queues.alerts.getJob(alertJobId(alert.id))).toBeUndefined();
    const res = (await post(raw)).results[0]!;
    expect(res).toMatchObject({ status: 'duplicate', caseId: admitted.caseId });
    const job = await app.hivewatch.queues.alerts.getJob(alertJobId(alert.id));
    expect(job?.data.caseId).toBe(admitted.caseId);
    // Once the worker processed it, the alert is marked and later copies add nothing.
    await until(async () => (await app.hivewatch.queues.alerts.getJob(alertJobId(alert.id)))?.finishedOn ?? 0, (v) => v > 0, 10_000);
    const finished = (await app.hivewatch.queues.alerts.getJob(alertJobId(alert.id)))!;
    expect(await finished.getState()).toBe('completed');
    expect(await app.hivewatch.cases.alertProcessed(alert.id)).toBe(true);
    expect(await redis.pttl(app.hivewatch.cases.keys.alert(alert.id))).toBeGreaterThan(364 * 24 * 3600 * 1000);
    await finished.remove(); // retention passed
    expect((await post(raw)).results[0]!.status).toBe('duplicate');
    expect(await app.hivewatch.queues.alerts.getJob(alertJobId(alert.id))).toBeUndefined();
  });
});

describe('grouping', () => {
  it('an alert storm of one parent process on one host becomes one case, triaged once', async () => {
    const storm = Array.from({ length: 25 }, () => nestedAlert({ hostId: 'host-storm', parentEntityId: 'parent-storm-1' }));
    const res = await post({ alerts: storm });
    const caseIds = new Set(res.results.map((r) => r.caseId));
    expect(res.results.every((r) => r.status === 'queued')).toBe(true);
    expect(caseIds.size).toBe(1);
    const caseId = [...caseIds][0]!;
    const { body } = await until(() => getCase(caseId), (c) => c.body.jobs.filter((j: { state: string }) => j.state === 'completed').length === 26, 10_000);
    expect(body.case).toMatchObject({ alertCount: 25, hostId: 'host-storm', parentKey: 'entity:parent-storm-1' });
    expect(body.alertIds).toHaveLength(25);
    expect(body.jobs.filter((j: { queue: string }) => j.queue === 'triage')).toHaveLength(1);
    expect(triaged.filter((id) => id === caseId)).toHaveLength(1);
  });

  it('another parent process, another host, or no parent id: separate cases', async () => {
    const a = (await post(nestedAlert({ hostId: 'host-g', parentEntityId: 'p-1' }))).results[0]!;
    const b = (await post(nestedAlert({ hostId: 'host-g', parentEntityId: 'p-2' }))).results[0]!;
    const c = (await post(nestedAlert({ hostId: 'host-g2', parentEntityId: 'p-1' }))).results[0]!;
    const d = (await post(nestedAlert({ hostId: 'host-g', parentEntityId: 'p-1' }))).results[0]!;
    expect(new Set([a.caseId, b.caseId, c.caseId]).size).toBe(3);
    expect(d.caseId).toBe(a.caseId);
  });

  it('without a parent entity id, the parent pid groups', async () => {
    const one = nestedAlert({ hostId: 'host-pid', parentEntityId: null, parentPid: 4242 });
    const two = nestedAlert({ hostId: 'host-pid', parentEntityId: null, parentPid: 4242 });
    expect(parentKeyOf(parseAlert(one))).toBe('pid:4242');
    const res = await post([one, two]);
    expect(res.results[0]!.caseId).toBe(res.results[1]!.caseId);
  });

  it('after the window (group key expired) or once the case is closed, a new case opens', async () => {
    const first = (await post(nestedAlert({ hostId: 'host-w', parentEntityId: 'p-w' }))).results[0]!;
    const groupKey = app.hivewatch.cases.keys.group('host-w', 'entity:p-w');
    expect(await redis.pttl(groupKey)).toBeGreaterThan(59 * 60_000);
    await redis.pexpire(groupKey, 1); // the window passes
    await new Promise((resolve) => setTimeout(resolve, 10));
    const later = (await post(nestedAlert({ hostId: 'host-w', parentEntityId: 'p-w' }))).results[0]!;
    expect(later.caseId).not.toBe(first.caseId);
    await app.hivewatch.cases.setStatus(later.caseId, 'closed');
    const afterClose = (await post(nestedAlert({ hostId: 'host-w', parentEntityId: 'p-w' }))).results[0]!;
    expect(afterClose.caseId).not.toBe(later.caseId);
  });
});

describe('intake worker', () => {
  it('an alerts job whose case is gone fails at once (no retries) with HW_ERR_CASE_MISSING', async () => {
    const alert = parseAlert(nestedAlert({ hostId: 'host-orphan' }));
    const jobId = alertJobId(alert.id);
    await app.hivewatch.queues.alerts.add('alert', { document: alert.document, alertId: alert.id, caseId: 'case-gone', admission: 'created', receivedAt: new Date().toISOString(), source: 'test' }, { jobId });
    const job = await until(async () => app.hivewatch.queues.alerts.getJob(jobId), (j) => j?.finishedOn !== undefined, 10_000);
    expect(await job!.getState()).toBe('failed');
    expect(job!.attemptsMade).toBe(1);
    expect(job!.failedReason).toContain('HW_ERR_CASE_MISSING');
  });

  it('an alerts job queued by the first landing (the normalised alert in its data) is still processed', async () => {
    const alert = parseAlert(nestedAlert({ hostId: 'host-legacy-job' }));
    const { caseId } = await app.hivewatch.cases.admit(alert);
    const jobId = alertJobId(alert.id);
    await app.hivewatch.queues.alerts.add('alert', { alert, caseId, admission: 'created', receivedAt: new Date().toISOString(), source: 'test' }, { jobId });
    const job = await until(async () => app.hivewatch.queues.alerts.getJob(jobId), (j) => j?.finishedOn !== undefined, 10_000);
    expect(await job!.getState()).toBe('completed');
    expect(job!.returnvalue).toEqual({ caseId, triageJobId: triageJobId(caseId) });
    expect(await app.hivewatch.cases.alertProcessed(alert.id)).toBe(true);
  });
});

describe('cases API', () => {
  it('GET /v1/cases/:id: the case, its alerts, the job history across queues (state, attempts, timings, logs) and the report', async () => {
    const alert = nestedAlert({ hostId: 'host-api', userId: 'S-1-5-21-api' });
    const { caseId, alertId } = (await post(alert)).results[0]!;
    const { body } = await until(() => getCase(caseId), (c) => c.body.jobs.length === 2 && c.body.jobs.every((j: { state: string }) => j.state === 'completed'), 10_000);
    expect(body.case).toMatchObject({ id: caseId, status: 'triaging', hostId: 'host-api', userId: 'S-1-5-21-api', alertCount: 1, firstAlertId: alertId });
    const [intakeJob, triageJob] = body.jobs;
    expect(intakeJob).toMatchObject({ queue: 'alerts', jobId: alertJobId(alertId), state: 'completed', attemptsMade: 1, failedReason: null });
    expect(intakeJob.processedAt).toBeGreaterThanOrEqual(intakeJob.createdAt);
    expect(intakeJob.finishedAt).toBeGreaterThanOrEqual(intakeJob.processedAt);
    expect(intakeJob.logs[0]).toContain(`created case ${caseId}`);
    expect(triageJob).toMatchObject({ queue: 'triage', jobId: triageJobId(caseId), state: 'completed', logs: [`triage of ${alertId}`] });
    expect(body.report).toBeNull();

    const report = { alertId, caseId, disposition: 'malicious', score: 91, plan: [] } as unknown as TriageReport;
    await app.hivewatch.cases.saveReport(caseId, report);
    const withReport = (await getCase(caseId)).body;
    expect(withReport.report).toMatchObject({ disposition: 'malicious', score: 91 });
    expect(withReport.case).toMatchObject({ status: 'triaged', disposition: 'malicious', score: 91 });
  });

  it('failed jobs show their attempts and failure reasons', async () => {
    const { caseId } = (await post(nestedAlert({ hostId: 'host-fails' }))).results[0]!;
    const { body } = await until(() => getCase(caseId), (c) => c.body.jobs.some((j: { state: string; attemptsMade: number }) => j.state === 'failed' && j.attemptsMade === 5), 15_000);
    const triage = body.jobs.find((j: { queue: string }) => j.queue === 'triage');
    expect(triage).toMatchObject({ state: 'failed', attemptsMade: 5, failedReason: 'EDR unreachable' });
    expect(triage.failures.length).toBeGreaterThanOrEqual(1);
    expect(triage.failures[0]).toContain('EDR unreachable');
    expect(triage.logs.length).toBe(5);
  });

  it('GET /v1/cases filters by host.id, user.id and status, newest first', async () => {
    const one = (await post(nestedAlert({ hostId: 'host-list', userId: 'u-list-1', parentEntityId: 'l1' }))).results[0]!;
    clock += 1; // the index orders by creation millisecond
    const two = (await post(nestedAlert({ hostId: 'host-list', userId: 'u-list-2', parentEntityId: 'l2' }))).results[0]!;
    const list = async (query: string) => {
      const res = await app.inject({ method: 'GET', url: `/v1/cases?${query}`, headers: bearer });
      expect(res.statusCode, query).toBe(200);
      return (res.json().cases as { case: { id: string } }[]).map((c) => c.case.id);
    };
    expect(await list('host.id=host-list')).toEqual([two.caseId, one.caseId]);
    expect(await list('host.id=host-list&user.id=u-list-1')).toEqual([one.caseId]);
    await app.hivewatch.cases.setStatus(two.caseId, 'awaiting_approval');
    expect(await list('host.id=host-list&status=awaiting_approval')).toEqual([two.caseId]);
    expect(await list('user.id=u-list-2&status=awaiting_approval&history=false')).toEqual([two.caseId]);
    expect(await list('host.id=nobody')).toEqual([]);
    const all = await list('limit=500');
    expect(all).toContain(one.caseId);
  });

  it('bad filters are 400 naming the field; an unknown case is 404', async () => {
    const bad = await app.inject({ method: 'GET', url: '/v1/cases?status=weird', headers: bearer });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'HW_ERR_QUERY' });
    expect(bad.json().error.message).toMatch(/^status:/);
    const unknown = await app.inject({ method: 'GET', url: '/v1/cases?hostname=x', headers: bearer });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.message).toContain('hostname');
    const missing = await getCase('case-doesnotexist');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('HW_ERR_CASE_NOT_FOUND');
  });
});
