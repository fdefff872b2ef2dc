// The shared HTTP layer against a real fake server on 127.0.0.1: retries, vendor rate-limit headers,
// timeouts, dropped connections, the breaker, token refresh, redaction, pagination and key stores.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ActionLedger,
  CircuitBreaker,
  ConnectorError,
  FileKeyStore,
  HttpClient,
  MemoryKeyStore,
  RedisKeyStore,
  TokenCache,
  bearerAuth,
  clientCredentialsGrant,
  collectPages,
  connectorMetrics,
  crowdstrikeRetryPolicy,
  cursorPage,
  elasticRetryPolicy,
  microsoftRetryPolicy,
  offsetPage,
  parseRetryAfter,
  redact,
  searchAfterPage,
  sentinelOneRetryPolicy,
  staticHeaderAuth,
  vendorBreaker,
} from '../../connectors/http/index.js';
import type { ActionStatus } from '../../connectors/types.js';
import { FakeServer, ManualClock } from '../fakes/harness.js';

let server: FakeServer;
let clock: ManualClock;
let base: string;

function client(extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}): HttpClient {
  return new HttpClient({ vendor: 'testvendor', baseURL: base, clock, breaker: new CircuitBreaker({ clock, failureThreshold: 3, cooldownMs: 10_000 }), ...extra });
}

beforeEach(async () => {
  clock = new ManualClock();
  server = new FakeServer({ clock });
  server.route('GET', '/ok', () => ({ status: 200, body: { ok: true } }));
  server.route('POST', '/write', () => ({ status: 202, body: { accepted: true } }));
  server.route('GET', '/secret-error', (req) => ({ status: 400, body: { message: `bad value, you sent ${req.headers.authorization}` } }));
  base = await server.start();
});

afterEach(async () => {
  await server.stop();
});

describe('retries', () => {
  it('retries a 5xx on a GET with full-jitter backoff and then succeeds', async () => {
    server.fault('GET', '/ok', { status: 503, times: 2, body: { error: { type: 'es_rejected_execution_exception', reason: 'busy' } } });
    const http = client({ retryPolicy: elasticRetryPolicy({ random: () => 0.5 }) });
    const res = await http.request({ operation: 'probe', method: 'GET', url: '/ok' });
    expect(res.data).toEqual({ ok: true });
    expect(server.calls('GET', '/ok')).toBe(3);
    // full jitter at random=0.5: 0.5 * 500 then 0.5 * 1000
    expect(clock.sleeps).toEqual([250, 500]);
  });

  it('does not retry a 500 on a non-idempotent write, but does retry its 429', async () => {
    server.fault('POST', '/write', { status: 500, body: { message: 'boom' } });
    const http = client({ retryPolicy: elasticRetryPolicy({ random: () => 0 }) });
    await expect(http.request({ operation: 'write', method: 'POST', url: '/write', data: {} })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_VENDOR_ERROR', status: 500 });
    expect(server.calls('POST', '/write')).toBe(1);
    server.fault('POST', '/write', { status: 429, body: { error: { type: 'es_rejected_execution_exception', reason: 'queue full' } } });
    const res = await http.request({ operation: 'write', method: 'POST', url: '/write', data: {} });
    expect(res.status).toBe(202);
    expect(server.calls('POST', '/write')).toBe(3);
  });

  it('honours CrowdStrike X-Ratelimit-Retryafter as epoch seconds', async () => {
    server.fault('GET', '/ok', {
      status: 429,
      headers: (now) => ({ 'X-Ratelimit-Retryafter': String(Math.floor(now / 1000) + 7), 'X-Ratelimit-Remaining': '0' }),
      body: { errors: [{ code: 429, message: 'API rate limit exceeded.' }] },
    });
    const http = client({ retryPolicy: crowdstrikeRetryPolicy() });
    await http.request({ operation: 'probe', method: 'GET', url: '/ok' });
    expect(clock.sleeps).toHaveLength(1);
    // the clock starts on a whole second, so the wait is exactly 7 s
    expect(clock.sleeps[0]).toBe(7000);
  });

  it('honours Microsoft Retry-After in delta seconds and as an HTTP-date', async () => {
    server.fault('GET', '/ok', { status: 429, headers: { 'Retry-After': '3' }, body: { error: { code: 'TooManyRequests', message: 'quota' } } });
    server.fault('GET', '/ok', { status: 429, headers: (now) => ({ 'Retry-After': new Date(now + 5000).toUTCString() }) });
    const http = client({ retryPolicy: microsoftRetryPolicy() });
    await http.request({ operation: 'probe', method: 'GET', url: '/ok' });
    expect(clock.sleeps).toEqual([3000, 5000]);
    expect(parseRetryAfter('garbage', 0)).toBeUndefined();
  });

  it('uses SentinelOne Retry-After when present, else a 5 s-based backoff', async () => {
    server.fault('GET', '/ok', { status: 429, headers: { 'Retry-After': '2' } });
    server.fault('GET', '/ok', { status: 429 });
    const http = client({ retryPolicy: sentinelOneRetryPolicy({ random: () => 0.999 }) });
    await http.request({ operation: 'probe', method: 'GET', url: '/ok' });
    expect(clock.sleeps[0]).toBe(2000);
    expect(clock.sleeps[1]).toBeGreaterThanOrEqual(9000); // attempt 2: up to 10 s
    expect(clock.sleeps[1]).toBeLessThan(10_000);
  });

  it('fails fast with RATE_LIMITED when the vendor asks for more than the maximum wait', async () => {
    server.fault('GET', '/ok', { status: 429, headers: (now) => ({ 'X-Ratelimit-Retryafter': String(Math.floor(now / 1000) + 600) }) });
    const http = client({ retryPolicy: crowdstrikeRetryPolicy(), maxWaitMs: 30_000 });
    const err = await http.request({ operation: 'probe', method: 'GET', url: '/ok' }).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err.code).toBe('HW_ERR_CONNECTOR_RATE_LIMITED');
    expect(err.vendor).toBe('testvendor');
    expect(err.operation).toBe('probe');
    expect(err.message).toMatch(/600 s/);
    expect(clock.sleeps).toEqual([]);
  });

  it('gives up after maxRetries with the last error', async () => {
    server.fault('GET', '/ok', { status: 502, times: Infinity });
    const http = client({ maxRetries: 2, retryPolicy: elasticRetryPolicy({ random: () => 0 }), breaker: new CircuitBreaker({ clock, failureThreshold: 100 }) });
    await expect(http.request({ operation: 'probe', method: 'GET', url: '/ok' })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_VENDOR_ERROR', status: 502 });
    expect(server.calls('GET', '/ok')).toBe(3);
  });
});

describe('metrics', () => {
  it('counts attempts by outcome, retries by reason and the time waited', async () => {
    const registry = new Registry();
    server.fault('GET', '/ok', { status: 429, headers: { 'Retry-After': '2' } });
    const http = client({ retryPolicy: microsoftRetryPolicy(), observer: connectorMetrics(registry) });
    await http.request({ operation: 'probe', method: 'GET', url: '/ok' });
    const text = await registry.metrics();
    expect(text).toContain('hivewatch_vendor_requests_total{vendor="testvendor",outcome="429"} 1');
    expect(text).toContain('hivewatch_vendor_requests_total{vendor="testvendor",outcome="200"} 1');
    expect(text).toContain('hivewatch_vendor_retries_total{vendor="testvendor",reason="429"} 1');
    expect(text).toContain('hivewatch_vendor_retry_wait_seconds_total{vendor="testvendor"} 2');
  });

  it('reports the breaker state per vendor: closed, then open after repeated 5xx', async () => {
    const registry = new Registry();
    const observer = connectorMetrics(registry);
    const http = client({ maxRetries: 0, observer, breaker: new CircuitBreaker({ clock, failureThreshold: 2, cooldownMs: 60_000 }) });
    await http.request({ operation: 'probe', method: 'GET', url: '/ok' });
    expect(await registry.metrics()).toContain('hivewatch_vendor_breaker_state{vendor="testvendor"} 0');
    server.fault('GET', '/ok', { status: 503, times: Infinity });
    for (let i = 0; i < 2; i++) await expect(http.request({ operation: 'probe', method: 'GET', url: '/ok' })).rejects.toMatchObject({ status: 503 });
    const text = await registry.metrics();
    expect(text).toContain('hivewatch_vendor_breaker_state{vendor="testvendor"} 2');
    await expect(http.request({ operation: 'probe', method: 'GET', url: '/ok' })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_CIRCUIT_OPEN' });
    expect(await registry.metrics()).toContain('hivewatch_vendor_requests_total{vendor="testvendor",outcome="circuit_open"} 1');
  });
});

describe('timeouts and dropped connections', () => {
  it('times out a slow answer and retries it', async () => {
    server.fault('GET', '/ok', { latencyMs: 1500 });
    const http = client({ timeoutMs: 400, retryPolicy: elasticRetryPolicy({ random: () => 0 }) });
    const started = Date.now();
    const res = await http.request({ operation: 'probe', method: 'GET', url: '/ok' });
    expect(res.data).toEqual({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(http.stats.retries).toBe(1);
  });

  it('reports HW_ERR_CONNECTOR_TIMEOUT once retries are spent', async () => {
    server.fault('GET', '/ok', { latencyMs: 300, times: Infinity });
    const http = client({ timeoutMs: 50, maxRetries: 1, retryPolicy: elasticRetryPolicy({ random: () => 0 }) });
    await expect(http.request({ operation: 'probe', method: 'GET', url: '/ok' })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_TIMEOUT', vendor: 'testvendor', operation: 'probe' });
  });

  it('retries a dropped connection on a read', async () => {
    server.fault('GET', '/ok', { drop: true });
    const http = client({ retryPolicy: elasticRetryPolicy({ random: () => 0 }) });
    const res = await http.request({ operation: 'probe', method: 'GET', url: '/ok' });
    expect(res.status).toBe(200);
    expect(server.calls('GET', '/ok')).toBe(2);
  });

  it('does not repeat a write whose connection dropped (it may have been applied)', async () => {
    server.fault('POST', '/write', { drop: true });
    const http = client();
    await expect(http.request({ operation: 'write', method: 'POST', url: '/write', data: {} })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_UNREACHABLE' });
    expect(server.calls('POST', '/write')).toBe(1);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, fails fast, then recovers through half-open', async () => {
    server.fault('GET', '/ok', { status: 500, times: 3 });
    const breaker = new CircuitBreaker({ clock, failureThreshold: 3, cooldownMs: 10_000 });
    const http = client({ maxRetries: 0, breaker });
    for (let i = 0; i < 3; i++) await expect(http.request({ operation: 'probe', method: 'GET', url: '/ok' })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_VENDOR_ERROR' });
    expect(breaker.state).toBe('open');
    await expect(http.request({ operation: 'probe', method: 'GET', url: '/ok' })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_CIRCUIT_OPEN' });
    expect(server.calls('GET', '/ok')).toBe(3); // the open breaker never reached the vendor
    clock.advance(10_000);
    expect(breaker.state).toBe('half-open');
    const res = await http.request({ operation: 'probe', method: 'GET', url: '/ok' });
    expect(res.status).toBe(200);
    expect(breaker.state).toBe('closed');
  });

  it('re-opens when the half-open trial fails, and admits one trial at a time', async () => {
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, cooldownMs: 1000 });
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    clock.advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    expect(breaker.retryInMs).toBe(1000);
  });

  it('does not count 4xx or 429 as vendor failures', async () => {
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1 });
    const http = client({ breaker, maxRetries: 0 });
    await expect(http.request({ operation: 'probe', method: 'GET', url: '/missing' })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_NOT_FOUND' });
    expect(breaker.state).toBe('closed');
  });
});

describe('tokens', () => {
  function tokenServer(expiresIn: number): void {
    server.route('POST', '/oauth2/token', (req) => {
      if (req.body?.client_secret !== 's3cr3t-value') return { status: 401, body: { errors: [{ code: 401, message: 'access denied, invalid client' }] } };
      return { status: 201, body: { access_token: server.nextId('tok'), token_type: 'bearer', expires_in: expiresIn } };
    });
    server.route('GET', '/needs-token', (req) => {
      const latest = `Bearer tok-${String(server.calls('POST', '/oauth2/token')).padStart(4, '0')}`;
      return req.headers.authorization === latest ? { status: 200, body: { who: req.headers.authorization } } : { status: 401, body: { errors: [{ code: 401, message: 'access denied, authorization failed' }] } };
    });
  }

  it('caches a token, refreshes it at 80 % of its life, and single-flights concurrent refreshes', async () => {
    tokenServer(100);
    const raw = client();
    const cache = new TokenCache(clientCredentialsGrant(raw, { tokenUrl: '/oauth2/token', clientId: 'cid', clientSecret: 's3cr3t-value' }), { clock });
    const http = client({ auth: bearerAuth(cache, ['s3cr3t-value']) });
    await Promise.all(Array.from({ length: 5 }, () => http.request({ operation: 'read', method: 'GET', url: '/needs-token' })));
    expect(server.calls('POST', '/oauth2/token')).toBe(1);
    clock.advance(79_000);
    await http.request({ operation: 'read', method: 'GET', url: '/needs-token' });
    expect(server.calls('POST', '/oauth2/token')).toBe(1);
    clock.advance(2_000);
    const res = await http.request<{ who: string }>({ operation: 'read', method: 'GET', url: '/needs-token' });
    expect(server.calls('POST', '/oauth2/token')).toBe(2);
    expect(res.data.who).toBe('Bearer tok-0002');
    const form = server.requests('POST', '/oauth2/token')[0]!;
    expect(form.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(form.body).toMatchObject({ grant_type: 'client_credentials', client_id: 'cid' });
  });

  it('re-authenticates once on a 401 and then succeeds', async () => {
    tokenServer(1800);
    const raw = client();
    const cache = new TokenCache(clientCredentialsGrant(raw, { tokenUrl: '/oauth2/token', clientId: 'cid', clientSecret: 's3cr3t-value' }), { clock });
    const http = client({ auth: bearerAuth(cache) });
    await http.request({ operation: 'read', method: 'GET', url: '/needs-token' });
    server.fault('GET', '/needs-token', { status: 401, body: { errors: [{ code: 401, message: 'token expired' }] } });
    await http.request({ operation: 'read', method: 'GET', url: '/needs-token' });
    expect(server.calls('POST', '/oauth2/token')).toBe(2);
    expect(http.stats.reauths).toBe(1);
  });

  it('stops after one re-auth when the vendor keeps answering 401', async () => {
    tokenServer(1800);
    server.fault('GET', '/needs-token', { status: 401, times: Infinity, body: { errors: [{ code: 401, message: 'denied' }] } });
    const raw = client();
    const cache = new TokenCache(clientCredentialsGrant(raw, { tokenUrl: '/oauth2/token', clientId: 'cid', clientSecret: 's3cr3t-value' }), { clock });
    const http = client({ auth: bearerAuth(cache) });
    await expect(http.request({ operation: 'read', method: 'GET', url: '/needs-token' })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_UNAUTHORIZED' });
    expect(server.calls('GET', '/needs-token')).toBe(2);
  });

  it('maps a refused client secret to HW_ERR_CONNECTOR_AUTH without quoting the secret', async () => {
    tokenServer(1800);
    const raw = client();
    const cache = new TokenCache(clientCredentialsGrant(raw, { tokenUrl: '/oauth2/token', clientId: 'cid', clientSecret: 'wrong-secret-123' }), { clock });
    const err = await cache.get().catch((e) => e);
    expect(err.code).toBe('HW_ERR_CONNECTOR_AUTH');
    expect(err.message).not.toContain('wrong-secret-123');
    expect(err.message).toMatch(/clientSecret/);
  });
});

describe('redaction', () => {
  it('never puts the API key or its header in an error message, even when the vendor echoes it', async () => {
    const http = client({ auth: staticHeaderAuth('Authorization', 'ApiKey QUJDREVGOnN1cGVyc2VjcmV0a2V5') });
    const err = await http.request({ operation: 'probe', method: 'GET', url: '/secret-error' }).catch((e) => e);
    expect(err.code).toBe('HW_ERR_CONNECTOR_BAD_REQUEST');
    expect(err.message).not.toContain('QUJDREVGOnN1cGVyc2VjcmV0a2V5');
    expect(err.message).toContain('[REDACTED]');
    expect(JSON.stringify(err)).not.toContain('QUJDREVGOnN1cGVyc2VjcmV0a2V5');
  });

  it('masks credential shapes in arbitrary text', () => {
    const text = 'Authorization: Bearer abc.def.ghi client_secret=hunter22&x=1 {"access_token":"zzzzzz"} eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig';
    const out = redact(text, ['hunter22']);
    expect(out).not.toMatch(/abc\.def|hunter22|zzzzzz|eyJhbGci/);
  });
});

describe('absolute URLs', () => {
  it('follows a nextLink on the same host, and refuses one on another host (it would get our token)', async () => {
    const http = client({ auth: staticHeaderAuth('Authorization', 'ApiToken abcdef123456') });
    expect((await http.request({ operation: 'page', method: 'GET', url: `${base}/ok` })).status).toBe(200);
    await expect(http.request({ operation: 'page', method: 'GET', url: 'https://evil.example/ok' })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_BAD_RESPONSE', message: expect.stringMatching(/evil\.example/) });
    expect(server.calls('GET', '/ok')).toBe(1);
  });
});

describe('pagination helpers', () => {
  it('walks search_after, offset, cursor and stops at limits', async () => {
    const data = Array.from({ length: 25 }, (_, i) => ({ n: i, sort: [i] }));
    const sa = await collectPages<{ n: number; sort: number[] }, unknown[]>(async (after) => {
      const from = after ? (after[0] as number) + 1 : 0;
      return searchAfterPage(data.slice(from, from + 10), 10);
    });
    expect(sa.items.map((x) => x.n)).toEqual(data.map((x) => x.n));
    expect(sa.pages).toBe(3);
    const off = await collectPages<number, number>(async (o) => offsetPage(data.slice(o ?? 0, (o ?? 0) + 7).map((x) => x.n), o ?? 0, 25));
    expect(off.items).toHaveLength(25);
    const cur = await collectPages<number, string>(async (c) => {
      const i = c ? Number(c) : 0;
      return cursorPage(data.slice(i, i + 10).map((x) => x.n), i + 10 < 25 ? String(i + 10) : null);
    }, { maxPages: 2 });
    expect(cur.items).toHaveLength(20);
    expect(cur.truncated).toBe(true);
  });
});

describe('idempotency key stores', () => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  const hashKey = `hwtest:http:${Math.random().toString(36).slice(2)}:keys`;
  let dir = '';

  afterAll(async () => {
    await redis.del(hashKey).catch(() => undefined);
    redis.disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function exercise(makeStore: () => Promise<import('../../connectors/http/index.js').ActionKeyStore>): Promise<void> {
    let vendorCalls = 0;
    const start = async (): Promise<ActionStatus> => ({ actionId: `act-${++vendorCalls}`, kind: 'isolate_host', state: 'pending', vendor: 'v' });
    const poll = async (actionId: string): Promise<ActionStatus> => ({ actionId, kind: 'isolate_host', state: 'done', vendor: 'v' });
    const req = { kind: 'isolate_host' as const, idempotencyKey: 'k1', hostId: 'h1' };
    const first = await new ActionLedger('v', await makeStore()).run(req, start, poll);
    // a fresh ledger over the same store stands for a restarted process
    const ledger2 = new ActionLedger('v', await makeStore());
    const [a, b] = await Promise.all([ledger2.run(req, start, poll), ledger2.run(req, start, poll)]);
    expect(first).toMatchObject({ actionId: 'act-1', state: 'pending' });
    expect(a).toMatchObject({ actionId: 'act-1', state: 'done' });
    expect(b).toMatchObject({ actionId: 'act-1', state: 'done' });
    expect(vendorCalls).toBe(1);
    expect(await ledger2.find('k1', poll)).toMatchObject({ actionId: 'act-1' });
    expect(await ledger2.find('nope', poll)).toBeNull();
  }

  it('memory store (shared instance) keeps one action per key', async () => {
    const store = new MemoryKeyStore();
    await exercise(async () => store);
  });

  it('file store survives a restart', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hw-keys-'));
    await exercise(async () => new FileKeyStore(path.join(dir, 'keys.json')));
  });

  it('redis store survives a restart', async () => {
    await redis.connect();
    await exercise(async () => new RedisKeyStore(redis, hashKey));
  });
});

describe('vendorBreaker', () => {
  const opened = (breaker: CircuitBreaker, failures: number) => {
    for (let i = 0; i < failures; i++) breaker.onFailure();
    return breaker.state === 'open';
  };

  it('uses the breaker instance it is given', () => {
    const clock = new ManualClock();
    const given = new CircuitBreaker({ clock });
    expect(vendorBreaker({ breaker: given, breakerFailures: 1 }, clock)).toBe(given);
    expect(vendorBreaker({ breaker: given }, clock, 'testvendor|shared')).toBe(given);
  });

  it('builds its own breaker from the settings: 5 failures and 30 s by default, config values otherwise', () => {
    const clock = new ManualClock();
    const byDefault = vendorBreaker({}, clock);
    expect([byDefault.failureThreshold, byDefault.cooldownMs]).toEqual([5, 30_000]);
    expect(opened(byDefault, 4)).toBe(false);
    expect(opened(byDefault, 1)).toBe(true);
    clock.advance(30_000);
    expect(byDefault.state).toBe('half-open');
    const configured = vendorBreaker({ breakerFailures: 2, breakerCooldownMs: 1_000 }, clock);
    expect([configured.failureThreshold, configured.cooldownMs]).toEqual([2, 1_000]);
    expect(vendorBreaker({ breakerFailures: 2, breaker: { failureThreshold: 7 } }, clock).failureThreshold).toBe(7);
    expect(vendorBreaker({}, clock)).not.toBe(vendorBreaker({}, clock));
  });

  it('shares one breaker per key across connector instances', () => {
    const clock = new ManualClock();
    const key = `testvendor|tenant-${Math.random()}`;
    const first = vendorBreaker({ breakerFailures: 1 }, clock, key);
    expect(vendorBreaker({}, clock, key)).toBe(first);
    expect(vendorBreaker({}, clock, `${key}-other`)).not.toBe(first);
    first.onFailure();
    expect(vendorBreaker({}, clock, key).state).toBe('open');
  });
});
