// A definite vendor refusal clears the write-ahead request mark with an `action.refused` record, so a
// legitimate resend goes out at once; an ambiguous failure keeps the mark, so the retry waits out the
// reconcile grace period instead of risking a second isolate. Real Redis, the Elastic fake's fault injection.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ElasticConnector } from '../../connectors/elastic/index.js';
import { ConnectorError } from '../../connectors/http/errors.js';
import { verifyAuditLog } from '../../workers/audit/verify.js';
import { parseResponseConfig } from '../../workers/response/config.js';
import { StepExecutor, StillPending } from '../../workers/response/executor.js';
import { definiteRefusal } from '../../workers/response/refusal.js';
import { ResponseService } from '../../workers/response/service.js';
import { ElasticFake } from '../fakes/elastic.js';
import type { Fault } from '../fakes/harness.js';
import { alice, harness, lena, report, stepOf, type Harness } from './helpers.js';

const ISOLATE = '/api/endpoint/action/isolate';
let fake: ElasticFake;
let fakeUrl: string;
let h: Harness | undefined;

beforeAll(async () => {
  fake = new ElasticFake();
  fakeUrl = await fake.start();
  fake.addEndpoint({ agentId: 'agent-1', hostId: 'host-1', hostName: 'WS-042' });
});

afterEach(async () => {
  fake.server.clearFaults();
  await h?.close();
  h = undefined;
});

afterAll(async () => {
  await fake.stop();
});

/** An approved isolate on a fresh connector (no breaker or ledger memory of other cases). */
async function approvedIsolate(caseId: string) {
  h ??= await harness();
  const t = h;
  fake.endpoints.get('agent-1')!.isolated = false;
  fake.server.completeAfterPolls = 1;
  const connector = new ElasticConnector({ elasticsearchUrl: fakeUrl, kibanaUrl: fakeUrl, apiKey: fake.apiKey, maxRetries: 0 });
  const config = parseResponseConfig({ pollIntervalMs: 10, pollAttempts: 3, reconcileGraceMs: 60_000 });
  const service = new ResponseService({ store: t.store, audit: t.audit, config, declarations: async () => connector.actions, now: t.clock.now });
  const executor = new StepExecutor({ store: t.store, audit: t.audit, config, service, connector: async () => connector, now: t.clock.now, sleep: async () => undefined });
  await service.proposePlan(caseId, report(caseId));
  const iso = await stepOf(t, caseId, 'isolate_host');
  await service.approve(caseId, iso.stepId, alice, iso.hash);
  await service.approve(caseId, iso.stepId, lena, iso.hash);
  return { t, iso, executor };
}

const posts = (): number => fake.server.requests('POST', ISOLATE).length;
const types = async (t: Harness, caseId: string): Promise<string[]> => (await t.audit.caseRecords(caseId)).map((r) => r.record.type);

describe('a definite refusal', () => {
  for (const status of [400, 403, 404, 422]) {
    it(`HTTP ${status} on the isolate: requestedAt is cleared with an action.refused record, the retry sends at once`, async () => {
      const caseId = `refused-${status}`;
      const { t, iso, executor } = await approvedIsolate(caseId);
      const before = posts();
      fake.server.fault('POST', ISOLATE, { status, body: { statusCode: status, error: 'Refused', message: 'endpoint policy refuses isolation' } });
      const err = await executor.run(caseId, iso.stepId, 1).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectorError);
      expect((err as ConnectorError).status).toBe(status);
      expect(posts()).toBe(before + 1);
      const cleared = await t.store.mustGet(caseId, iso.stepId);
      expect(cleared).toMatchObject({ state: 'running', actionId: null, requestedAt: null });
      const refused = (await t.audit.caseRecords(caseId)).map((r) => r.record).filter((r) => r.type === 'action.refused');
      expect(refused).toHaveLength(1);
      expect(refused[0]!.data).toMatchObject({ stepId: iso.stepId, attempt: 1, status, idempotencyKey: `hw-${caseId}-${iso.stepId}-a1` });

      // No time passes (the fake clock stands still): the retry does not wait out the 60 s grace period.
      const outcome = await executor.run(caseId, iso.stepId, 1);
      expect(outcome.state).toBe('done');
      expect(posts()).toBe(before + 2);
      const created = [...fake.actions.values()].filter((a) => a.details.comment?.includes(`[hw-key:hw-${caseId}-${iso.stepId}-a1]`));
      expect(created).toHaveLength(1);
      const seen = await types(t, caseId);
      expect(seen.filter((x) => x === 'action.requested')).toHaveLength(2);
      expect(seen.indexOf('action.refused')).toBeLessThan(seen.lastIndexOf('action.requested'));
      expect(await verifyAuditLog(t.audit)).toMatchObject({ ok: true, broken: null });
    });
  }
});

describe('an ambiguous failure', () => {
  const faults: [string, Fault][] = [
    ['HTTP 500', { status: 500, body: { statusCode: 500, error: 'Internal Server Error', message: 'boom' } }],
    ['HTTP 503', { status: 503 }],
    ['HTTP 408', { status: 408 }],
    ['HTTP 409', { status: 409 }],
    ['HTTP 429', { status: 429, headers: { 'retry-after': '1' } }],
    ['a dropped connection', { drop: true }],
  ];
  for (const [name, fault] of faults) {
    it(`${name}: requestedAt stays, the retry waits for the grace period before it sends again`, async () => {
      const caseId = `ambiguous-${name.replace(/\W+/g, '-')}`;
      const { t, iso, executor } = await approvedIsolate(caseId);
      const before = posts();
      fake.server.fault('POST', ISOLATE, fault);
      await expect(executor.run(caseId, iso.stepId, 1)).rejects.toThrow();
      const marked = await t.store.mustGet(caseId, iso.stepId);
      expect(marked).toMatchObject({ state: 'running', actionId: null });
      expect(marked.requestedAt).toBeTruthy();
      expect(await types(t, caseId)).not.toContain('action.refused');

      // Within the grace period the retry only looks for the action by its key; it sends nothing.
      await expect(executor.run(caseId, iso.stepId, 1)).rejects.toBeInstanceOf(StillPending);
      expect(posts()).toBe(before + 1);
      expect(fake.server.requests('GET', '/api/endpoint/action').length).toBeGreaterThan(0);

      // After the grace period nothing arrived under the key: the retry sends, once.
      t.clock.advance(61);
      expect((await executor.run(caseId, iso.stepId, 1)).state).toBe('done');
      expect(posts()).toBe(before + 2);
      expect((await types(t, caseId)).filter((x) => x === 'action.requested')).toHaveLength(2);
      expect(await verifyAuditLog(t.audit)).toMatchObject({ ok: true, broken: null });
    });
  }
});

describe('definiteRefusal', () => {
  const error = (code: ConstructorParameters<typeof ConnectorError>[0]['code'], status?: number) => new ConnectorError({ code, vendor: 'elastic', operation: 'runAction isolate_host', detail: 'x', status });
  it('refused: 4xx other than 408/409/429, errors raised before sending, and an explicit notCreated', () => {
    expect(definiteRefusal(error('HW_ERR_CONNECTOR_FORBIDDEN', 403))).toMatchObject({ status: 403 });
    expect(definiteRefusal(error('HW_ERR_CONNECTOR_BAD_REQUEST'))).toMatchObject({ status: null, reason: /before the request was sent/ });
    expect(definiteRefusal(error('HW_ERR_CONNECTOR_CIRCUIT_OPEN'))).not.toBeNull();
    expect(definiteRefusal(Object.assign(error('HW_ERR_CONNECTOR_VENDOR_ERROR', 500), { notCreated: true }))).toMatchObject({ status: 500 });
  });
  it('ambiguous: 5xx, 408/409/429, timeouts, network errors, unexpected answers, anything else', () => {
    for (const status of [500, 502, 503, 408, 409, 429]) expect(definiteRefusal(error('HW_ERR_CONNECTOR_VENDOR_ERROR', status))).toBeNull();
    for (const code of ['HW_ERR_CONNECTOR_TIMEOUT', 'HW_ERR_CONNECTOR_UNREACHABLE', 'HW_ERR_CONNECTOR_BAD_RESPONSE'] as const) expect(definiteRefusal(error(code))).toBeNull();
    expect(definiteRefusal(new Error('socket hang up'))).toBeNull();
    expect(definiteRefusal('boom')).toBeNull();
  });
});
