// "Ask for more evidence" end to end on real Redis: approvals are voided, the evidence version bumps, and the
// case's triage is queued again (with the request) from the alert in the job history.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDataset, ReplayConnector } from '../../connectors/replay/index.js';
import { parseAlert } from '../../detection/alert.js';
import { CaseStore } from '../../workers/cases/store.js';
import { loadConfig } from '../../workers/config.js';
import { alertJobId, createQueues, safeJobId } from '../../workers/queues.js';
import { rerunTriage } from '../../workers/response/evidence.js';
import { auditLogFor, createResponseRuntime } from '../../workers/response/runtime.js';
import type { TriageJobData } from '../../workers/triage/job.js';
import { alice, bob, report } from './helpers.js';

const prefix = `hwtest-evidence-${randomBytes(4).toString('hex')}`;
const redis = new Redis({ host: '127.0.0.1', port: 6379 });
const stateDir = mkdtempSync(path.join(tmpdir(), 'hw-evidence-'));

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('more evidence', () => {
  it('voids approvals, bumps the evidence version and re-queues triage with the request', async () => {
    const config = loadConfig({}, undefined, { redis: { prefix } });
    const queues = createQueues(redis, config);
    try {
      const cases = new CaseStore(redis, { prefix, ...config.cases });
      const alert = parseAlert({
        '@timestamp': '2026-11-25T11:59:00.000Z',
        host: { id: 'host-1' },
        process: { entity_id: 'proc-entity-1', pid: 4242, parent: { entity_id: 'p-1' } },
        kibana: { alert: { uuid: `ev-${randomBytes(4).toString('hex')}` } },
      });
      const { caseId } = await cases.admit(alert);
      await queues.alerts.add('alert', { alert, caseId }, { jobId: alertJobId(alert.id), delay: 60_000 });
      const audit = auditLogFor(config, redis);
      const connector = new ReplayConnector(buildDataset([]), { stateDir });
      const runtime = createResponseRuntime({ config, redis, connector: async () => connector, cases, audit, onMoreEvidence: rerunTriage(queues, cases, audit) });

      await runtime.service.proposePlan(caseId, report(caseId));
      const iso = (await runtime.store.list(caseId)).find((s) => s.action === 'isolate_host')!;
      await runtime.service.approve(caseId, iso.stepId, alice, iso.hash);
      const result = await runtime.service.requestMoreEvidence(caseId, iso.stepId, bob, 'was the SAM copy read by another process?');
      expect(result.evidenceVersion).toBe(2);
      expect(result.steps.find((s) => s.stepId === iso.stepId)!.approvals).toEqual([]);

      const job = await queues.triage.getJob(safeJobId('triage', `${caseId}-ev2`));
      expect(job).toBeDefined();
      const data = job!.data as TriageJobData;
      expect(data.alert.id).toBe(alert.id);
      expect(data.evidenceRequest).toEqual({ evidenceVersion: 2, stepId: iso.stepId, question: 'was the SAM copy read by another process?' });
      expect((await cases.jobs(caseId)).map((ref) => ref.jobId)).toContain(job!.id);
      const types = (await audit.caseRecords(caseId)).map((r) => r.record.type);
      expect(types).toEqual(expect.arrayContaining(['step.rebound', 'evidence.requested', 'evidence.rerun_queued']));
    } finally {
      await queues.close();
    }
  });
});
