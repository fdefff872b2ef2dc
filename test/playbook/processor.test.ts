// The triage worker end to end on real Redis: an alert posted to the intake API becomes a case, the triage
// queue runs the playbook on the replay connector built from the config, the report is stored with the case
// (GET /v1/cases/:id returns it), the audit chain records the triage, and the plan is handed to response.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type HivewatchServer } from '../../workers/api/server.js';
import { MemoryAuditSink } from '../../workers/audit/types.js';
import { startWorkers, type RunningWorkers } from '../../workers/worker.js';
import { createTriageProcessor, triageDepsFromConfig, triageProcessorFor, type TriageDeps } from '../../workers/triage/processor.js';
import type { TriageJobData } from '../../workers/triage/job.js';
import type { TriageReport } from '../../playbooks/hive-dump/report.js';
import { parseAlert } from '../../detection/alert.js';
import { bearer, cleanup, connect, testConfig, uniquePrefix } from '../intake/helpers.js';
import { waitFor } from '../poll.js';

const repo = resolve(import.meta.dirname, '../..');
const prefix = uniquePrefix('triage');
const proposed: { caseId: string; report: TriageReport }[] = [];
let redis: Redis;
let workerRedis: Redis;
let app: HivewatchServer;
let workers: RunningWorkers;
let deps: TriageDeps;

const config = testConfig(prefix, { connector: { kind: 'replay', datasetDir: join(repo, 'data/empire'), stateDir: mkdtempSync(join(tmpdir(), 'hw-triage-')) } });

beforeAll(async () => {
  redis = await connect();
  workerRedis = await connect('worker');
  deps = { ...(await triageDepsFromConfig(config, redis, {})), propose: async (caseId, report) => void proposed.push({ caseId, report }) };
  app = await buildServer({ config, redis, logger: false });
  workers = await startWorkers({ config, connection: workerRedis, triageProcessor: createTriageProcessor(deps), stages: [] });
});

afterAll(async () => {
  await workers.close();
  await app.close();
  await app.hivewatch.queues.close();
  await cleanup(redis, prefix);
  await workerRedis.quit();
  await redis.quit();
});

describe('triage worker', () => {
  it('triages a posted alert, stores the report with the case, audits it and proposes the plan', async () => {
    const alert = JSON.parse(readFileSync(join(repo, 'data/empire/alert.json'), 'utf8'));
    const res = await app.inject({ method: 'POST', url: '/v1/alerts/elastic', headers: { ...bearer, 'content-type': 'application/json' }, payload: JSON.stringify(alert) });
    expect(res.statusCode).toBeLessThan(300);
    const caseId = (res.json() as { results: { caseId: string }[] }).results[0]!.caseId;
    const body = await waitFor(async () => {
      const got = await app.inject({ method: 'GET', url: `/v1/cases/${caseId}`, headers: bearer });
      const json = got.json() as { report: TriageReport | null };
      return json.report ? json : null;
    });
    expect(body.report!.caseId).toBe(caseId);
    expect(body.report!.disposition).toBe('malicious');
    expect(body.report!.hives).toEqual(['SAM']);
    expect(body.report!.plan[0]).toMatchObject({ action: 'preserve_evidence', target: caseId });
    await waitFor(async () => proposed.find((p) => p.caseId === caseId));
    // The hash-chained audit log (response engineer's RedisAuditLog) holds the triage's entries for the case.
    const auditKeys = await redis.keys(`${prefix}:*audit*`);
    expect(auditKeys.length).toBeGreaterThan(0);
  });

  it('writes one audit entry per question, plus verification, score and plan', async () => {
    const audit = new MemoryAuditSink();
    const calls: string[] = [];
    const stored = new Map<string, TriageReport>();
    const processor = createTriageProcessor({
      ...deps,
      audit,
      cases: { saveReport: async (id, r) => void stored.set(id, r), getReport: async (id) => stored.get(id) ?? null },
      propose: async (id) => void calls.push(id),
    });
    const alert = parseAlert(JSON.parse(readFileSync(join(repo, 'data/empire/alert.json'), 'utf8')));
    const job = { data: { caseId: 'case-1', alert }, log: async () => 0 } as unknown as Job<TriageJobData>;
    const first = await processor(job);
    expect(first).toMatchObject({ caseId: 'case-1', disposition: 'malicious', reused: false });
    const types = audit.entries.map((e) => e.type);
    expect(types[0]).toBe('triage.verification');
    expect(types.filter((t) => t === 'triage.query').length).toBeGreaterThanOrEqual(9);
    expect(types.slice(-2)).toEqual(['triage.score', 'triage.plan']);
    expect(JSON.stringify(audit.entries)).not.toMatch(/"doc"|powershell\.exe -noP/);
    // A retried job reuses the stored report: no second triage, no second set of audit entries.
    const second = await processor(job);
    expect(second.reused).toBe(true);
    expect(audit.entries.length).toBe(types.length);
    expect(calls).toEqual(['case-1', 'case-1']);
  });

  it('builds its dependencies from a worker context on the first job', async () => {
    const stored = new Map<string, TriageReport>();
    const cases = { saveReport: async (id: string, r: TriageReport) => void stored.set(id, r), getReport: async (id: string) => stored.get(id) ?? null };
    const audit = new MemoryAuditSink();
    const processor = triageProcessorFor({ config, connection: redis, cases: cases as never, audit });
    const alert = parseAlert(JSON.parse(readFileSync(join(repo, 'data/empire/alert.json'), 'utf8')));
    // No response runtime is registered in this process: the hand-off fails after the report is stored.
    const job = { data: { caseId: 'case-ctx', alert }, log: async () => 0 } as unknown as Job<TriageJobData>;
    await expect(processor(job)).rejects.toThrow(/HW_ERR_RESPONSE_NOT_READY/);
    expect(stored.get('case-ctx')?.disposition).toBe('malicious');
    expect(audit.entries.some((e) => e.type === 'triage.plan' && e.caseId === 'case-ctx')).toBe(true);
  });
});
