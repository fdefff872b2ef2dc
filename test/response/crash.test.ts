// A response worker SIGKILLed in the middle of an isolate, then the job retried by another worker: the
// Elastic fake (test/fakes) must see exactly one isolate request. Real Redis, real BullMQ, real processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ElasticConnector } from '../../connectors/elastic/index.js';
import { createQueues, type Queues } from '../../workers/queues.js';
import { loadConfig, type HivewatchConfig } from '../../workers/config.js';
import { createResponseRuntime, type ResponseRuntime } from '../../workers/response/runtime.js';
import { verifyAuditLog } from '../../workers/audit/verify.js';
import { ElasticFake } from '../fakes/elastic.js';
import { alice, bob, report, stepOf } from './helpers.js';
import { waitUntil } from '../poll.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const prefix = `hwtest-crash-${randomBytes(4).toString('hex')}`;
const ISOLATE = '/api/endpoint/action/isolate';
let redis: Redis;
let fake: ElasticFake;
let fakeUrl: string;
let config: HivewatchConfig;
let queues: Queues;
let runtime: ResponseRuntime;
let child: ChildProcess | undefined;
let survivor: Worker | undefined;
let survivorRedis: Redis | undefined;

function connector(): ElasticConnector {
  return new ElasticConnector({ elasticsearchUrl: fakeUrl, kibanaUrl: fakeUrl, apiKey: fake.apiKey, maxRetries: 0 });
}

async function startChild(pollMs: number): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/worker-child.ts')], {
    cwd: repoRoot,
    env: { ...process.env, HW_TEST_PREFIX: prefix, HW_FAKE_URL: fakeUrl, HW_FAKE_KEY: fake.apiKey, HW_POLL_MS: String(pollMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    proc.once('exit', (code) => reject(new Error(`worker child exited early (${code}): ${stderr}`)));
  });
  return proc;
}

function killChild(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

async function approvedIsolate(caseId: string) {
  await runtime.service.proposePlan(caseId, report(caseId));
  const iso = await stepOf({ store: runtime.store } as never, caseId, 'isolate_host');
  await runtime.service.approve(caseId, iso.stepId, alice, iso.hash);
  await runtime.service.approve(caseId, iso.stepId, bob, iso.hash);
  return iso;
}

beforeAll(async () => {
  fake = new ElasticFake();
  fakeUrl = await fake.start();
  fake.addEndpoint({ agentId: 'agent-1', hostId: 'host-1', hostName: 'WS-042' });
  redis = new Redis({ host: '127.0.0.1', port: 6379 });
  config = loadConfig({}, undefined, { redis: { prefix } });
  queues = createQueues(redis, config);
  const decl = connector();
  runtime = createResponseRuntime({ config, redis, connector: async () => decl, queue: queues.response, executeBackoffMs: 100 });
});

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) await killChild(child);
  child = undefined;
  await survivor?.close();
  survivor = undefined;
  survivorRedis?.disconnect();
  survivorRedis = undefined;
});

afterAll(async () => {
  await queues.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await fake.stop();
});

/** A second worker in this process, with a fresh connector (no memory of the dead one's calls). */
function startSurvivor(response: Record<string, unknown> = { pollIntervalMs: 20 }): void {
  survivorRedis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
  const fresh = connector();
  const rt = createResponseRuntime({ config: loadConfig({}, undefined, { redis: { prefix }, response }), redis: survivorRedis, connector: async () => fresh });
  survivor = rt.startWorker(survivorRedis, { lockDuration: 1_000, stalledInterval: 300 });
}

describe('a worker killed mid-action', () => {
  it('killed while the isolate request is in flight: the retry adopts the vendor action, one isolate in total', async () => {
    const before = fake.server.requests('POST', ISOLATE).length;
    // The vendor takes 300 ms to answer the isolate: the worker dies while waiting, before it learns the id.
    fake.server.fault('POST', ISOLATE, { latencyMs: 300 });
    child = await startChild(50);
    const iso = await approvedIsolate('case-k1');
    await waitUntil(() => fake.server.requests('POST', ISOLATE).length === before + 1, 'the isolate request to reach the vendor');
    await killChild(child);
    const mid = await runtime.store.mustGet('case-k1', iso.stepId);
    expect(mid).toMatchObject({ state: 'running', actionId: null, idempotencyKey: `hw-case-k1-${iso.stepId}-a1` });

    startSurvivor();
    await waitUntil(async () => (await runtime.store.mustGet('case-k1', iso.stepId)).state === 'done', 'the retried step to finish');
    expect(fake.server.requests('POST', ISOLATE).length).toBe(before + 1);
    const done = await runtime.store.mustGet('case-k1', iso.stepId);
    expect(done.actionId).toMatch(/^action-\d+$/);
    expect(fake.endpoints.get('agent-1')!.isolated).toBe(true);
    const types = (await runtime.audit.caseRecords('case-k1')).map((r) => r.record.type);
    // The retry found the action by the key in its comment and never asked for another.
    expect(types.filter((t) => t === 'action.requested')).toHaveLength(1);
    expect(types).toContain('action.reconciled');
    expect(types).toContain('step.done');
    expect((await verifyAuditLog(runtime.audit)).ok).toBe(true);
  }, 60_000);

  it('killed while polling a started action: the retry polls the persisted action id and never re-sends', async () => {
    fake.endpoints.get('agent-1')!.isolated = false;
    fake.actions.clear();
    const before = fake.server.requests('POST', ISOLATE).length;
    fake.server.completeAfterPolls = 1_000_000;
    child = await startChild(100);
    const iso = await approvedIsolate('case-k2');
    await waitUntil(async () => (await runtime.store.mustGet('case-k2', iso.stepId)).actionId !== null, 'the action id to be persisted');
    await waitUntil(() => fake.server.requests('GET', /^\/api\/endpoint\/action\/action-/).length > 0, 'a status poll');
    await killChild(child);
    fake.server.completeAfterPolls = 1;

    startSurvivor();
    await waitUntil(async () => (await runtime.store.mustGet('case-k2', iso.stepId)).state === 'done', 'the resumed step to finish');
    expect(fake.server.requests('POST', ISOLATE).length).toBe(before + 1);
    const types = (await runtime.audit.caseRecords('case-k2')).map((r) => r.record.type);
    expect(types.filter((t) => t === 'action.requested')).toHaveLength(1);
    expect(types).toContain('action.polled');
  }, 60_000);

  it('the retry arrives before the vendor finished creating the action: it waits, finds it by its key, one isolate', async () => {
    fake.endpoints.get('agent-1')!.isolated = false;
    fake.actions.clear();
    fake.server.completeAfterPolls = 1;
    const before = fake.server.requests('POST', ISOLATE).length;
    // The vendor creates the action only 4 s after the request arrives; the worker dies at once.
    fake.server.fault('POST', ISOLATE, { latencyMs: 4_000 });
    child = await startChild(50);
    const iso = await approvedIsolate('case-k3');
    await waitUntil(() => fake.server.requests('POST', ISOLATE).length === before + 1, 'the isolate request to reach the vendor');
    await killChild(child);
    expect(fake.actions.size).toBe(0);
    const mid = await runtime.store.mustGet('case-k3', iso.stepId);
    expect(mid).toMatchObject({ state: 'running', actionId: null });
    expect(mid.requestedAt).toBeTruthy();

    startSurvivor({ pollIntervalMs: 50, pollAttempts: 400 });
    await waitUntil(async () => (await runtime.store.mustGet('case-k3', iso.stepId)).state === 'done', 'the retried step to finish');
    expect(fake.server.requests('POST', ISOLATE).length).toBe(before + 1);
    const action = [...fake.actions.values()][0]!.details;
    expect(action.comment).toContain(`[hw-key:hw-case-k3-${iso.stepId}-a1]`);
    // The survivor looked for the key in the action list before the vendor had created the action.
    const lookups = fake.server.requests('GET', '/api/endpoint/action');
    expect(lookups.some((r) => r.at < Date.parse(action.startedAt))).toBe(true);
    const done = await runtime.store.mustGet('case-k3', iso.stepId);
    expect(done.actionId).toBe(action.id);
    const types = (await runtime.audit.caseRecords('case-k3')).map((r) => r.record.type);
    expect(types.filter((t) => t === 'action.requested')).toHaveLength(1);
    expect(types).toContain('action.reconciled');
    expect((await verifyAuditLog(runtime.audit)).ok).toBe(true);
  }, 60_000);
});
