// A Redis Cluster deployment uses a hash-tag prefix ({tag}): every key hivewatch writes (queues, cases, dedup,
// grouping, nonces, rate limits, heartbeats) must start with it, so all of them land in one slot.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { Job } from 'bullmq';
import { buildServer, type HivewatchServer } from '../../workers/api/server.js';
import { startWorkers, type RunningWorkers } from '../../workers/worker.js';
import type { TriageJobData } from '../../workers/triage/job.js';
import { bearer, cleanup, connect, nestedAlert, testConfig } from './helpers.js';

const tag = `{hwtest:tag:${randomBytes(4).toString('hex')}}`;
let redis: Redis;
let app: HivewatchServer;
let workers: RunningWorkers;

beforeAll(async () => {
  redis = await connect();
  const config = testConfig(tag);
  app = await buildServer({ config, redis, logger: false });
  workers = await startWorkers({ config, stages: [], triageProcessor: async (job: Job<TriageJobData>) => ({ caseId: job.data.caseId }) });
});

afterAll(async () => {
  await workers.close();
  await app.close();
  await cleanup(redis, tag);
  await redis.quit();
});

describe('hash-tag prefix', () => {
  it('keeps every key of the deployment under the tag', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/alerts/elastic', headers: { ...bearer, 'content-type': 'application/json' }, payload: JSON.stringify([nestedAlert(), nestedAlert()]) });
    expect(res.statusCode).toBe(202);
    const caseId = res.json().results[0].caseId as string;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const detail = (await app.inject({ method: 'GET', url: `/v1/cases/${caseId}`, headers: bearer })).json();
      if (detail.jobs.some((j: { queue: string; state: string }) => j.queue === 'triage' && j.state === 'completed') || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `*${tag.slice(1, -1)}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) expect(key.startsWith(`${tag}:`), key).toBe(true);
    for (const part of [':alerts:', ':triage:', ':cases:case:', ':cases:alert:', ':cases:group:', ':cases:index:', ':ratelimit:', ':workers:heartbeat']) {
      expect(keys.some((key) => key.includes(part)), part).toBe(true);
    }
  });
});
