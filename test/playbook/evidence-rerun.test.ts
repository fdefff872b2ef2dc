// "Ask for more evidence" end to end on real Redis: the response stage re-queues the case's triage with an
// evidence request, the triage worker investigates again (new connector queries), stores the new report under
// the bumped evidence version, audits the re-run and hands the new plan to the response stage. A plain retry
// (and a retry of the same request) reuses the stored report.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector } from '../../connectors/types.js';
import { parseAlert } from '../../detection/alert.js';
import type { TriageReport } from '../../playbooks/hive-dump/report.js';
import { CaseStore } from '../../workers/cases/store.js';
import { alertJobId, safeJobId } from '../../workers/queues.js';
import { rerunTriage } from '../../workers/response/evidence.js';
import { proposePlan } from '../../workers/response/propose.js';
import { auditLogFor, createResponseRuntime, type ResponseRuntime } from '../../workers/response/runtime.js';
import type { TriageJobData } from '../../workers/triage/job.js';
import { createTriageProcessor, triageDepsFromConfig, type TriageDeps } from '../../workers/triage/processor.js';
import { startWorkers, type RunningWorkers } from '../../workers/worker.js';
import { cleanup, connect, testConfig, uniquePrefix } from '../intake/helpers.js';
import { bob } from '../response/helpers.js';
import { waitFor } from '../poll.js';

const repo = resolve(import.meta.dirname, '../..');
const prefix = uniquePrefix('evrerun');
const config = testConfig(prefix, { connector: { kind: 'replay', datasetDir: join(repo, 'data/empire'), stateDir: mkdtempSync(join(tmpdir(), 'hw-evrerun-')) } });
let redis: Redis;
let workerRedis: Redis;
let workers: RunningWorkers;
let runtime: ResponseRuntime;
let deps: TriageDeps;
let connectorCalls = 0;

/** Counts the connector's query calls, so a re-run is seen to ask the EDR again. */
function counting(connector: Connector): Connector {
  return new Proxy(connector, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function' || key === 'close') return value;
      return (...args: unknown[]) => {
        connectorCalls += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

beforeAll(async () => {
  redis = await connect();
  workerRedis = await connect('worker');
  const built = await triageDepsFromConfig(config, redis, {});
  const cases = new CaseStore(redis, { prefix, ...config.cases });
  deps = { ...built, connector: counting(built.connector), cases, propose: (caseId, report) => proposePlan(caseId, report, runtime) };
  workers = await startWorkers({ config, connection: workerRedis, triageProcessor: createTriageProcessor(deps), stages: [] });
  const audit = auditLogFor(config, redis);
  deps.audit = audit;
  runtime = createResponseRuntime({ config, redis, connector: async () => built.connector, cases, audit, onMoreEvidence: rerunTriage(workers.context.queues, cases, audit) });
});

afterAll(async () => {
  await workers.close();
  await cleanup(redis, prefix);
  await workerRedis.quit();
  await redis.quit();
});

describe('more evidence re-runs the investigation', () => {
  it('re-queued triage with evidenceRequest stores a new report, audits it and re-proposes; retries reuse it', async () => {
    const cases = deps.cases as CaseStore;
    const queues = workers.context.queues;
    const alert = parseAlert(JSON.parse(readFileSync(join(repo, 'data/empire/alert.json'), 'utf8')));
    const { caseId } = await cases.admit(alert);
    // The alert stays in the job history (delayed so no intake worker runs it): rerunTriage reads it from there.
    await queues.alerts.add('alert', { alert, caseId }, { jobId: alertJobId(alert.id), delay: 600_000 });
    await queues.triage.add('triage', { caseId, alert }, { jobId: safeJobId('triage', `${caseId}-first`) });

    const first = await waitFor(() => cases.getReport(caseId));
    const steps = await waitFor(async () => {
      const list = await runtime.store.list(caseId);
      return list.length > 0 ? list : null;
    });
    const callsAfterFirst = connectorCalls;
    expect(callsAfterFirst).toBeGreaterThan(0);
    expect(first.evidenceRequest).toBeUndefined();

    const asked = await runtime.service.requestMoreEvidence(caseId, steps[0]!.stepId, bob, 'did anything read the SAM copy afterwards?');
    const second = await waitFor(async () => {
      const report = await cases.getReport(caseId);
      return report && report.evidenceRequest ? report : null;
    });
    expect(second.evidenceVersion).toBe(asked.evidenceVersion);
    expect(second.evidenceVersion).not.toBe(first.evidenceVersion);
    expect(second.previousEvidenceVersion).toBe(first.evidenceVersion);
    expect(second.evidenceRequest).toMatchObject({ stepId: steps[0]!.stepId, question: 'did anything read the SAM copy afterwards?' });
    expect(second.generatedAt >= first.generatedAt).toBe(true);
    // The investigation ran again: the connector was asked the questions once more.
    expect(connectorCalls).toBeGreaterThanOrEqual(callsAfterFirst * 2);

    const job = await queues.triage.getJob(safeJobId('triage', `${caseId}-ev${asked.evidenceVersion}`));
    await waitFor(async () => (await job!.isCompleted()) || null);
    expect((await queues.triage.getJob(job!.id!))!.returnvalue).toMatchObject({ caseId, reused: false });

    // The audit chain holds the re-run and a second set of triage entries for the case.
    const entries = (await runtime.audit.caseRecords(caseId)).map((r) => r.record as unknown as { type: string; data: Record<string, unknown> });
    const rerun = entries.find((e) => e.type === 'triage.evidence_rerun');
    expect(rerun?.data).toMatchObject({ evidenceVersion: asked.evidenceVersion, previousEvidenceVersion: first.evidenceVersion, stepId: steps[0]!.stepId });
    expect(entries.filter((e) => e.type === 'triage.plan').length).toBe(2);
    const plans = entries.filter((e) => e.type === 'triage.plan');
    expect(plans[1]!.data.evidenceVersion).toBe(asked.evidenceVersion);

    // The response stage received the new plan: the steps are bound to the new evidence version.
    const meta = await runtime.store.getMeta(caseId);
    expect(meta!.evidenceVersion).toBe(asked.evidenceVersion);
    for (const step of await runtime.store.list(caseId)) if (step.state === 'proposed') expect(step.evidenceVersion).toBe(asked.evidenceVersion);

    // Retries: the same evidence request, and a plain triage job, both reuse the stored report.
    const processor = createTriageProcessor(deps);
    const calls = connectorCalls;
    const log = async () => 0;
    const again = await processor({ data: { caseId, alert, evidenceRequest: second.evidenceRequest }, log } as unknown as Job<TriageJobData>);
    expect(again.reused).toBe(true);
    const plain = await processor({ data: { caseId, alert }, log } as unknown as Job<TriageJobData>);
    expect(plain.reused).toBe(true);
    expect(connectorCalls).toBe(calls);
    expect(((await cases.getReport(caseId)) as TriageReport).generatedAt).toBe(second.generatedAt);
  });
});
