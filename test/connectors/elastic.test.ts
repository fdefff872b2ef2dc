// The Elastic connector against the Elastic fake on 127.0.0.1: every query, coverage, pagination, the
// response actions (pending -> done/failed/expired), idempotency, and the failure paths.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getField } from '../../detection/fields.js';
import { ElasticConnector, type ElasticConnectorOptions } from '../../connectors/elastic/index.js';
import { FileKeyStore, elasticRetryPolicy, pollAction } from '../../connectors/http/index.js';
import { ElasticFake } from '../fakes/elastic.js';
import { ManualClock } from '../fakes/harness.js';
import { AGENT1, H1, H2, USER, WINDOW, at, seedElastic } from './elastic.fixture.js';

let fake: ElasticFake;
let clock: ManualClock;
let url: string;
const connectors: ElasticConnector[] = [];

function connector(extra: Partial<ElasticConnectorOptions> = {}): ElasticConnector {
  const c = new ElasticConnector({ elasticsearchUrl: url, kibanaUrl: url, apiKey: fake.apiKey, clock, retryPolicy: elasticRetryPolicy({ random: () => 0.5 }), ...extra });
  connectors.push(c);
  return c;
}

beforeEach(async () => {
  clock = new ManualClock();
  fake = new ElasticFake({ clock });
  seedElastic(fake, { extraChildren: 5 });
  url = await fake.start();
});

afterEach(async () => {
  await Promise.all(connectors.splice(0).map((c) => c.close()));
  await fake.stop();
});

const names = (events: Record<string, unknown>[]): unknown[] => events.map((e) => getField(e, 'process.name'));

describe('queries', () => {
  it('gets the process event by entity id', async () => {
    const res = await connector().getProcessEvent({ hostId: H1, entityId: 'E2' }, WINDOW);
    expect(res.coverage).toBe('full');
    expect(names(res.events)).toEqual(['reg.exe']);
    expect(res.query).toContain('logs-endpoint.events.process-*');
    expect(res.query).toContain('"process.entity_id":"E2"');
    const req = fake.server.requests('POST', /_search$/)[0]!;
    expect(req.headers.authorization).toBe(`ApiKey ${fake.apiKey}`);
    expect(req.body.sort).toEqual([{ '@timestamp': 'asc' }, { 'event.id': { order: 'asc', unmapped_type: 'keyword' } }]);
  });

  it('pages siblings with search_after across several pages', async () => {
    const res = await connector({ pageSize: 2 }).getSiblingProcesses({ hostId: H1, entityId: 'E1' }, WINDOW);
    expect(res.coverage).toBe('full');
    expect(names(res.events)).toEqual(['reg.exe', 'whoami.exe', ...Array(5).fill('conhost.exe')]);
    const searches = fake.server.requests('POST', /_search$/);
    expect(searches.length).toBe(4); // 2+2+2+1
    expect(searches[0]!.body.search_after).toBeUndefined();
    expect(searches[1]!.body.search_after).toEqual([Date.parse(at(1)), 'e3']);
  });

  it('gets children, and no children is a full answer', async () => {
    const c = connector();
    expect(names((await c.getChildProcesses({ hostId: H1, entityId: 'E0' }, WINDOW)).events)).toEqual(['cmd.exe']);
    const none = await c.getChildProcesses({ hostId: H1, entityId: 'E2' }, WINDOW);
    expect(none).toMatchObject({ events: [], coverage: 'full' });
  });

  it('answers ancestry from process.Ext.ancestry in one query, nearest first', async () => {
    const res = await connector().getAncestry({ hostId: H1, entityId: 'E2' }, 5, WINDOW);
    expect(names(res.events)).toEqual(['cmd.exe', 'explorer.exe']);
    expect(res.coverage).toBe('full');
    expect(fake.server.requests('POST', /_search$/)).toHaveLength(2);
  });

  it('walks ancestry by parent pid on a 4688 host and caps at the level count', async () => {
    const res = await connector().getAncestry({ hostId: H2, pid: 8168, startTime: at(0) }, 2, WINDOW);
    expect(names(res.events)).toEqual(['powershell.exe', 'services.exe']);
  });

  it('finds a 4688 process by host + pid near its start time, never the reused pid a day earlier', async () => {
    const res = await connector().getProcessEvent({ hostId: H2, pid: 8168, startTime: at(0) }, { from: at(-48 * 60), to: at(60) });
    expect(names(res.events)).toEqual(['reg.exe']);
    expect(res.note).toMatch(/host\.id \+ process\.pid/);
  });

  it('finds 4688 siblings by host + parent pid only inside the window', async () => {
    const res = await connector().getSiblingProcesses({ hostId: H2, pid: 5972, startTime: at(-1) }, WINDOW);
    expect(names(res.events)).toEqual(['reg.exe', 'whoami.exe']);
  });

  it('gets file events of the process and its children', async () => {
    const res = await connector().getFileEvents({ hostId: H1, entityId: 'E1' }, WINDOW);
    expect(res.coverage).toBe('full');
    expect(res.events.map((e) => getField(e, 'file.path'))).toEqual(['C:\\Users\\Public\\sam.save']);
  });

  it('says "no events" (full) when the host ships network telemetry but this process made none', async () => {
    const res = await connector().getNetworkEvents({ hostId: H1, entityId: 'E2' }, WINDOW);
    expect(res).toMatchObject({ events: [], coverage: 'full' });
  });

  it('says "no telemetry" (none) when the host ships no file events at all', async () => {
    const res = await connector().getFileEvents({ hostId: H2, pid: 8168, startTime: at(0) }, WINDOW);
    expect(res.coverage).toBe('none');
    expect(res.note).toMatch(/host-4688-2 sent no file events/);
  });

  it('says none when no index of the category exists', async () => {
    const res = await connector({ indices: { network: ['logs-nothing-*', 'winlogbeat-2026.05.01'] } }).getNetworkEvents({ hostId: H1, entityId: 'E2' }, WINDOW);
    expect(res.coverage).toBe('none');
    expect(res.note).toMatch(/no network index exists/);
  });

  it('reports partial coverage when shards fail or the search times out', async () => {
    fake.failingIndices = ['logs-system.security-*'];
    const res = await connector().getChildProcesses({ hostId: H1, entityId: 'E1' }, WINDOW);
    expect(res.coverage).toBe('partial');
    expect(res.note).toMatch(/1 shard\(s\) failed/);
    fake.failingIndices = [];
    fake.timedOut = true;
    expect((await connector().getChildProcesses({ hostId: H1, entityId: 'E1' }, WINDOW)).coverage).toBe('partial');
  });

  it('gets alerts for a user, a host and a rule within the window', async () => {
    const c = connector();
    const user = await c.getAlertsForUser(USER, WINDOW);
    expect(user.events).toHaveLength(1);
    expect(user.events[0]).toMatchObject({ 'event.kind': 'signal', 'kibana.alert.uuid': 'alert-0001' });
    expect((await c.getAlertsForHost(H1, WINDOW)).events).toHaveLength(2);
    expect((await c.getAlertsForRule('hive-rule', { from: at(-48 * 60), to: at(60) })).events).toHaveLength(2);
    expect(fake.server.requests('POST', '/api/detection_engine/signals/search')[0]!.headers['kbn-xsrf']).toBe('true');
  });

  it('prefixes Kibana calls with the space, and Elasticsearch calls not', async () => {
    const c = connector({ space: 'soc' });
    expect((await c.getHostDetails(H1)).agentId).toBe(AGENT1);
    await c.getAlertsForHost(H1, WINDOW);
    await c.getProcessEvent({ hostId: H1, entityId: 'E2' }, WINDOW);
    expect(fake.server.log.slice(0, 2).map((r) => r.path)).toEqual(['/s/soc/api/endpoint/metadata', '/s/soc/api/detection_engine/signals/search']);
    expect(fake.server.log[2]!.path).toMatch(/_search$/);
    expect(fake.server.log[2]!.path.startsWith('/s/')).toBe(false);
  });

  it('gets host details from endpoint metadata', async () => {
    const c = connector();
    expect(await c.getHostDetails(H1)).toEqual({ hostId: H1, agentId: AGENT1, hostName: 'WS01', os: 'Windows 11', online: true, isolated: false });
    expect(await c.getHostDetails('host-offline')).toMatchObject({ agentId: 'agent-offline', online: false });
    expect(await c.getHostDetails('nope')).toEqual({ hostId: 'nope', agentId: null, online: null, isolated: null });
    expect(fake.server.requests('GET', '/api/endpoint/metadata')[0]!.headers['elastic-api-version']).toBe('2023-10-31');
  });
});

describe('actions', () => {
  it('isolates: pending, then done after polls, and the host reads as isolated', async () => {
    const c = connector();
    const started = await c.runAction({ kind: 'isolate_host', idempotencyKey: 'case1:isolate', hostId: H1, alertIds: ['alert-0001'], comment: 'SOAR: SAM hive dump' });
    expect(started).toMatchObject({ state: 'pending', kind: 'isolate_host', vendor: 'elastic' });
    const post = fake.server.requests('POST', '/api/endpoint/action/isolate')[0]!;
    expect(post.headers['kbn-xsrf']).toBe('true');
    // The idempotency key rides in the comment, bracketed, for findAction after a crash.
    expect(post.body).toEqual({ endpoint_ids: [AGENT1], alert_ids: ['alert-0001'], comment: 'SOAR: SAM hive dump [hw-key:case1:isolate]' });
    expect((await c.getActionStatus(started.actionId, 'isolate_host')).state).toBe('pending');
    expect((await c.getActionStatus(started.actionId, 'isolate_host')).state).toBe('done');
    expect((await c.getHostDetails(H1)).isolated).toBe(true);
  });

  it('findAction finds an action another process started, by the key in its comment (and not by a longer key)', async () => {
    fake.server.completeAfterPolls = 100;
    const request = { kind: 'kill_process' as const, idempotencyKey: 'hw-c9-s3-a1', process: { hostId: H1, pid: 4242 }, comment: 'hivewatch case c9 step s3' };
    // Another key of the same step, an attempt whose number starts with the same digit, was sent first.
    await connector().runAction({ ...request, idempotencyKey: 'hw-c9-s3-a10' });
    const sent = await connector().runAction(request);
    const fresh = connector(); // its ledger knows neither key
    expect(await fresh.findAction('hw-c9-s3-a1')).toBeNull(); // without the request it cannot ask the vendor
    const lists = fake.server.requests('GET', '/api/endpoint/action').length;
    const found = await fresh.findAction('hw-c9-s3-a1', request);
    expect(found).toMatchObject({ actionId: sent.actionId, kind: 'kill_process', vendor: 'elastic', state: 'pending' });
    const list = fake.server.requests('GET', '/api/endpoint/action').slice(lists)[0]!;
    expect(list.query).toMatchObject({ agentIds: AGENT1, commands: 'kill-process' });
    expect(await fresh.findAction('hw-c9-s3-a2', { ...request, idempotencyKey: 'hw-c9-s3-a2' })).toBeNull();
    fake.server.completeAfterPolls = 1;
  });

  it('polls an action to done with capped backoff, and stops at the deadline', async () => {
    fake.server.completeAfterPolls = 4;
    const c = connector();
    const started = await c.runAction({ kind: 'isolate_host', idempotencyKey: 'poll1', hostId: H1 });
    const res = await pollAction(c, started.actionId, 'isolate_host', { clock });
    expect(res).toMatchObject({ polls: 4, timedOut: false, status: { state: 'done' } });
    expect(clock.sleeps.slice(-3)).toEqual([2000, 5000, 15_000]);
    fake.server.completeAfterPolls = 100;
    const rel = await c.runAction({ kind: 'release_host', idempotencyKey: 'poll2', hostId: H1 });
    const late = await pollAction(c, rel.actionId, 'release_host', { clock, deadlineMs: 30_000 });
    expect(late).toMatchObject({ timedOut: true, status: { state: 'pending' } });
  });

  it('sends one isolate to the vendor for two requests with one key, also across a restart', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'hw-elastic-keys-'));
    try {
      const file = path.join(dir, 'keys.json');
      const first = connector({ keyStore: new FileKeyStore(file) });
      const req = { kind: 'isolate_host' as const, idempotencyKey: 'case2:isolate', hostId: H1 };
      const [a, b] = await Promise.all([first.runAction(req), first.runAction(req)]);
      const restarted = connector({ keyStore: new FileKeyStore(file) });
      const c = await restarted.runAction(req);
      expect(a.actionId).toBe(b.actionId);
      expect(c.actionId).toBe(a.actionId);
      expect(fake.server.calls('POST', '/api/endpoint/action/isolate')).toBe(1);
      expect(await restarted.findAction('case2:isolate')).toMatchObject({ actionId: a.actionId });
      expect(await restarted.findAction('unknown-key')).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads state first: an already isolated host is not isolated again, a pending isolate is adopted', async () => {
    const c = connector();
    const first = await c.runAction({ kind: 'isolate_host', idempotencyKey: 'k-a', hostId: H1 });
    const adopted = await c.runAction({ kind: 'isolate_host', idempotencyKey: 'k-b', hostId: H1 });
    expect(adopted.actionId).toBe(first.actionId);
    expect(adopted.detail).toMatch(/adopted/);
    fake.endpoints.get(AGENT1)!.isolated = true;
    const noop = await c.runAction({ kind: 'isolate_host', idempotencyKey: 'k-c', hostId: H1 });
    expect(noop.state).toBe('done');
    expect(await c.getActionStatus(noop.actionId, 'isolate_host')).toMatchObject({ state: 'done' });
    expect(fake.server.calls('POST', '/api/endpoint/action/isolate')).toBe(1);
  });

  it('reports a failed and an expired action', async () => {
    const c = connector();
    fake.nextOutcome = 'failure';
    const failed = await c.runAction({ kind: 'release_host', idempotencyKey: 'f1', hostId: 'host-offline' }).catch((e) => e);
    // host-offline is not isolated: release is a no-op
    expect(failed.state).toBe('done');
    fake.endpoints.get('agent-offline')!.isolated = true;
    const rel = await c.runAction({ kind: 'release_host', idempotencyKey: 'f2', hostId: 'host-offline' });
    await c.getActionStatus(rel.actionId, 'release_host');
    const end = await c.getActionStatus(rel.actionId, 'release_host');
    expect(end.state).toBe('failed');
    expect(end.detail).toMatch(/endpoint unreachable/);
    fake.nextOutcome = 'expire';
    const kill = await c.runAction({ kind: 'kill_process', idempotencyKey: 'f3', process: { hostId: H1, pid: 300 } });
    await c.getActionStatus(kill.actionId, 'kill_process');
    expect(await c.getActionStatus(kill.actionId, 'kill_process')).toMatchObject({ state: 'failed', detail: expect.stringMatching(/expired/) });
    expect(fake.server.requests('POST', '/api/endpoint/action/kill_process')[0]!.body.parameters).toEqual({ pid: 300 });
  });

  it('kills by entity id and polls to done', async () => {
    const c = connector();
    const kill = await c.runAction({ kind: 'kill_process', idempotencyKey: 'kill1', process: { hostId: H1, entityId: 'E2' } });
    await c.getActionStatus(kill.actionId, 'kill_process');
    expect(await c.getActionStatus(kill.actionId, 'kill_process')).toMatchObject({ state: 'done' });
    expect(fake.server.requests('POST', '/api/endpoint/action/kill_process')[0]!.body.parameters).toEqual({ entity_id: 'E2' });
  });

  it('sets alert status', async () => {
    const c = connector();
    const res = await c.runAction({ kind: 'set_alert_status', idempotencyKey: 's1', alertIds: ['alert-0001'], alertStatus: 'acknowledged' });
    expect(res.state).toBe('done');
    expect(fake.alert('alert-0001')!['kibana.alert.workflow_status']).toBe('acknowledged');
    expect(await c.getActionStatus(res.actionId, 'set_alert_status')).toMatchObject({ state: 'done' });
  });

  it('answers unsupported for account actions without calling the vendor', async () => {
    const res = await connector().runAction({ kind: 'disable_account', idempotencyKey: 'd1', userId: USER });
    expect(res.state).toBe('unsupported');
    expect(fake.server.log).toHaveLength(0);
  });

  it('rejects an invalid request naming the field, before any vendor call', async () => {
    await expect(connector().runAction({ kind: 'isolate_host', idempotencyKey: 'x' })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_BAD_REQUEST', message: expect.stringMatching(/hostId/) });
    expect(fake.server.log).toHaveLength(0);
  });

  it('fails with NOT_FOUND for an unknown action id and an unenrolled host', async () => {
    const c = connector();
    await expect(c.getActionStatus('no-such-action', 'isolate_host')).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_NOT_FOUND', vendor: 'elastic', operation: 'getActionStatus' });
    await expect(c.runAction({ kind: 'isolate_host', idempotencyKey: 'nf', hostId: 'ghost' })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_NOT_FOUND' });
  });
});

describe('failure paths', () => {
  it('refuses a wrong API key without quoting it', async () => {
    const err = await connector({ apiKey: 'd3JvbmctaWQ6d3Jvbmcta2V5' }).getProcessEvent({ hostId: H1, entityId: 'E2' }, WINDOW).catch((e) => e);
    expect(err.code).toBe('HW_ERR_CONNECTOR_UNAUTHORIZED');
    expect(err.message).not.toContain('d3JvbmctaWQ6d3Jvbmcta2V5');
    expect(fake.server.calls('POST', '/:index/_search')).toBe(1); // a static key is not retried
  });

  it('backs off on es_rejected_execution_exception 429 (no Retry-After) and succeeds', async () => {
    fake.server.fault('POST', '/:index/_search', { status: 429, times: 2, body: { error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' }, status: 429 } });
    const res = await connector().getProcessEvent({ hostId: H1, entityId: 'E2' }, WINDOW);
    expect(res.events).toHaveLength(1);
    expect(clock.sleeps).toEqual([250, 500]);
  });

  it('retries a 503 search, then opens the breaker and recovers half-open', async () => {
    fake.server.fault('POST', '/:index/_search', { status: 503, times: 3, body: { error: { type: 'unavailable_shards_exception', reason: 'primary shard is not active' }, status: 503 } });
    const c = connector({ maxRetries: 0, breakerFailures: 3, breakerCooldownMs: 5_000 });
    for (let i = 0; i < 3; i++) await expect(c.getProcessEvent({ hostId: H1, entityId: 'E2' }, WINDOW)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_VENDOR_ERROR' });
    await expect(c.getHostDetails(H1)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_CIRCUIT_OPEN', vendor: 'elastic' });
    clock.advance(5_000);
    expect((await c.getProcessEvent({ hostId: H1, entityId: 'E2' }, WINDOW)).events).toHaveLength(1);
    const retried = connector({ maxRetries: 2 });
    fake.server.fault('POST', '/:index/_search', { status: 503, times: 1 });
    expect((await retried.getProcessEvent({ hostId: H1, entityId: 'E2' }, WINDOW)).events).toHaveLength(1);
  });

  it('times out a slow search', async () => {
    fake.server.fault('POST', '/:index/_search', { latencyMs: 500, times: 5 });
    await expect(connector({ timeoutMs: 80, maxRetries: 1 }).getProcessEvent({ hostId: H1, entityId: 'E2' }, WINDOW)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_TIMEOUT', operation: 'getProcessEvent' });
  });

  it('surfaces Kibana 400 and 403 with the vendor words and a hint, and does not retry them', async () => {
    const c = connector();
    fake.server.fault('POST', '/api/endpoint/action/isolate', { status: 400, body: { statusCode: 400, error: 'Bad Request', message: '[request body.endpoint_ids]: host is unenrolled' } });
    const bad = await c.runAction({ kind: 'isolate_host', idempotencyKey: 'b1', hostId: H1 }).catch((e) => e);
    expect(bad).toMatchObject({ code: 'HW_ERR_CONNECTOR_BAD_REQUEST', status: 400, operation: 'runAction isolate_host' });
    expect(bad.message).toContain('host is unenrolled');
    fake.server.fault('POST', '/api/endpoint/action/isolate', { status: 403, body: { statusCode: 403, error: 'Forbidden', message: 'Endpoint authorization failure' } });
    const denied = await c.runAction({ kind: 'isolate_host', idempotencyKey: 'b2', hostId: H1 }).catch((e) => e);
    expect(denied).toMatchObject({ code: 'HW_ERR_CONNECTOR_FORBIDDEN', hint: expect.stringMatching(/privilege/) });
    expect(fake.server.calls('POST', '/api/endpoint/action/isolate')).toBe(2);
    // a failed start is not remembered: the same key may be tried again once the cause is fixed
    expect(await c.findAction('b1')).toBeNull();
  });

  it('rejects a malformed vendor answer with BAD_RESPONSE', async () => {
    fake.server.fault('POST', '/:index/_search', { status: 200, body: { nothing: true } });
    await expect(connector().getProcessEvent({ hostId: H1, entityId: 'E2' }, WINDOW)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_BAD_RESPONSE' });
  });
});
