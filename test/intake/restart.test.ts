// Durability across restarts over a real loopback listener: alerts acknowledged while no worker runs stay in
// Redis, and a new process with workers processes every one. Plus graceful shutdown of busy workers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { Job } from 'bullmq';
import { buildServer } from '../../workers/api/server.js';
import { startWorkers } from '../../workers/worker.js';
import { createQueues } from '../../workers/queues.js';
import type { TriageJobData } from '../../workers/triage/job.js';
import { bearer, cleanup, connect, nestedAlert, testConfig, uniquePrefix } from './helpers.js';
import { waitUntil } from '../poll.js';

const prefix = uniquePrefix('restart');
let redis: Redis;

beforeAll(async () => {
  redis = await connect();
});

afterAll(async () => {
  await cleanup(redis, prefix);
  await redis.quit();
});

describe('restart with alerts still queued', () => {
  it('alerts acknowledged with no worker running are all processed after a restart with workers', async () => {
    const config = testConfig(prefix);
    // First life: API only.
    const apiRedis = await connect();
    const first = await buildServer({ config, redis: apiRedis, logger: false });
    const url = await first.listen({ host: '127.0.0.1', port: 0 });
    const single = Array.from({ length: 10 }, () => nestedAlert({ hostId: 'host-restart', parentEntityId: null, parentPid: 1 }));
    const batch = Array.from({ length: 40 }, (_, i) => nestedAlert({ hostId: `host-restart-${i % 4}` }));
    for (const alert of single) {
      const res = await fetch(`${url}/v1/alerts/elastic`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(alert) });
      expect(res.status).toBe(202);
    }
    const res = await fetch(`${url}/v1/alerts/elastic`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/x-ndjson' }, body: batch.map((a) => JSON.stringify(a)).join('\n') });
    expect(res.status).toBe(202);
    const answer = (await res.json()) as { queued: number; results: { caseId: string }[] };
    expect(answer.queued).toBe(40);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503); // no worker seen
    await first.close();
    await first.hivewatch.queues.close();
    await apiRedis.quit();

    // Between lives: everything waits in Redis.
    const probe = createQueues(redis, config);
    expect(await probe.alerts.getJobCountByTypes('waiting')).toBe(50);
    expect(await probe.alerts.getJobCountByTypes('completed')).toBe(0);

    // Second life: API and workers.
    const apiRedis2 = await connect();
    const second = await buildServer({ config, redis: apiRedis2, logger: false });
    const url2 = await second.listen({ host: '127.0.0.1', port: 0 });
    const workers = await startWorkers({ config, triageProcessor: async (job: Job<TriageJobData>) => ({ caseId: job.data.caseId }) });
    try {
      await waitUntil(async () => (await probe.alerts.getJobCountByTypes('completed')) === 50, 'the 50 alerts jobs to complete');
      const cases = new Set(answer.results.map((r) => r.caseId));
      // One case per (host, parent) in the batch plus the single-alert storm's case: triage once per case.
      await waitUntil(async () => (await probe.triage.getJobCountByTypes('completed')) === cases.size + 1, 'a triage job per case to complete');
      expect(await probe.alerts.getJobCountByTypes('failed')).toBe(0);
      const readyNow = await fetch(`${url2}/readyz`);
      expect(readyNow.status).toBe(200);
      expect(((await readyNow.json()) as { workers: { count: number } }).workers.count).toBe(1);
    } finally {
      await workers.close();
      await second.close();
      await second.hivewatch.queues.close();
      await probe.close();
      await apiRedis2.quit();
    }
  });
});

/** Triage workers whose jobs take `jobMs`, with a grace period of `graceSeconds`; `started` resolves when a job runs. */
async function slowTriageWorker(name: string, graceSeconds: number, jobMs: number, result: object) {
  const config = testConfig(`${prefix}:${name}`, { queues: { shutdownGraceSeconds: graceSeconds } });
  let release!: () => void;
  const started = new Promise<void>((resolve) => {
    release = resolve;
  });
  const workers = await startWorkers({
    config,
    only: ['triage'],
    triageProcessor: async () => {
      release();
      await new Promise((resolve) => setTimeout(resolve, jobMs));
      return result;
    },
  });
  return { workers, queues: createQueues(redis, config), started };
}

describe('graceful shutdown', () => {
  it('close() stops taking work and lets the active job finish', async () => {
    const { workers, queues, started } = await slowTriageWorker('graceful', 10, 600, { finished: true });
    await queues.triage.add('triage', { caseId: 'case-a' } as unknown as TriageJobData, { jobId: 'triage-case-a' });
    await queues.triage.add('triage', { caseId: 'case-b' } as unknown as TriageJobData, { jobId: 'triage-case-b', delay: 200 });
    await started;
    await workers.close();
    const first = await queues.triage.getJob('triage-case-a');
    expect(await first!.getState()).toBe('completed');
    expect(first!.returnvalue).toEqual({ finished: true });
    // The second job was not taken after close began.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const state = await (await queues.triage.getJob('triage-case-b'))!.getState();
    expect(['waiting', 'delayed']).toContain(state);
    await queues.close();
  });

  it('a job longer than the grace period is handed back: close() returns within the grace period', async () => {
    const { workers, queues, started } = await slowTriageWorker('handback', 1, 4000, {});
    await queues.triage.add('triage', { caseId: 'case-c' } as unknown as TriageJobData, { jobId: 'triage-case-c' });
    await started;
    const t0 = Date.now();
    await workers.close();
    expect(Date.now() - t0).toBeLessThan(2500);
    const state = await (await queues.triage.getJob('triage-case-c'))!.getState();
    expect(state).not.toBe('completed'); // still active: its lock lapses and the stalled check re-queues it
    await queues.close();
  });
});
