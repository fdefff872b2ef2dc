// Authentication of the webhook and the API: every failure is a 401 that queues nothing.
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { buildServer, type HivewatchServer } from '../../workers/api/server.js';
import { BASIC, cleanup, connect, HMAC_KEY, HMAC_KEY_OLD, nestedAlert, testConfig, TOKEN, TOKEN_OLD, uniquePrefix } from './helpers.js';

const prefix = uniquePrefix('auth');
let redis: Redis;
let app: HivewatchServer;
/** The same deployment after rotation finished: the old token and HMAC key are gone from the config. */
let rotated: HivewatchServer;

beforeAll(async () => {
  redis = await connect();
  app = await buildServer({ config: testConfig(prefix), redis, logger: false });
  rotated = await buildServer({
    config: testConfig(prefix, { auth: { bearerTokens: [TOKEN], basicUsers: [BASIC], hmacKeys: [HMAC_KEY] } }),
    redis,
    logger: false,
  });
});

afterAll(async () => {
  for (const server of [app, rotated]) {
    await server.close();
    await server.hivewatch.queues.close();
  }
  await cleanup(redis, prefix);
  await redis.quit();
});

/** Signs as the documented contract says: hex HMAC-SHA256 of `<timestamp>.<nonce>.` + raw body. */
function hmacHeaders(body: string, key = HMAC_KEY, options: { timestamp?: number; nonce?: string; keyId?: boolean } = {}) {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomBytes(12).toString('hex');
  const signature = createHmac('sha256', key.secret).update(`${timestamp}.${nonce}.${body}`).digest('hex');
  return {
    'x-hivewatch-timestamp': timestamp,
    'x-hivewatch-nonce': nonce,
    'x-hivewatch-signature': `sha256=${signature}`,
    ...(options.keyId === false ? {} : { 'x-hivewatch-key-id': key.id }),
  };
}

async function waitingCount(server: HivewatchServer): Promise<number> {
  return server.hivewatch.queues.alerts.getJobCountByTypes('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
}

async function send(server: HivewatchServer, headers: Record<string, string>, body = JSON.stringify(nestedAlert())) {
  return server.inject({ method: 'POST', url: '/v1/alerts/elastic', headers: { 'content-type': 'application/json', ...headers }, payload: body });
}

/** Expects 401 with the code, and that nothing was queued. */
async function expectRefused(server: HivewatchServer, headers: Record<string, string>, code: string, body?: string) {
  const before = await waitingCount(server);
  const res = await send(server, headers, body);
  expect(res.statusCode).toBe(401);
  expect(res.json().error.code).toBe(code);
  expect(res.headers['www-authenticate']).toContain('Bearer');
  expect(await waitingCount(server)).toBe(before);
  return res;
}

describe('bearer, API key and Basic', () => {
  it('accepts a valid bearer token, an X-API-Key and Basic credentials', async () => {
    expect((await send(app, { authorization: `Bearer ${TOKEN}` })).statusCode).toBe(202);
    expect((await send(app, { 'x-api-key': TOKEN })).statusCode).toBe(202);
    const basic = Buffer.from(`${BASIC.user}:${BASIC.password}`).toString('base64');
    expect((await send(app, { authorization: `Basic ${basic}` })).statusCode).toBe(202);
  });

  it('refuses missing credentials', async () => {
    const res = await expectRefused(app, {}, 'HW_ERR_AUTH_MISSING');
    expect(res.json().error.message).toContain('Authorization');
  });

  it('refuses a wrong token, a wrong password, an unknown user, an unknown scheme', async () => {
    await expectRefused(app, { authorization: `Bearer ${TOKEN}x` }, 'HW_ERR_AUTH_INVALID');
    await expectRefused(app, { authorization: 'Bearer ' }, 'HW_ERR_AUTH_INVALID');
    await expectRefused(app, { 'x-api-key': 'nope' }, 'HW_ERR_AUTH_INVALID');
    await expectRefused(app, { authorization: `Basic ${Buffer.from(`${BASIC.user}:wrong`).toString('base64')}` }, 'HW_ERR_AUTH_INVALID');
    await expectRefused(app, { authorization: `Basic ${Buffer.from(`mallory:${BASIC.password}`).toString('base64')}` }, 'HW_ERR_AUTH_INVALID');
    await expectRefused(app, { authorization: `Digest ${TOKEN}` }, 'HW_ERR_AUTH_SCHEME');
  });

  it('rotation: both tokens work while both are configured; the retired one is refused afterwards', async () => {
    expect((await send(app, { authorization: `Bearer ${TOKEN_OLD}` })).statusCode).toBe(202);
    expect((await send(rotated, { authorization: `Bearer ${TOKEN}` })).statusCode).toBe(202);
    await expectRefused(rotated, { authorization: `Bearer ${TOKEN_OLD}` }, 'HW_ERR_AUTH_INVALID');
  });

  it('the error never echoes the presented secret', async () => {
    const res = await send(app, { authorization: 'Bearer very-secret-guess-123' });
    expect(res.body).not.toContain('very-secret-guess-123');
  });
});

describe('HMAC signature', () => {
  it('accepts a correctly signed body, with or without the key id', async () => {
    const body = JSON.stringify(nestedAlert());
    expect((await send(app, hmacHeaders(body), body)).statusCode).toBe(202);
    const other = JSON.stringify(nestedAlert());
    expect((await send(app, hmacHeaders(other, HMAC_KEY, { keyId: false }), other)).statusCode).toBe(202);
  });

  it('refuses a wrong signature and a body changed after signing', async () => {
    const body = JSON.stringify(nestedAlert());
    await expectRefused(app, hmacHeaders(body, { id: HMAC_KEY.id, secret: 'not-the-key-000000' }), 'HW_ERR_AUTH_INVALID', body);
    const tampered = body.replace('reg.exe', 'reG.exe');
    await expectRefused(app, hmacHeaders(body), 'HW_ERR_AUTH_INVALID', tampered);
  });

  it('refuses an expired (or future) timestamp outside the 5-minute window', async () => {
    const body = JSON.stringify(nestedAlert());
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(app, hmacHeaders(body, HMAC_KEY, { timestamp: now - 301 }), 'HW_ERR_AUTH_EXPIRED', body);
    await expectRefused(app, hmacHeaders(body, HMAC_KEY, { timestamp: now + 301 }), 'HW_ERR_AUTH_EXPIRED', body);
    // Inside the window still works.
    expect((await send(app, hmacHeaders(body, HMAC_KEY, { timestamp: now - 240 }), body)).statusCode).toBe(202);
  });

  it('refuses a replayed nonce, even across API processes (the nonce is in Redis)', async () => {
    const body = JSON.stringify(nestedAlert());
    const headers = hmacHeaders(body);
    expect((await send(app, headers, body)).statusCode).toBe(202);
    await expectRefused(app, headers, 'HW_ERR_AUTH_REPLAY', body);
    await expectRefused(rotated, headers, 'HW_ERR_AUTH_REPLAY', body);
  });

  it('a forged request does not burn the nonce of a genuine one', async () => {
    const body = JSON.stringify(nestedAlert());
    const nonce = randomBytes(12).toString('hex');
    await expectRefused(app, hmacHeaders(body, { id: HMAC_KEY.id, secret: 'forger-key-0000000' }, { nonce }), 'HW_ERR_AUTH_INVALID', body);
    expect((await send(app, hmacHeaders(body, HMAC_KEY, { nonce }), body)).statusCode).toBe(202);
  });

  it('refuses malformed timestamp and nonce headers', async () => {
    const body = JSON.stringify(nestedAlert());
    await expectRefused(app, { ...hmacHeaders(body), 'x-hivewatch-timestamp': 'yesterday' }, 'HW_ERR_AUTH_HMAC_TIMESTAMP', body);
    await expectRefused(app, { ...hmacHeaders(body), 'x-hivewatch-nonce': 'x' }, 'HW_ERR_AUTH_HMAC_NONCE', body);
  });

  it('rotation: the old key works while active and is refused once retired', async () => {
    const body = JSON.stringify(nestedAlert());
    expect((await send(app, hmacHeaders(body, HMAC_KEY_OLD), body)).statusCode).toBe(202);
    const next = JSON.stringify(nestedAlert());
    await expectRefused(rotated, hmacHeaders(next, HMAC_KEY_OLD), 'HW_ERR_AUTH_INVALID', next);
    await expectRefused(rotated, hmacHeaders(next, HMAC_KEY_OLD, { keyId: false }), 'HW_ERR_AUTH_INVALID', next);
  });
});

describe('the read API needs credentials too', () => {
  it('GET /v1/cases is 401 without credentials and 200 with them', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/cases' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v1/cases', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(200);
    const signed = hmacHeaders('');
    expect((await app.inject({ method: 'GET', url: '/v1/cases', headers: signed })).statusCode).toBe(200);
  });
});
