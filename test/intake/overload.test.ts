// Load shedding: when the event loop lags past http.maxEventLoopDelayMs, the webhook answers 503 with
// Retry-After and stores nothing; health and the case API still answer; intake resumes once the lag is gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { buildServer, type HivewatchServer } from '../../workers/api/server.js';
import { bearer, cleanup, connect, nestedAlert, testConfig, uniquePrefix } from './helpers.js';

const prefix = uniquePrefix('overload');
let redis: Redis;
let app: HivewatchServer;

beforeAll(async () => {
  redis = await connect();
  app = await buildServer({ config: testConfig(prefix, { http: { maxEventLoopDelayMs: 50 } }), redis, logger: false });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await app.hivewatch.queues.close();
  await cleanup(redis, prefix);
  await redis.quit();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const post = () => app.inject({ method: 'POST', url: '/v1/alerts/elastic', headers: { ...bearer, 'content-type': 'application/json' }, payload: JSON.stringify(nestedAlert()) });

/** Keeps the event loop lagging for `ms`, as a sustained CPU-bound burst would: 150 ms turns, one after another. */
async function lag(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const turn = Date.now() + 150;
    while (Date.now() < turn) {
      // busy
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('load shedding', () => {
  it('503 with Retry-After while the event loop lags; nothing stored; health still answers; then intake resumes', async () => {
    expect((await post()).statusCode).toBe(202);
    const waiting = await app.hivewatch.queues.alerts.getJobCountByTypes('waiting');
    await lag(1200); // spans two 500 ms samples
    const shed = await post();
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('5');
    expect(shed.json()).toEqual({ error: { code: 'HW_ERR_OVERLOADED', message: expect.stringMatching(/overloaded \(eventLoopDelay\); nothing was stored/) } });
    expect(await app.hivewatch.queues.alerts.getJobCountByTypes('waiting')).toBe(waiting);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/cases', headers: bearer })).statusCode).toBe(200);

    let resumed = 0;
    for (let i = 0; i < 20 && resumed !== 202; i++) {
      await sleep(250);
      resumed = (await post()).statusCode;
    }
    expect(resumed).toBe(202);
  });
});
