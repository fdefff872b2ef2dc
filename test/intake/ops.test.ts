// Operations surface: health, readiness, Prometheus metrics, OpenAPI, Bull Board behind admin credentials,
// plugin routes reusing authentication, the Redis durability check, and log redaction.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { buildServer, type HivewatchServer, type ServerPlugin } from '../../workers/api/server.js';
import { startHeartbeat } from '../../workers/heartbeat.js';
import { createLogger } from '../../workers/logger.js';
import { ADMIT_COMMAND } from '../../workers/cases/scripts.js';
import { checkDurability, MIN_REDIS_VERSION, redisVersionProblem, requireRedisVersion } from '../../workers/redis.js';
import { ADMIN, bearer, cleanup, connect, nestedAlert, testConfig, TOKEN, uniquePrefix } from './helpers.js';
import { z } from 'zod';

const prefix = uniquePrefix('ops');
let redis: Redis;
let app: HivewatchServer;

const echoPlugin: ServerPlugin = {
  name: 'echo',
  prefix: '/v1/test',
  openapi: { paths: { '/v1/test/whoami': { get: { summary: 'who am I', responses: { '200': { description: 'principal' } } } } }, schemas: { Whoami: z.object({ id: z.string() }) } },
  plugin: async (scope) => {
    scope.get('/whoami', { preHandler: [scope.authenticate] }, async (request) => ({ principal: request.principal }));
    scope.post('/echo', { preHandler: [scope.authenticate] }, async (request) => ({ body: request.body, raw: request.rawBody?.length }));
  },
};

beforeAll(async () => {
  redis = await connect();
  app = await buildServer({ config: testConfig(prefix), redis, logger: false, plugins: [echoPlugin] });
});

afterAll(async () => {
  await app.close();
  await app.hivewatch.queues.close();
  await cleanup(redis, prefix);
  await redis.quit();
});

describe('health and readiness', () => {
  it('/healthz is 200 without credentials', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz is 503 until a worker heartbeat is seen, then 200', async () => {
    const before = await app.inject({ method: 'GET', url: '/readyz' });
    expect(before.statusCode).toBe(503);
    expect(before.json()).toMatchObject({ ready: false, redis: { reachable: true }, workers: { seen: false, count: 0 } });
    const beat = startHeartbeat(redis, app.hivewatch.config.redis.prefix, 'test-worker', 10);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await app.inject({ method: 'GET', url: '/readyz' });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject({ ready: true, workers: { seen: true, count: 1 } });
    await beat.stop();
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
  });
});

describe('metrics', () => {
  it('counts alerts by outcome, reports queue depth and HTTP latency', async () => {
    const alert = nestedAlert();
    const post = (payload: unknown) =>
      app.inject({ method: 'POST', url: '/v1/alerts/elastic', headers: { ...bearer, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    await post([alert, alert, { host: { id: 'x' } }]);
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('hivewatch_alerts_total{outcome="queued"} 1');
    expect(res.body).toContain('hivewatch_alerts_total{outcome="duplicate"} 1');
    expect(res.body).toContain('hivewatch_alerts_total{outcome="rejected"} 1');
    expect(res.body).toContain('hivewatch_queue_jobs{queue="alerts",state="waiting"} 1');
    expect(res.body).toMatch(/hivewatch_http_request_duration_seconds_count\{method="POST",route="\/v1\/alerts\/elastic",status="202"\} 1/);
    expect(res.body).toContain('hivewatch_job_latency_seconds');
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3 document generated from the zod schemas, with plugin paths', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/v1/alerts/elastic', '/v1/cases', '/v1/cases/{id}', '/healthz', '/readyz', '/metrics', '/v1/test/whoami']) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    const intake = doc.components.schemas.IntakeResponse;
    expect(intake.properties.results.items.properties.status.enum).toEqual(['queued', 'duplicate', 'rejected']);
    expect(doc.components.schemas.CaseDetail.properties.case.properties.status.enum).toContain('awaiting_approval');
    expect(doc.components.schemas.Whoami.properties.id.type).toBe('string');
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['bearerAuth', 'basicAuth', 'hmacSignature']));
    const statusParam = doc.paths['/v1/cases'].get.parameters.find((p: { name: string }) => p.name === 'status');
    expect(statusParam.schema.enum).toContain('triaged');
  });
});

describe('Bull Board', () => {
  it('is behind the admin credentials', async () => {
    expect((await app.inject({ method: 'GET', url: '/admin/queues' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/admin/queues', headers: bearer })).statusCode).toBe(401);
    const wrong = Buffer.from(`${ADMIN.user}:nope`).toString('base64');
    expect((await app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: `Basic ${wrong}` } })).statusCode).toBe(401);
    const basic = { authorization: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64')}` };
    const page = await app.inject({ method: 'GET', url: '/admin/queues', headers: basic });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const api = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: basic });
    expect(api.statusCode).toBe(200);
    expect(JSON.stringify(api.json())).toContain('alerts');
  });
});

describe('plugins', () => {
  it('plugin routes reuse authentication and see the principal and the raw body', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/test/whoami' })).statusCode).toBe(401);
    const res = await app.inject({ method: 'GET', url: '/v1/test/whoami', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.json().principal).toMatchObject({ method: 'bearer' });
    expect(res.json().principal.id).toMatch(/^token:[0-9a-f]{12}$/);
    expect(res.body).not.toContain(TOKEN);
    const echo = await app.inject({ method: 'POST', url: '/v1/test/echo', headers: { ...bearer, 'content-type': 'application/json' }, payload: '{"a":1}' });
    expect(echo.json()).toEqual({ body: { a: 1 }, raw: 7 });
    const bad = await app.inject({ method: 'POST', url: '/v1/test/echo', headers: { ...bearer, 'content-type': 'application/json' }, payload: '{"a":' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('HW_ERR_BODY_INVALID_JSON');
  });

  it('unknown routes are 404 with a code', async () => {
    const res = await app.inject({ method: 'GET', url: '/v2/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('HW_ERR_NOT_FOUND');
  });
});

describe('connections', () => {
  it('the queues have their own connection to the same Redis, which does not auto-pipeline; the API connection does, but for case admission', async () => {
    const queueConnection = app.hivewatch.queues.alerts.opts.connection as Redis;
    const hasBullScripts = (connection: Redis) => Object.keys(connection.scriptsSet).some((name) => name.startsWith('addStandardJob'));
    expect(queueConnection).not.toBe(redis);
    expect(queueConnection.options.enableAutoPipelining).toBe(false);
    expect(redis.options.enableAutoPipelining).toBe(true);
    // Case admission goes out at once: it would otherwise wait for the connection's pipeline in flight.
    expect(redis.options.autoPipeliningIgnoredCommands).toEqual([ADMIT_COMMAND]);
    // BullMQ's scripts are on the queue connection only: a pipeline of the API connection stays small.
    expect(hasBullScripts(queueConnection)).toBe(true);
    expect(hasBullScripts(redis)).toBe(false);
    expect(await queueConnection.ping()).toBe('PONG');
  });
});

describe('Redis durability check and logs', () => {
  it('reports the eviction policy and persistence of the real Redis, with a loud warning when unsafe', async () => {
    const warnings: string[] = [];
    const report = await checkDurability(redis, { warn: (_o, msg) => warnings.push(msg ?? ''), info: () => undefined });
    const [, policy] = (await redis.call('CONFIG', 'GET', 'maxmemory-policy')) as [string, string];
    expect(report.maxmemoryPolicy).toBe(policy);
    expect(report.evictionSafe).toBe(policy === 'noeviction');
    expect(warnings.some((w) => w.startsWith('IMPORTANT!'))).toBe(policy !== 'noeviction');
    expect(report.persistent).toBe(report.appendonly === 'yes' && ['everysec', 'always'].includes(report.appendfsync ?? ''));
  });

  it('refuses a Redis older than 7.0 by name and version; the real Redis passes', async () => {
    await expect(requireRedisVersion(redis)).resolves.toBeUndefined();
    expect(MIN_REDIS_VERSION).toBe('7.0.0');
    for (const ok of ['7.0.0', '7.0.15', '7.2.4', '8.0.1', '10.0.0']) expect(redisVersionProblem(ok), ok).toBeNull();
    for (const old of ['6.2.14', '6.0.0', '5.0.7', 'garbage']) expect(redisVersionProblem(old), old).toContain('is too old: hivewatch needs 7.0.0 or later');
    expect(redisVersionProblem('6.2.14', '10.0.0.5:7001')).toBe('Redis 6.2.14 on 10.0.0.5:7001 is too old: hivewatch needs 7.0.0 or later (case admission uses SET ... NX GET)');
    const fake = { info: async () => '# Server\r\nredis_version:6.2.14\r\nredis_mode:standalone\r\n' };
    await expect(requireRedisVersion(fake as unknown as Redis)).rejects.toThrow('HW_ERR_REDIS_VERSION: Redis 6.2.14 is too old');
  });

  it('flags a non-noeviction policy (stand-in Redis answering CONFIG GET)', async () => {
    const fake = { call: async (_c: string, _g: string, name: string) => [name, name === 'maxmemory-policy' ? 'allkeys-lru' : name === 'appendonly' ? 'yes' : 'everysec'] };
    const report = await checkDurability(fake as unknown as Redis);
    expect(report.evictionSafe).toBe(false);
    expect(report.persistent).toBe(true);
    expect(report.warnings[0]).toContain('IMPORTANT! Redis maxmemory-policy is "allkeys-lru"');
  });

  it('the logger redacts credentials in headers and secret-named fields', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: 'info' }, sink);
    logger.info(
      { req: { headers: { authorization: `Bearer ${TOKEN}`, 'x-hivewatch-signature': 'sha256=abc' } }, auth: { password: 'pw-1', token: 't-2' }, config: { auth: { bearerTokens: ['zz'] } } },
      'request',
    );
    const line = lines.join('');
    expect(line).toContain('"authorization":"***"');
    for (const secret of [TOKEN, 'sha256=abc', 'pw-1', 't-2', 'zz']) expect(line).not.toContain(secret);
  });
});
