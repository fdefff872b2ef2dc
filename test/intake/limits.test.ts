// Per-source rate limit (429 + Retry-After, counted in Redis so every API process shares it) and Redis outages
// (503, nothing acknowledged).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { buildServer, type HivewatchServer } from '../../workers/api/server.js';
import { createRedis } from '../../workers/redis.js';
import { BASIC, cleanup, connect, nestedAlert, testConfig, TOKEN, TOKEN_OLD, uniquePrefix } from './helpers.js';

const prefix = uniquePrefix('limits');
let redis: Redis;
let app: HivewatchServer;
let second: HivewatchServer;

beforeAll(async () => {
  redis = await connect();
  const config = testConfig(prefix, { rateLimit: { max: 3, windowMs: 60_000 } });
  // A fixed clock keeps the test inside one rate-limit window.
  const now = () => 1_800_000_000_000 + 30_000;
  app = await buildServer({ config, redis, logger: false, now });
  second = await buildServer({ config, redis, logger: false, now });
});

afterAll(async () => {
  for (const server of [app, second]) {
    await server.close();
    await server.hivewatch.queues.close();
  }
  await cleanup(redis, prefix);
  await redis.quit();
});

const send = (server: HivewatchServer, authorization: string) =>
  server.inject({ method: 'POST', url: '/v1/alerts/elastic', headers: { authorization, 'content-type': 'application/json' }, payload: JSON.stringify(nestedAlert()) });

describe('rate limit', () => {
  it('the 4th request of a source in the window is 429 with Retry-After; other sources are unaffected', async () => {
    const a = `Bearer ${TOKEN}`;
    expect((await send(app, a)).statusCode).toBe(202);
    expect((await send(second, a)).statusCode).toBe(202); // shared across API processes
    const third = await send(app, a);
    expect(third.statusCode).toBe(202);
    expect(third.headers['ratelimit-remaining']).toBe('0');
    const waiting = await app.hivewatch.queues.alerts.getJobCountByTypes('waiting');
    const limited = await send(app, a);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('HW_ERR_RATE_LIMITED');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBe(30);
    expect(await app.hivewatch.queues.alerts.getJobCountByTypes('waiting')).toBe(waiting);

    expect((await send(app, `Bearer ${TOKEN_OLD}`)).statusCode).toBe(202);
    const basic = `Basic ${Buffer.from(`${BASIC.user}:${BASIC.password}`).toString('base64')}`;
    expect((await send(second, basic)).statusCode).toBe(202);
  });
});

describe('Redis outage', () => {
  it('answers 503 with Retry-After and stores nothing when Redis is unreachable', async () => {
    const dead = createRedis('redis://127.0.0.1:1', 'producer', 'hwtest-dead', { retryStrategy: () => null, lazyConnect: true });
    dead.on('error', () => undefined);
    const down = await buildServer({ config: testConfig(prefix), redis: dead, logger: false });
    const res = await send(down, `Bearer ${TOKEN}`);
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('HW_ERR_REDIS_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
    const ready = await down.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false, redis: { reachable: false } });
    await down.close();
    dead.disconnect();
  });
});
