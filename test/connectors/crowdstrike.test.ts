// The CrowdStrike connector against the CrowdStrike fake on 127.0.0.1: OAuth2 token issue, refresh and
// re-auth, NG-SIEM queries and coverage, alerts with offset and cursor paging, containment, RTR kill,
// alert status, idempotency (also across a restart with the Redis key store), and failure paths.

import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getField } from '../../detection/fields.js';
import { CrowdStrikeConnector, type CrowdStrikeConnectorOptions, splitWindowsArgs } from '../../connectors/crowdstrike/index.js';
import { RedisKeyStore } from '../../connectors/http/index.js';
import { CrowdStrikeFake } from '../fakes/crowdstrike.js';
import { ManualClock } from '../fakes/harness.js';
import { AID, AID2, SID, WINDOW, at, seedCrowdStrike } from './crowdstrike.fixture.js';

let fake: CrowdStrikeFake;
let clock: ManualClock;
let url: string;
const connectors: CrowdStrikeConnector[] = [];
const JOBS = '/humio/api/v1/repositories/:repo/queryjobs';

function connector(extra: Partial<CrowdStrikeConnectorOptions> = {}): CrowdStrikeConnector {
  const c = new CrowdStrikeConnector({ baseUrl: url, clientId: fake.clientId, clientSecret: fake.clientSecret, clock, queryPollMs: 250, ...extra });
  connectors.push(c);
  return c;
}

beforeEach(async () => {
  clock = new ManualClock(Date.parse(at(60)));
  fake = new CrowdStrikeFake({ clock });
  fake.server.completeAfterPolls = 1;
  seedCrowdStrike(fake, { hostAlerts: 7 });
  url = await fake.start();
});

afterEach(async () => {
  await Promise.all(connectors.splice(0).map((c) => c.close()));
  await fake.stop();
});

const names = (events: Record<string, unknown>[]): unknown[] => events.map((e) => getField(e, 'process.name'));

describe('auth', () => {
  it('gets a token with client credentials (201), reuses it, refreshes it before expiry', async () => {
    fake.tokenTtlSec = 100;
    const c = connector();
    await c.getHostDetails(AID);
    await c.getHostDetails(AID);
    expect(fake.server.calls('POST', '/oauth2/token')).toBe(1);
    const form = fake.server.requests('POST', '/oauth2/token')[0]!;
    expect(form.body).toEqual({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret });
    clock.advance(81_000); // past 80 % of 100 s, still before expiry
    await c.getHostDetails(AID);
    expect(fake.server.calls('POST', '/oauth2/token')).toBe(2);
    expect(fake.server.requests('GET', '/devices/entities/devices/v2').every((r) => r.status === 200)).toBe(true);
  });

  it('re-authenticates once when the vendor revokes the token (401)', async () => {
    const c = connector();
    await c.getHostDetails(AID);
    fake.tokens.clear();
    expect((await c.getHostDetails(AID)).agentId).toBe(AID);
    expect(fake.server.calls('POST', '/oauth2/token')).toBe(2);
    expect(c.http.stats.reauths).toBe(1);
  });

  it('maps a refused client secret to HW_ERR_CONNECTOR_AUTH and never quotes it', async () => {
    const err = await connector({ clientSecret: 'not-the-secret-123456' }).getHostDetails(AID).catch((e) => e);
    expect(err).toMatchObject({ code: 'HW_ERR_CONNECTOR_AUTH', vendor: 'crowdstrike', operation: 'oauth2 token' });
    expect(err.message).not.toContain('not-the-secret-123456');
    expect(JSON.stringify(err)).not.toContain('not-the-secret-123456');
  });
});

describe('queries (NG-SIEM)', () => {
  it('gets the process event by TargetProcessId and maps it to ECS', async () => {
    const res = await connector().getProcessEvent({ hostId: AID, entityId: '3000' }, WINDOW);
    expect(res.coverage).toBe('full');
    expect(res.query).toContain('#event_simpleName=ProcessRollup2 aid="' + AID + '" TargetProcessId="3000"');
    expect(res.events[0]).toMatchObject({
      'process.entity_id': '3000',
      'process.parent.entity_id': '2000',
      'process.pid': 4242,
      'process.name': 'reg.exe',
      'process.args': ['reg.exe', 'save', 'HKLM\\SAM', 'C:\\Users\\Public\\sam.save'],
      'process.executable': '\\Device\\HarddiskVolume3\\Windows\\System32\\reg.exe',
      'host.id': AID,
      'user.id': SID,
      'event.category': ['process'],
      '@timestamp': at(0),
    });
    const job = fake.server.requests('POST', /queryjobs$/)[0]!;
    expect(job.body).toMatchObject({ start: Date.parse(WINDOW.from), end: Date.parse(WINDOW.to), isLive: false });
    await new Promise((r) => setTimeout(r, 50)); // the job is deleted after the answer, without waiting
    expect(fake.server.calls('DELETE', `${JOBS}/:id`)).toBe(1);
  });

  it('polls a running job until done, sleeping between polls', async () => {
    fake.server.completeAfterPolls = 3;
    const res = await connector().getProcessEvent({ hostId: AID, entityId: '3000' }, WINDOW);
    expect(res.events).toHaveLength(1);
    expect(clock.sleeps).toEqual([250, 250]);
  });

  it('restarts a query job that expired between polls', async () => {
    fake.server.fault('GET', `${JOBS}/:id`, { onCalls: [1], status: 404, body: { message: 'No query with id found' } });
    const res = await connector().getProcessEvent({ hostId: AID, entityId: '3000' }, WINDOW);
    expect(res.events).toHaveLength(1);
    expect(fake.server.calls('POST', JOBS)).toBe(2);
  });

  it('fails with a clear error when the query job keeps expiring before it is polled', async () => {
    fake.server.completeAfterPolls = 3;
    fake.jobTtlMs = 100;
    const err = await connector({ queryPollMs: 250 }).getProcessEvent({ hostId: AID, entityId: '3000' }, WINDOW).catch((e) => e);
    expect(err).toMatchObject({ code: 'HW_ERR_CONNECTOR_VENDOR_ERROR', operation: 'getProcessEvent', message: expect.stringMatching(/expired twice/) });
    expect(fake.server.calls('POST', JOBS)).toBe(2);
  });

  it('finds a process by pid near its start time, not the reused pid a day earlier', async () => {
    const res = await connector().getProcessEvent({ hostId: AID, pid: 4242, startTime: at(0) }, { from: at(-48 * 60), to: at(60) });
    expect(names(res.events)).toEqual(['reg.exe']);
  });

  it('gets siblings and children; a parent known only by pid is resolved first', async () => {
    const c = connector();
    expect(names((await c.getSiblingProcesses({ hostId: AID, entityId: '2000' }, WINDOW)).events)).toEqual(['reg.exe', 'whoami.exe']);
    expect(names((await c.getSiblingProcesses({ hostId: AID, pid: 200, startTime: at(-10) }, WINDOW)).events)).toEqual(['reg.exe', 'whoami.exe']);
    expect((await c.getChildProcesses({ hostId: AID, entityId: '3000' }, WINDOW))).toMatchObject({ events: [], coverage: 'full' });
  });

  it('walks the ancestry nearest first', async () => {
    const res = await connector().getAncestry({ hostId: AID, entityId: '3000' }, 5, WINDOW);
    expect(names(res.events)).toEqual(['cmd.exe', 'explorer.exe']);
    expect(res.coverage).toBe('full');
  });

  it('gets file and network events of the process tree', async () => {
    const c = connector();
    const files = await c.getFileEvents({ hostId: AID, entityId: '2000' }, WINDOW);
    expect(files.events.map((e) => getField(e, 'file.path'))).toEqual(['\\Device\\HarddiskVolume3\\Users\\Public\\sam.save']);
    const net = await c.getNetworkEvents({ hostId: AID, entityId: '2000' }, WINDOW);
    expect(net.events[0]).toMatchObject({ 'destination.ip': '203.0.113.9', 'destination.port': 445, 'network.transport': 'tcp' });
    expect(await c.getNetworkEvents({ hostId: AID, entityId: '3000' }, WINDOW)).toMatchObject({ events: [], coverage: 'full' });
  });

  it('says none when the sensor sends no telemetry of a category', async () => {
    const res = await connector().getNetworkEvents({ hostId: AID2, entityId: '7000' }, WINDOW);
    expect(res.coverage).toBe('none');
    expect(res.note).toMatch(/sent no network events/);
  });

  it('says none when neither NG-SIEM nor Threat Graph is available to the client', async () => {
    fake.ngsiemEnabled = false;
    fake.threatGraphEnabled = false;
    const res = await connector().getChildProcesses({ hostId: AID, entityId: '2000' }, WINDOW);
    expect(res.coverage).toBe('none');
    expect(res.note).toMatch(/neither NG-SIEM event search nor Threat Graph/);
  });

  it('falls back to Threat Graph when NG-SIEM is not licensed', async () => {
    fake.ngsiemEnabled = false;
    const c = connector();
    const proc = await c.getProcessEvent({ hostId: AID, entityId: '3000' }, WINDOW);
    expect(proc).toMatchObject({ coverage: 'full', note: expect.stringMatching(/Threat Graph/) });
    expect(proc.events[0]).toMatchObject({ 'process.entity_id': '3000', 'process.parent.entity_id': '2000', 'process.pid': 4242, 'process.name': 'reg.exe', '@timestamp': at(0) });
    expect(names((await c.getSiblingProcesses({ hostId: AID, entityId: '2000' }, WINDOW)).events)).toEqual(['reg.exe', 'whoami.exe']);
    expect(names((await c.getAncestry({ hostId: AID, entityId: '3000' }, 5, WINDOW)).events)).toEqual(['cmd.exe', 'explorer.exe']);
    // entity-centric: a bare pid cannot be looked up there, and file/network need event search
    expect((await c.getProcessEvent({ hostId: AID, pid: 4242, startTime: at(0) }, WINDOW)).coverage).toBe('none');
    expect(await c.getFileEvents({ hostId: AID, entityId: '2000' }, WINDOW)).toMatchObject({ coverage: 'none' });
    expect(fake.server.calls('POST', JOBS)).toBe(1); // NG-SIEM was asked once, then skipped
    // kill still checks the pid against the vertex
    const kill = await c.runAction({ kind: 'kill_process', idempotencyKey: 'tg-kill', process: { hostId: AID, entityId: '3000', pid: 4242 } });
    expect(kill.state).toBe('pending');
    const wrong = await c.runAction({ kind: 'kill_process', idempotencyKey: 'tg-kill-2', process: { hostId: AID, entityId: '3000', pid: 7 } });
    expect(wrong).toMatchObject({ state: 'failed', detail: expect.stringMatching(/Threat Graph says 4242/) });
  });

  it('pages Threat Graph edges and summarises at most 100 vertices per call', async () => {
    fake.addEvents(Array.from({ length: 105 }, (_, i) => ({ '#event_simpleName': 'ProcessRollup2', aid: AID, '@timestamp': Date.parse(at(2)) + i, TargetProcessId: `c${i}`, ParentProcessId: '3001', RawProcessId: String(5000 + i), ImageFileName: 'C:\\Windows\\System32\\conhost.exe' })));
    const res = await connector({ processSource: 'threatgraph' }).getChildProcesses({ hostId: AID, entityId: '3001' }, WINDOW);
    expect(res.events).toHaveLength(105);
    expect(fake.server.calls('GET', '/threatgraph/combined/edges/v1')).toBe(2);
    expect(fake.server.calls('GET', '/threatgraph/combined/processes/summary/v1')).toBe(2);
    expect(fake.server.calls('POST', JOBS)).toBe(0);
  });
});

describe('alerts and hosts', () => {
  it('pages host alerts with offset/limit and fetches their bodies', async () => {
    const res = await connector({ alertPageSize: 3 }).getAlertsForHost(AID, WINDOW);
    expect(res.events).toHaveLength(8);
    expect(fake.server.calls('GET', '/alerts/queries/alerts/v2')).toBe(3);
    expect(res.events[0]).toMatchObject({ 'event.kind': 'signal', 'host.id': AID, 'process.pid': 4242, 'rule.id': expect.any(String) });
    const q = fake.server.requests('GET', '/alerts/queries/alerts/v2')[1]!;
    expect(q.query).toMatchObject({ offset: '3', limit: '3', filter: `device.device_id:'${AID}'+created_timestamp:>='${WINDOW.from}'+created_timestamp:<='${WINDOW.to}'` });
  });

  it('gets user alerts, and rule alerts through the combined API with its after cursor', async () => {
    const c = connector({ alertPageSize: 3 });
    expect((await c.getAlertsForUser(SID, WINDOW)).events).toHaveLength(7);
    const rule = await c.getAlertsForRule('5000', WINDOW);
    expect(rule.events).toHaveLength(7);
    const calls = fake.server.requests('POST', '/alerts/combined/alerts/v1');
    expect(calls).toHaveLength(3);
    expect(calls[0]!.body.after).toBeUndefined();
    expect(typeof calls[1]!.body.after).toBe('string');
  });

  it('gets host details (online from last_seen, isolation from status)', async () => {
    const c = connector();
    expect(await c.getHostDetails(AID)).toEqual({ hostId: AID, agentId: AID, hostName: 'WS01', os: 'Windows 11', online: true, isolated: false });
    expect(await c.getHostDetails(AID2)).toMatchObject({ online: false });
    expect(await c.getHostDetails('nope')).toEqual({ hostId: 'nope', agentId: null, online: null, isolated: null });
  });
});

describe('actions', () => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  const hashKey = `hwtest:crowdstrike:${Math.random().toString(36).slice(2)}:keys`;
  afterAll(async () => {
    if (redis.status === 'ready') await redis.del(hashKey);
    redis.disconnect();
  });

  it('contains: 202, pending, then done when the device reads contained', async () => {
    fake.server.completeAfterPolls = 2;
    const c = connector();
    const started = await c.runAction({ kind: 'isolate_host', idempotencyKey: 'c1', hostId: AID });
    expect(started).toMatchObject({ state: 'pending', vendor: 'crowdstrike' });
    const post = fake.server.requests('POST', '/devices/entities/devices-actions/v2')[0]!;
    expect(post.status).toBe(202);
    expect(post.query).toEqual({ action_name: 'contain' });
    expect(post.body).toEqual({ ids: [AID] });
    expect((await c.getActionStatus(started.actionId, 'isolate_host')).state).toBe('pending');
    expect((await c.getActionStatus(started.actionId, 'isolate_host')).state).toBe('done');
    expect((await c.getHostDetails(AID)).isolated).toBe(true);
  });

  it('reaches the vendor once for one key, across concurrent calls and a restart (Redis key store)', async () => {
    await redis.connect();
    const req = { kind: 'isolate_host' as const, idempotencyKey: 'case-9:isolate', hostId: AID };
    const a = connector({ keyStore: new RedisKeyStore(redis, hashKey) });
    const [r1, r2] = await Promise.all([a.runAction(req), a.runAction(req)]);
    const b = connector({ keyStore: new RedisKeyStore(redis, hashKey) });
    const r3 = await b.runAction(req);
    expect(new Set([r1.actionId, r2.actionId, r3.actionId]).size).toBe(1);
    expect(fake.server.calls('POST', '/devices/entities/devices-actions/v2')).toBe(1);
    expect(await b.findAction('case-9:isolate')).toMatchObject({ actionId: r1.actionId });
  });

  it('reads state first: already contained is a no-op, containment under way is adopted', async () => {
    fake.server.completeAfterPolls = 10;
    const c = connector();
    await c.runAction({ kind: 'isolate_host', idempotencyKey: 'x1', hostId: AID });
    const adopted = await c.runAction({ kind: 'isolate_host', idempotencyKey: 'x2', hostId: AID });
    expect(adopted).toMatchObject({ state: 'pending', detail: expect.stringMatching(/adopted/) });
    fake.devices.get(AID)!.status = 'contained';
    expect(await c.runAction({ kind: 'isolate_host', idempotencyKey: 'x3', hostId: AID })).toMatchObject({ state: 'done' });
    expect(fake.server.calls('POST', '/devices/entities/devices-actions/v2')).toBe(1);
  });

  it('reports failed when containment reverts, and lifts containment', async () => {
    const c = connector();
    fake.nextContainOutcome = 'revert';
    const bad = await c.runAction({ kind: 'isolate_host', idempotencyKey: 'r1', hostId: AID });
    // right after the request a normal status may just be stale: pending for a grace minute, then failed
    expect(await c.getActionStatus(bad.actionId, 'isolate_host')).toMatchObject({ state: 'pending' });
    clock.advance(61_000);
    expect(await c.getActionStatus(bad.actionId, 'isolate_host')).toMatchObject({ state: 'failed', detail: expect.stringMatching(/normal/) });
    fake.nextContainOutcome = 'success';
    fake.devices.get(AID)!.status = 'contained';
    const lift = await c.runAction({ kind: 'release_host', idempotencyKey: 'r2', hostId: AID });
    expect(fake.server.requests('POST', '/devices/entities/devices-actions/v2').at(-1)!.query).toEqual({ action_name: 'lift_containment' });
    expect(await c.getActionStatus(lift.actionId, 'release_host')).toMatchObject({ state: 'done' });
  });

  it('kills through RTR: session, kill <pid>, poll to done, close the session', async () => {
    fake.server.completeAfterPolls = 2;
    const c = connector();
    const kill = await c.runAction({ kind: 'kill_process', idempotencyKey: 'k1', process: { hostId: AID, entityId: '3000', pid: 4242 } });
    expect(kill.state).toBe('pending');
    expect(fake.server.requests('POST', '/real-time-response/entities/active-responder-command/v1')[0]!.body).toMatchObject({ base_command: 'kill', command_string: 'kill 4242' });
    expect((await c.getActionStatus(kill.actionId, 'kill_process')).state).toBe('pending');
    expect(await c.getActionStatus(kill.actionId, 'kill_process')).toMatchObject({ state: 'done', detail: expect.stringMatching(/4242 killed/) });
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.server.calls('DELETE', '/real-time-response/entities/sessions/v1')).toBe(1);
  });

  it('resolves the OS pid from the TargetProcessId, and reports a kill of a gone process as failed', async () => {
    const c = connector();
    const kill = await c.runAction({ kind: 'kill_process', idempotencyKey: 'k2', process: { hostId: AID, entityId: '3001' } });
    expect(fake.server.requests('POST', '/real-time-response/entities/active-responder-command/v1')[0]!.body.command_string).toBe('kill 4300');
    expect(await c.getActionStatus(kill.actionId, 'kill_process')).toMatchObject({ state: 'failed', detail: expect.stringMatching(/Could not find process/) });
  });

  it('refuses to kill a pid that was reused or does not belong to the process', async () => {
    const c = connector();
    fake.addEvents([{ '#event_simpleName': 'ProcessRollup2', aid: AID, '@timestamp': Date.parse(at(30)), TargetProcessId: '3999', RawProcessId: '4300', ImageFileName: 'C:\\Windows\\System32\\svchost.exe' }]);
    const reused = await c.runAction({ kind: 'kill_process', idempotencyKey: 'k-reuse', process: { hostId: AID, entityId: '3001', pid: 4300 } });
    expect(reused).toMatchObject({ state: 'failed', detail: expect.stringMatching(/reused by svchost\.exe/) });
    const wrong = await c.runAction({ kind: 'kill_process', idempotencyKey: 'k-wrong', process: { hostId: AID, entityId: '3000', pid: 100 } });
    expect(wrong).toMatchObject({ state: 'failed', detail: expect.stringMatching(/does not belong/) });
    expect(fake.server.calls('POST', '/real-time-response/entities/sessions/v1')).toBe(0);
    expect(await c.getActionStatus(wrong.actionId, 'kill_process')).toMatchObject({ state: 'failed' });
  });

  it('reports an expired RTR session as failed', async () => {
    const c = connector();
    const kill = await c.runAction({ kind: 'kill_process', idempotencyKey: 'k3', process: { hostId: AID, pid: 4242 } });
    fake.expireSessions = true;
    expect(await c.getActionStatus(kill.actionId, 'kill_process')).toMatchObject({ state: 'failed', detail: expect.stringMatching(/expired/) });
  });

  it('sets alert status through PATCH v3', async () => {
    const id = [...fake.alerts.keys()][0]!;
    const res = await connector().runAction({ kind: 'set_alert_status', idempotencyKey: 's1', alertIds: [id], alertStatus: 'acknowledged', comment: 'hivewatch triage' });
    expect(res.state).toBe('done');
    expect(fake.alerts.get(id)!.status).toBe('in_progress');
    expect(fake.server.requests('PATCH', '/alerts/entities/alerts/v3')[0]!.body.action_parameters).toEqual([{ name: 'update_status', value: 'in_progress' }, { name: 'append_comment', value: 'hivewatch triage' }]);
  });

  it('answers unsupported for account actions without a vendor call', async () => {
    expect(await connector().runAction({ kind: 'enable_account', idempotencyKey: 'e1', userId: SID })).toMatchObject({ state: 'unsupported' });
    expect(fake.server.log).toHaveLength(0);
  });

  it('fails with NOT_FOUND for an unknown device', async () => {
    await expect(connector().runAction({ kind: 'isolate_host', idempotencyKey: 'n1', hostId: 'ghost' })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_NOT_FOUND', vendor: 'crowdstrike' });
  });
});

describe('rate limits and failures', () => {
  it('waits until X-Ratelimit-Retryafter (epoch seconds) on 429, then succeeds', async () => {
    const c = connector();
    await c.getHostDetails(AID); // token first
    fake.rateLimit('GET', '/devices/entities/devices/v2', 3);
    const before = clock.now();
    expect((await c.getHostDetails(AID)).agentId).toBe(AID);
    expect(clock.sleeps).toEqual([Math.ceil(before / 1000) * 1000 + 3000 - before]);
    const limited = fake.server.requests('GET', '/devices/entities/devices/v2').find((r) => r.status === 429)!;
    expect(limited).toBeDefined();
  });

  it('fails fast when the epoch in the header is beyond the maximum wait', async () => {
    const c = connector({ maxWaitMs: 10_000 });
    fake.rateLimit('GET', '/devices/entities/devices/v2', 120);
    await expect(c.getHostDetails(AID)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_RATE_LIMITED', vendor: 'crowdstrike', operation: 'getHostDetails' });
  });

  it('retries a 5xx, opens the breaker on repeated failures, recovers half-open', async () => {
    const c = connector({ maxRetries: 0, breakerFailures: 2, breakerCooldownMs: 5_000 });
    await c.getHostDetails(AID);
    fake.server.fault('GET', '/devices/entities/devices/v2', { status: 502, times: 2, body: { meta: {}, resources: [], errors: [{ code: 502, message: 'bad gateway' }] } });
    await expect(c.getHostDetails(AID)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_VENDOR_ERROR', status: 502 });
    await expect(c.getHostDetails(AID)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_VENDOR_ERROR' });
    await expect(c.getAlertsForHost(AID, WINDOW)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_CIRCUIT_OPEN' });
    clock.advance(5_000);
    expect((await c.getHostDetails(AID)).agentId).toBe(AID);
    const r = connector({ maxRetries: 2 });
    fake.server.fault('GET', '/devices/entities/devices/v2', { status: 503, times: 1 });
    expect((await r.getHostDetails(AID)).agentId).toBe(AID);
  });

  it('times out a slow call', async () => {
    const c = connector({ timeoutMs: 80, maxRetries: 0 });
    await c.getHostDetails(AID);
    fake.server.fault('GET', '/devices/entities/devices/v2', { latencyMs: 400 });
    await expect(c.getHostDetails(AID)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_TIMEOUT' });
  });
});

describe('mapping', () => {
  it('splits Windows command lines like CommandLineToArgvW', () => {
    expect(splitWindowsArgs('"C:\\Program Files\\x.exe" a "b c" d\\"e \\\\"f g"')).toEqual(['C:\\Program Files\\x.exe', 'a', 'b c', 'd"e', '\\f g']);
  });
});

describe('investigation round trips (NG-SIEM jobs that wait on no other job)', () => {
  const jobQueries = (): string[] => fake.server.requests('POST', /queryjobs$/).map((r) => String((r.body as { queryString: string }).queryString));

  it('walks the whole ancestry from one host scan: two jobs (the process, the scan) however deep the chain', async () => {
    const res = await connector().getAncestry({ hostId: AID, entityId: '3000' }, 5, WINDOW);
    expect(names(res.events)).toEqual(['cmd.exe', 'explorer.exe']);
    expect(res.coverage).toBe('full');
    const queries = jobQueries();
    expect(queries).toHaveLength(2);
    expect(queries).toContain(`#event_simpleName=ProcessRollup2 aid="${AID}" | head(5000)`);
    const scan = fake.server.requests('POST', /queryjobs$/).find((r) => !String((r.body as { queryString: string }).queryString).includes('TargetProcessId'))!;
    // parents start before the window: the scan looks back a day
    expect(scan.body).toMatchObject({ start: Date.parse(WINDOW.from) - 86_400_000, end: Date.parse(WINDOW.to) });
  });

  it('falls back to one targeted job per missing link when the scan was cut at its limit', async () => {
    const res = await connector({ ancestryScanLimit: 1 }).getAncestry({ hostId: AID, entityId: '3000' }, 5, WINDOW);
    expect(names(res.events)).toEqual(['cmd.exe', 'explorer.exe']);
    expect(res.coverage).toBe('full');
    const targeted = jobQueries().filter((q) => /TargetProcessId="(2000|1000)"/.test(q));
    expect(targeted.length).toBeGreaterThanOrEqual(1);
  });

  it('ends the chain with partial coverage when a parent is in neither the complete scan nor the day before', async () => {
    fake.addEvents([{ '#event_simpleName': 'ProcessRollup2', aid: AID, '@timestamp': Date.parse(at(2)), TargetProcessId: '3100', ParentProcessId: '8888', RawProcessId: '310', ImageFileName: 'C:\\Windows\\System32\\reg.exe' }]);
    const res = await connector().getAncestry({ hostId: AID, entityId: '3100' }, 5, WINDOW);
    expect(res).toMatchObject({ events: [], coverage: 'partial', note: expect.stringMatching(/chain ends at level 1: parent 8888/) });
    expect(jobQueries()).toHaveLength(2); // no per-level job when the scan was complete
  });

  it('takes file events from a host scan filtered to the process tree, started alongside the children lookup', async () => {
    const res = await connector().getFileEvents({ hostId: AID, entityId: '2000' }, WINDOW);
    expect(res.events.map((e) => getField(e, 'file.path'))).toEqual(['\\Device\\HarddiskVolume3\\Users\\Public\\sam.save']); // not 9999's write
    expect(res.coverage).toBe('full');
    // the answer names the equivalent targeted query (the tree's ContextProcessIds)
    expect(res.query).toContain('in(ContextProcessId, values=["2000", "3000", "3001"])');
    expect(jobQueries().some((q) => q.includes('ContextProcessId'))).toBe(false);
  });

  it('runs the targeted tree query when the host scan was cut at its limit', async () => {
    fake.addEvents(Array.from({ length: 3 }, (_, i) => ({ '#event_simpleName': 'GenericFileWritten', aid: AID, '@timestamp': Date.parse(at(3)) + i, ContextProcessId: `77${i}`, TargetFileName: `C:\\noise${i}.tmp` })));
    const res = await connector({ queryLimit: 4 }).getFileEvents({ hostId: AID, entityId: '2000' }, WINDOW);
    expect(res.events.map((e) => getField(e, 'file.path'))).toEqual(['\\Device\\HarddiskVolume3\\Users\\Public\\sam.save']);
    expect(res.coverage).toBe('full');
    expect(jobQueries().some((q) => q.includes('in(ContextProcessId'))).toBe(true);
  });

  it('reads an empty tree on a sensor that sends the category as "none found", and a silent sensor as "not collected"', async () => {
    expect(await connector().getFileEvents({ hostId: AID, entityId: '3001' }, WINDOW)).toMatchObject({ events: [], coverage: 'full' });
    expect(await connector().getFileEvents({ hostId: AID2, entityId: '7000' }, WINDOW)).toMatchObject({ events: [], coverage: 'none', note: expect.stringMatching(/sent no file events/) });
  });

  it('says none for children when the sensor sent no process events at all, probing alongside the query', async () => {
    const res = await connector().getChildProcesses({ hostId: 'aid-never-seen', entityId: '1' }, WINDOW);
    expect(res).toMatchObject({ events: [], coverage: 'none', note: expect.stringMatching(/sent no process events/) });
  });
});
