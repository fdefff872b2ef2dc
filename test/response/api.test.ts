// The response API end to end: real Redis, the real fastify app with the steps plugin, a real BullMQ worker
// on the `response` queue and the replay connector.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDataset, ReplayConnector } from '../../connectors/replay/index.js';
import { stepsPlugin } from '../../workers/api/steps-routes.js';
import { buildServer, type HivewatchServer } from '../../workers/api/server.js';
import { loadConfig } from '../../workers/config.js';
import { createResponseRuntime, type ResponseRuntime } from '../../workers/response/runtime.js';
import { verifyAuditLog } from '../../workers/audit/verify.js';
import { report } from './helpers.js';
import { until } from '../poll.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const tokens = { alice: 'tok-alice-0123456789', bob: 'tok-bob-0123456789', vera: 'tok-vera-0123456789' };
const prefix = `hwtest-api-${randomBytes(4).toString('hex')}`;
let redis: Redis;
let workerRedis: Redis;
let app: HivewatchServer;
let runtime: ResponseRuntime;
let worker: Worker;
let stateDir: string;

beforeAll(async () => {
  redis = new Redis({ host: '127.0.0.1', port: 6379 });
  workerRedis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
  stateDir = mkdtempSync(path.join(tmpdir(), 'hw-api-'));
  const connector = new ReplayConnector(buildDataset([]), { stateDir });
  const config = loadConfig({}, undefined, {
    redis: { prefix },
    response: {
      identities: [
        { id: 'alice', role: 'responder', tokenSha256: sha(tokens.alice) },
        { id: 'bob', role: 'lead', tokenSha256: sha(tokens.bob) },
        { id: 'vera', role: 'viewer', tokenSha256: sha(tokens.vera) },
      ],
      pollIntervalMs: 20,
    },
  });
  app = await buildServer({
    config,
    redis,
    logger: false,
    plugins: [
      stepsPlugin((context) => {
        runtime = createResponseRuntime({ config, redis, connector: async () => connector, queue: context.queues.response, cases: context.cases, executeBackoffMs: 50, metrics: context.metrics.registry });
        return runtime;
      }),
    ],
  });
  await app.ready();
  worker = runtime.startWorker(workerRedis);
});

afterAll(async () => {
  await worker?.close();
  await app?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  workerRedis.disconnect();
  rmSync(stateDir, { recursive: true, force: true });
});

const as = (who: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[who]}` });

async function steps(caseId: string) {
  const res = await app.inject({ method: 'GET', url: `/v1/cases/${caseId}/steps`, headers: as('vera') });
  expect(res.statusCode).toBe(200);
  return res.json().steps as { stepId: string; action: string; state: string; hash: string; undo: string | null; actions: string[] }[];
}

describe('response API', () => {
  it('needs a known identity; a viewer may read but not decide', async () => {
    await runtime.service.proposePlan('case-a1', report('case-a1'));
    expect((await app.inject({ method: 'GET', url: '/v1/cases/case-a1/steps' })).json().error.code).toBe('HW_ERR_UNAUTHENTICATED');
    expect((await app.inject({ method: 'GET', url: '/v1/cases/case-a1/steps', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
    const list = await steps('case-a1');
    expect(list.map((s) => s.action)).toEqual(['preserve_evidence', 'terminate_process', 'isolate_host']);
    expect(list.find((s) => s.action === 'isolate_host')!.undo).toBe('release_host');
    const kill = list.find((s) => s.action === 'terminate_process')!;
    const res = await app.inject({ method: 'POST', url: `/v1/cases/case-a1/steps/${kill.stepId}/approve`, headers: as('vera'), payload: { hash: kill.hash } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('HW_ERR_ROLE_FORBIDDEN');
  });

  it('approve runs the step through the response queue; a second approve is the wrong state', async () => {
    await runtime.service.proposePlan('case-a2', report('case-a2'));
    const kill = (await steps('case-a2')).find((s) => s.action === 'terminate_process')!;
    const bad = await app.inject({ method: 'POST', url: `/v1/cases/case-a2/steps/${kill.stepId}/approve`, headers: as('alice'), payload: { hash: 'f'.repeat(64) } });
    expect([bad.statusCode, bad.json().error.code]).toEqual([409, 'HW_ERR_STALE_HASH']);
    const malformed = await app.inject({ method: 'POST', url: `/v1/cases/case-a2/steps/${kill.stepId}/approve`, headers: as('alice'), payload: { hash: 'abc' } });
    expect([malformed.statusCode, malformed.json().error.message]).toEqual([400, expect.stringContaining('hash')]);
    const ok = await app.inject({ method: 'POST', url: `/v1/cases/case-a2/steps/${kill.stepId}/approve`, headers: as('alice'), payload: { hash: kill.hash } });
    expect(ok.statusCode).toBe(200);
    const done = await until(() => steps('case-a2'), (list) => list.find((s) => s.stepId === kill.stepId)!.state === 'done');
    expect(done.find((s) => s.stepId === kill.stepId)!.state).toBe('done');
    const again = await app.inject({ method: 'POST', url: `/v1/cases/case-a2/steps/${kill.stepId}/approve`, headers: as('bob'), payload: { hash: kill.hash } });
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'HW_ERR_STEP_STATE']);
  });

  it('four-eyes on isolate, then revert through approval, with self-approval refused', async () => {
    await runtime.service.proposePlan('case-a3', report('case-a3'));
    const iso = (await steps('case-a3')).find((s) => s.action === 'isolate_host')!;
    const url = `/v1/cases/case-a3/steps/${iso.stepId}`;
    expect((await app.inject({ method: 'POST', url: `${url}/approve`, headers: as('alice'), payload: { hash: iso.hash } })).json().step.state).toBe('proposed');
    const twice = await app.inject({ method: 'POST', url: `${url}/approve`, headers: as('alice'), payload: { hash: iso.hash } });
    expect(twice.json().error.code).toBe('HW_ERR_SECOND_APPROVER');
    expect((await app.inject({ method: 'POST', url: `${url}/approve`, headers: as('bob'), payload: { hash: iso.hash } })).statusCode).toBe(200);
    await until(() => steps('case-a3'), (list) => list.find((s) => s.stepId === iso.stepId)!.state === 'done');
    const revert = await app.inject({ method: 'POST', url: `${url}/revert`, headers: as('alice'), payload: { reason: 'owner confirmed the backup' } });
    expect(revert.statusCode).toBe(200);
    const undo = revert.json().step as { stepId: string; hash: string; connectorAction: string };
    expect(undo.connectorAction).toBe('release_host');
    const self = await app.inject({ method: 'POST', url: `/v1/cases/case-a3/steps/${undo.stepId}/approve`, headers: as('alice'), payload: { hash: undo.hash } });
    expect([self.statusCode, self.json().error.code]).toEqual([403, 'HW_ERR_SELF_APPROVAL']);
    expect((await app.inject({ method: 'POST', url: `/v1/cases/case-a3/steps/${undo.stepId}/approve`, headers: as('bob'), payload: { hash: undo.hash } })).statusCode).toBe(200);
    const after = await until(() => steps('case-a3'), (list) => list.find((s) => s.stepId === iso.stepId)!.state === 'reverted');
    expect(after.find((s) => s.stepId === iso.stepId)!.state).toBe('reverted');
  });

  it('deny needs a reason; history merges jobs and audit records into one timeline', async () => {
    await runtime.service.proposePlan('case-a4', report('case-a4'));
    const list = await steps('case-a4');
    const iso = list.find((s) => s.action === 'isolate_host')!;
    const noReason = await app.inject({ method: 'POST', url: `/v1/cases/case-a4/steps/${iso.stepId}/deny`, headers: as('alice'), payload: {} });
    expect([noReason.statusCode, noReason.json().error.message]).toEqual([400, expect.stringContaining('reason')]);
    expect((await app.inject({ method: 'POST', url: `/v1/cases/case-a4/steps/${iso.stepId}/deny`, headers: as('alice'), payload: { reason: 'server maintenance window' } })).json().step.state).toBe('denied');
    const kill = list.find((s) => s.action === 'terminate_process')!;
    await app.inject({ method: 'POST', url: `/v1/cases/case-a4/steps/${kill.stepId}/approve`, headers: as('alice'), payload: { hash: kill.hash } });
    await until(() => steps('case-a4'), (all) => all.find((s) => s.stepId === kill.stepId)!.state === 'done');
    const history = await until(
      async () => (await app.inject({ method: 'GET', url: '/v1/cases/case-a4/history', headers: as('vera') })).json(),
      (body: { entries: { type: string; at: string }[] }) => body.entries.some((e) => e.type === 'job.finished') && body.entries.some((e) => e.type === 'step.done'),
    );
    const types = history.entries.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['response.proposed', 'step.denied', 'step.approved', 'action.requested', 'step.done', 'job.created', 'job.started', 'job.finished']));
    const times = history.entries.map((e: { at: string }) => e.at);
    expect([...times].sort()).toEqual(times);
    expect((await app.inject({ method: 'GET', url: '/v1/cases/nope/history', headers: as('vera') })).statusCode).toBe(404);
    expect((await verifyAuditLog(runtime.audit)).ok).toBe(true);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/hivewatch_response_transitions_total\{action="terminate_process",from="running",to="done"\} [1-9]/);
    expect(metrics).toMatch(/hivewatch_response_transitions_total\{action="isolate_host",from="proposed",to="denied"\} [1-9]/);
    expect(metrics).toMatch(/hivewatch_response_approval_to_outcome_seconds_count\{action="terminate_process",outcome="done"\} [1-9]/);
  });
});
