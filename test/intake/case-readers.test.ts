// GET /v1/cases and /v1/cases/:id answer both kinds of caller: a SIEM sender with webhook credentials and a
// responder of any role (API token or trusted SSO header). Without either, 401 and no case data.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type HivewatchServer } from '../../workers/api/server.js';
import { BASIC, bearer, cleanup, connect, nestedAlert, testConfig, uniquePrefix } from './helpers.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const tokens = { vera: 'tok-vera-viewer-0123456789', alice: 'tok-alice-responder-0123456789', ghost: 'tok-ghost-unknown-0123456789' };
const proxySecret = 'proxy-secret-0123456789';
const prefix = uniquePrefix('case-readers');
let redis: Redis;
let app: HivewatchServer;
let caseId: string;

beforeAll(async () => {
  redis = await connect();
  const config = testConfig(prefix, {
    response: {
      identities: [
        { id: 'vera', role: 'viewer', tokenSha256: sha(tokens.vera) },
        { id: 'alice', role: 'responder', tokenSha256: sha(tokens.alice) },
        { id: 'sso-sam', role: 'viewer' },
      ],
      trustedHeader: { secretSha256: sha(proxySecret), allowedProxies: ['127.0.0.1'] },
    },
  });
  app = await buildServer({ config, redis, logger: false });
  const res = await app.inject({ method: 'POST', url: '/v1/alerts/elastic', headers: { ...bearer, 'content-type': 'application/json' }, payload: JSON.stringify(nestedAlert({ hostId: 'host-readers' })) });
  caseId = (res.json() as { results: { caseId: string }[] }).results[0]!.caseId;
  expect(caseId).toBeTruthy();
});

afterAll(async () => {
  await app.close();
  await app.hivewatch.queues.close();
  await cleanup(redis, prefix);
  await redis.quit();
});

const basic = { authorization: `Basic ${Buffer.from(`${BASIC.user}:${BASIC.password}`).toString('base64')}` };
const sso = (user: string, secret = proxySecret) => ({ 'x-forwarded-user': user, 'x-hivewatch-proxy-secret': secret });

async function read(headers: Record<string, string>) {
  const one = await app.inject({ method: 'GET', url: `/v1/cases/${caseId}`, headers, remoteAddress: '127.0.0.1' });
  const list = await app.inject({ method: 'GET', url: '/v1/cases?host.id=host-readers', headers, remoteAddress: '127.0.0.1' });
  return { one, list };
}

describe('case readers', () => {
  it.each([
    ['webhook bearer token', bearer],
    ['webhook HTTP Basic', basic],
    ['viewer API token', { authorization: `Bearer ${tokens.vera}` }],
    ['responder API token', { authorization: `Bearer ${tokens.alice}` }],
    ['trusted SSO header of a viewer', sso('sso-sam')],
  ])('%s reads the case and the list', async (_name, headers) => {
    const { one, list } = await read(headers);
    expect(one.statusCode).toBe(200);
    expect(one.json().case.id).toBe(caseId);
    expect(list.statusCode).toBe(200);
    expect((list.json() as { cases: { case: { id: string } }[] }).cases.map((c) => c.case.id)).toContain(caseId);
  });

  it.each([
    ['no credentials', {}, 'HW_ERR_AUTH_MISSING'],
    ['an unknown bearer token', { authorization: `Bearer ${tokens.ghost}` }, 'HW_ERR_AUTH_INVALID'],
    ['an SSO header with the wrong proxy secret', sso('sso-sam', 'not-the-secret-000'), 'HW_ERR_AUTH_MISSING'],
    ['an SSO header naming an unknown user', sso('mallory'), 'HW_ERR_AUTH_MISSING'],
  ])('%s gets 401 and no case data', async (_name, headers, code) => {
    const { one, list } = await read(headers as Record<string, string>);
    for (const res of [one, list]) {
      expect(res.statusCode).toBe(401);
      expect(res.json().code ?? res.json().error?.code).toBe(code);
      expect(res.body).not.toContain('host-readers');
    }
  });

  it('the SSO header from an address that is not an allowed proxy is refused', async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/cases/${caseId}`, headers: sso('sso-sam'), remoteAddress: '10.1.2.3' });
    expect(res.statusCode).toBe(401);
  });
});
