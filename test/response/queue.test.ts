// The `response` queue's other jobs against real Redis and BullMQ: the signed approval notification (a
// Slack-compatible receiver on 127.0.0.1 that fails twice, then accepts: retried with backoff), and the
// step-timeout job that applies a step's default when its deadline passes.
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDataset, ReplayConnector } from '../../connectors/replay/index.js';
import { loadConfig } from '../../workers/config.js';
import { createQueues, type Queues } from '../../workers/queues.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../workers/response/notify.js';
import { createResponseRuntime, type ResponseRuntime } from '../../workers/response/runtime.js';
import { report } from './helpers.js';
import { waitUntil } from '../poll.js';

const SECRET = `notify-secret-${randomBytes(6).toString('hex')}`;
const prefix = `hwtest-queue-${randomBytes(4).toString('hex')}`;
interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}
const received: Received[] = [];
let receiver: http.Server;
let redis: Redis;
let workerRedis: Redis;
let queues: Queues;
let runtime: ResponseRuntime;
let worker: Worker;
let stateDir: string;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      // The first two deliveries fail: the notification must be retried.
      const status = received.length < 2 ? 500 : 200;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try later');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/slack`;
  process.env.HW_TEST_NOTIFY_SECRET = SECRET;

  redis = new Redis({ host: '127.0.0.1', port: 6379 });
  workerRedis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
  stateDir = mkdtempSync(path.join(tmpdir(), 'hw-queue-'));
  const connector = new ReplayConnector(buildDataset([]), { stateDir });
  const config = loadConfig({}, undefined, {
    redis: { prefix },
    response: {
      notify: { url, secretEnv: 'HW_TEST_NOTIFY_SECRET', attempts: 5, backoffMs: 50, consoleUrl: 'http://127.0.0.1/console' },
      stepTimeoutSeconds: 2,
      timeoutDefaults: { terminate_process: 'deny', default: 'hold' },
    },
  });
  queues = createQueues(redis, config);
  runtime = createResponseRuntime({ config, redis, connector: async () => connector, queue: queues.response });
  worker = runtime.startWorker(workerRedis);
});

afterAll(async () => {
  await worker.close();
  await queues.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  workerRedis.disconnect();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  rmSync(stateDir, { recursive: true, force: true });
  delete process.env.HW_TEST_NOTIFY_SECRET;
});

describe('response queue jobs', () => {
  it('notifies each waiting step with a signed Slack-compatible post, retrying failures; then applies timeouts', async () => {
    await runtime.service.proposePlan('case-q1', report('case-q1'));
    await waitUntil(() => received.filter((r) => r.status === 200).length >= 3, 'three delivered notifications');
    expect(received.filter((r) => r.status === 500)).toHaveLength(2);

    for (const delivery of received) {
      const timestamp = delivery.headers[TIMESTAMP_HEADER] as string;
      const expected = `sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${delivery.body}`).digest('hex')}`;
      expect(delivery.headers[SIGNATURE_HEADER]).toBe(expected);
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(delivery.body).not.toContain(SECRET);
    }
    const bodies = received.filter((r) => r.status === 200).map((r) => JSON.parse(r.body) as { text: string; blocks: unknown[]; hivewatch: { stepId: string; caseId: string; hash: string } });
    expect(new Set(bodies.map((b) => b.hivewatch.stepId))).toEqual(new Set(['s1', 's2', 's3']));
    expect(bodies[0]!.text).toContain('case-q1');
    expect(bodies[0]!.text).toContain('http://127.0.0.1/console/#case=case-q1');
    expect(bodies[0]!.blocks).toHaveLength(1);

    // No secret in job data (clear text in Redis).
    const jobs = await queues.response.getJobs(['completed', 'failed', 'delayed', 'waiting', 'active']);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) expect(JSON.stringify(job.data)).not.toContain(SECRET);

    const audit = (await runtime.audit.caseRecords('case-q1')).map((r) => r.record);
    expect(audit.filter((r) => r.type === 'notify.failed')).toHaveLength(2);
    expect(audit.filter((r) => r.type === 'notify.sent')).toHaveLength(3);
    expect(JSON.stringify(audit)).not.toContain(SECRET);

    // The deadline (2 s) passes: the timeout jobs apply each step's default without anyone asking.
    await waitUntil(async () => (await runtime.store.mustGet('case-q1', 's2')).state === 'expired', 'the terminate step to expire');
    await waitUntil(async () => (await runtime.store.mustGet('case-q1', 's1')).timedOutAt !== null, 'the hold default to be recorded');
    expect((await runtime.store.mustGet('case-q1', 's1')).state).toBe('proposed');
    const timeouts = (await runtime.audit.caseRecords('case-q1')).filter((r) => r.record.type === 'step.timeout');
    expect(timeouts.map((r) => r.record.actor)).toEqual(expect.arrayContaining([{ id: 'system:timeout', role: 'system' }]));
  }, 60_000);
});
