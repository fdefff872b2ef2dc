import axios from 'axios';
import { afterAll, describe, expect, it } from 'vitest';
import { getString } from '../../detection/fields.js';
import { CircuitBreaker } from '../../connectors/http/breaker.js';
import { SentinelOneConnector, type SentinelOneConnectorOptions } from '../../connectors/sentinelone/index.js';
import { createConnector } from '../../connectors/registry.js';
import { ManualClock } from '../fakes/harness.js';
import { SentinelOneFake } from '../fakes/sentinelone.js';
import { CONTRACT_SCENARIO, T0, iso, pollUntilSettled, runConnectorContract } from './contract.js';

const API = '/web/api/v2.1';
const fake0Token = 's1-sdl-service-token-0001';
const started: { fake: SentinelOneFake; connector: SentinelOneConnector }[] = [];

async function setup(overrides: Partial<SentinelOneConnectorOptions> = {}) {
  const clock = new ManualClock(T0 + 2 * 3_600_000);
  const fake = new SentinelOneFake({ clock });
  await fake.start();
  fake.seedScenario(CONTRACT_SCENARIO);
  const connector = new SentinelOneConnector({
    baseUrl: fake.url,
    apiToken: fake.token,
    clock,
    random: () => 0.5,
    breaker: new CircuitBreaker({ clock, failureThreshold: 3, cooldownMs: 30_000 }),
    ...overrides,
  });
  started.push({ fake, connector });
  return { clock, fake, connector };
}

afterAll(async () => {
  for (const { fake, connector } of started) {
    await connector.close();
    await fake.stop();
  }
});

runConnectorContract('sentinelone', async () => {
  const { connector } = await setup();
  return { connector, capabilities: { alertsByRule: false, userIdForAlerts: 'jdoe' } };
}, 'deep visibility');

runConnectorContract('sentinelone', async () => {
  const { connector } = await setup({ engine: 'powerquery', sdlToken: fake0Token });
  return { connector, capabilities: { alertsByRule: false, userIdForAlerts: 'jdoe' } };
}, 'powerquery');

describe('sentinelone connector', () => {
  const { reg, cmd } = CONTRACT_SCENARIO.processes;
  const hostA = CONTRACT_SCENARIO.hosts.a.id;
  const window = CONTRACT_SCENARIO.window;

  it('answers every question about a host and window from one Deep Visibility query, paged by cursor', async () => {
    const { fake, connector } = await setup({ pageSize: 2 });
    const ref = { hostId: hostA, entityId: reg.entityId };
    const results = await Promise.all([
      connector.getProcessEvent(ref, window),
      connector.getSiblingProcesses({ hostId: hostA, entityId: cmd.entityId }, window),
      connector.getChildProcesses(ref, window),
      connector.getFileEvents(ref, window),
      connector.getNetworkEvents({ hostId: hostA, entityId: cmd.entityId }, window),
    ]);
    expect(fake.server.calls('POST', `${API}/dv/init-query`)).toBe(1);
    const init = fake.server.requests('POST', `${API}/dv/init-query`)[0]!;
    expect(init.body).toMatchObject({ fromDate: window.from, toDate: window.to, queryType: ['events'], isVerbose: false });
    expect(init.body.query).toBe(`AgentUUID = "${hostA}" AND EventType In ("Process Creation", "File Creation", "File Modification", "File Rename", "File Deletion", "IP Connect", "IP Listen")`);
    // RUNNING until the fake's second status read, then FINISHED.
    expect(fake.server.calls('GET', `${API}/dv/query-status`)).toBe(2);
    const pages = fake.server.requests('GET', `${API}/dv/events`);
    expect(pages.length).toBeGreaterThan(2);
    expect(pages[0]!.query.cursor).toBeUndefined();
    expect(pages[1]!.query.cursor).toBeTruthy();
    expect(results[0]!.events[0]).toMatchObject({
      event: { kind: 'event', category: ['process'], type: ['start'], action: 'Process Creation' },
      host: { id: hostA, name: 'WS-CONTRACT-01' },
      process: { entity_id: reg.entityId, pid: 4242, command_line: reg.commandLine, parent: { entity_id: cmd.entityId, pid: 4100, name: 'cmd.exe' }, code_signature: { subject_name: 'MICROSOFT WINDOWS' } },
      user: { name: 'jdoe', domain: 'CORP' },
    });
    expect(results[3]!.query).toContain('| EventType In ("File Creation", "File Modification", "File Rename", "File Deletion") AND (SrcProcUID = "ent-reg" OR SrcProcParentUID = "ent-reg")');
    expect(fake.server.requests('GET', `${API}/agents`)[0]!.headers.authorization).toBe(`ApiToken ${fake.token}`);
    expect(fake.server.log.every((r) => !JSON.stringify(r.query).includes(fake.token))).toBe(true);
  });

  it('merges questions with different windows asked together into one query, and reuses it for windows inside', async () => {
    const { fake, connector } = await setup();
    const ref = { hostId: hostA, entityId: reg.entityId };
    const [siblings, children, files] = await Promise.all([
      connector.getSiblingProcesses({ hostId: hostA, entityId: cmd.entityId }, { from: iso(-15 * 60_000), to: iso(15 * 60_000) }),
      connector.getChildProcesses(ref, { from: iso(0), to: iso(30 * 60_000) }),
      connector.getFileEvents(ref, { from: iso(0), to: iso(30 * 60_000) }),
    ]);
    const inits = fake.server.requests('POST', `${API}/dv/init-query`);
    expect(inits).toHaveLength(1);
    expect(inits[0]!.body).toMatchObject({ fromDate: iso(-15 * 60_000), toDate: iso(30 * 60_000) });
    expect(siblings.events.map((e) => getString(e, 'process.name')).sort()).toEqual(['reg.exe', 'whoami.exe']);
    expect(children.events.map((e) => getString(e, 'process.name'))).toEqual(['conhost.exe']);
    expect(files.events).toHaveLength(1);
    // whoami started 30 s before the alert: a window starting at the alert does not show it.
    const later = await connector.getSiblingProcesses({ hostId: hostA, entityId: cmd.entityId }, { from: iso(0), to: iso(60_000) });
    expect(later.events.map((e) => getString(e, 'process.name'))).toEqual(['reg.exe']);
    expect(fake.server.requests('POST', `${API}/dv/init-query`)).toHaveLength(1);
  });

  it('paces init-queries to one a minute, and walks ancestry past the snapshot with one process-creation query', async () => {
    const { fake, connector } = await setup();
    const chain = await connector.getAncestry({ hostId: hostA, entityId: reg.entityId }, 2, { from: iso(-24 * 3_600_000), to: iso(60_000) });
    expect(chain.events.map((e) => getString(e, 'process.name'))).toEqual(['cmd.exe', 'explorer.exe']);
    const inits = fake.server.requests('POST', `${API}/dv/init-query`);
    expect(inits).toHaveLength(2);
    // explorer.exe started 3 h before the alert: one query for the host's process creations finds it.
    expect(inits[1]!.body.query).toBe(`AgentUUID = "${hostA}" AND EventType = "Process Creation"`);
    expect(inits[1]!.at - inits[0]!.at).toBeGreaterThanOrEqual(60_000);
    expect(inits.every((r) => r.status === 200)).toBe(true);
  });

  it('waits out a 429 on init-query with Retry-After, and gives up with a code when no header comes', async () => {
    const { fake, connector, clock } = await setup({ dvInitIntervalMs: 1 });
    await connector.getProcessEvent({ hostId: hostA, entityId: reg.entityId }, window);
    const other = { from: iso(-2 * 3_600_000), to: iso(3_600_000) };
    await connector.getProcessEvent({ hostId: hostA, entityId: reg.entityId }, other);
    expect(fake.server.requests('POST', `${API}/dv/init-query`).map((r) => r.status)).toEqual([200, 429, 200]);
    expect(clock.sleeps.some((ms) => ms >= 55_000 && ms <= 60_000)).toBe(true);
    fake.dvRetryAfter = false;
    await expect(connector.getProcessEvent({ hostId: hostA, entityId: reg.entityId }, { from: iso(-3 * 3_600_000), to: iso(3_600_000) })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_RATE_LIMITED', vendor: 'sentinelone' });
  });

  it('fails a FAILED query, times out a query that never finishes (and cancels it), and reads EMPTY_RESULTS as nothing found', async () => {
    const { fake, connector } = await setup({ dvDeadlineMs: 5_000 });
    fake.dvOutcome = 'FAILED';
    await expect(connector.getChildProcesses({ hostId: hostA, entityId: reg.entityId }, window)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_VENDOR_ERROR', message: expect.stringContaining('ended FAILED') });
    fake.dvOutcome = 'FINISHED';
    fake.server.completeAfterPolls = 1_000;
    await expect(connector.getChildProcesses({ hostId: hostA, entityId: reg.entityId }, { from: iso(-90 * 60_000), to: iso(3_600_000) })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_TIMEOUT' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.server.calls('POST', `${API}/dv/cancel-query`)).toBe(1);
    fake.server.completeAfterPolls = 2;
    const quiet = await connector.getChildProcesses({ hostId: hostA, entityId: reg.entityId }, { from: iso(-30 * 3_600_000), to: iso(-29 * 3_600_000) });
    expect(quiet).toMatchObject({ coverage: 'full', events: [] });
  });

  it('answers coverage none when Deep Visibility is not licensed (403) or the agent is unknown', async () => {
    const { fake, connector } = await setup();
    fake.server.fault('POST', `${API}/dv/init-query`, { status: 403, body: { errors: [{ code: 4030010, title: 'Forbidden', detail: 'Insufficient permissions' }], data: null } });
    const none = await connector.getFileEvents({ hostId: hostA, entityId: reg.entityId }, window);
    expect(none).toMatchObject({ coverage: 'none', events: [] });
    expect(none.note).toMatch(/Complete SKU/);
    const ghost = await connector.getHostDetails('no-such-uuid');
    expect(ghost).toEqual({ hostId: 'no-such-uuid', agentId: null, online: null, isolated: null });
  });

  it('rejects a wrong or expired ApiToken with a code and no secret', async () => {
    const { fake } = await setup();
    const wrong = new SentinelOneConnector({ baseUrl: fake.url, apiToken: 'not-the-token-123', breaker: new CircuitBreaker() });
    const error = await wrong.getHostDetails(hostA).then(() => null, (e: unknown) => e as Error & { code: string });
    expect(error).toMatchObject({ code: 'HW_ERR_CONNECTOR_UNAUTHORIZED', vendor: 'sentinelone' });
    expect(error!.message).not.toContain('not-the-token-123');
    await wrong.close();
    const { fake: fake2, connector } = await setup();
    fake2.expiredTokens.add(fake2.token);
    await expect(connector.getHostDetails(hostA)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_UNAUTHORIZED', message: expect.stringContaining('Token expired') });
  });

  it('retries 429 and 5xx on /agents, then opens the breaker', async () => {
    const { fake, connector, clock } = await setup({ maxRetries: 2 });
    fake.server.fault('GET', `${API}/agents`, { status: 429, headers: { 'Retry-After': '3' }, body: { errors: [{ code: 4290010, title: 'Too Many Requests' }], data: null } });
    expect((await connector.getHostDetails(hostA)).agentId).toBe('170000000000000001');
    expect(clock.sleeps).toContain(3000);
    fake.server.fault('GET', `${API}/agents`, { status: 502, times: 3 });
    await expect(connector.getHostDetails(hostA)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_VENDOR_ERROR' });
    const before = fake.server.log.length;
    await expect(connector.getHostDetails(hostA)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_CIRCUIT_OPEN' });
    expect(fake.server.log.length).toBe(before);
    clock.advance(30_000);
    expect((await connector.getHostDetails(hostA)).online).toBe(true);
  });

  it('times out a slow console and retries the read', async () => {
    const { fake, connector } = await setup({ timeoutMs: 150, maxRetries: 1 });
    fake.server.fault('GET', `${API}/agents`, { latencyMs: 400, times: 1 });
    expect((await connector.getHostDetails(hostA)).hostName).toBe('WS-CONTRACT-01');
    expect(connector.http.stats.retries).toBe(1);
    fake.server.fault('GET', `${API}/agents`, { latencyMs: 400, times: 2 });
    await expect(connector.getHostDetails(hostA)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_TIMEOUT', operation: 'getHostDetails' });
  });

  it('quarantines exactly one agent by explicit id, polls networkStatus to done, and reaches the vendor once per key', async () => {
    const { fake, connector } = await setup();
    const first = await connector.runAction({ kind: 'isolate_host', idempotencyKey: 'case-1:isolate', hostId: hostA });
    const second = await connector.runAction({ kind: 'isolate_host', idempotencyKey: 'case-1:isolate', hostId: hostA });
    expect(second.actionId).toBe(first.actionId);
    const posts = fake.server.requests('POST', `${API}/agents/actions/disconnect`);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body).toEqual({ filter: { ids: ['170000000000000001'] }, data: {} });
    expect(fake.agents.get('170000000000000002')!.networkStatus).toBe('connected'); // the other agent is untouched
    expect(await pollUntilSettled(connector, first.actionId, 'isolate_host')).toMatchObject({ state: 'done', detail: 'networkStatus disconnected' });
    expect(fake.activities.map((a) => a.activityType)).toEqual([1001]);
    expect((await connector.getHostDetails(hostA)).isolated).toBe(true);
    // Already disconnected: a new request sends nothing and says so.
    const again = await connector.runAction({ kind: 'isolate_host', idempotencyKey: 'case-2:isolate', hostId: hostA });
    expect(again).toMatchObject({ state: 'done', detail: expect.stringContaining('already disconnected; nothing sent') });
    expect(fake.server.requests('POST', `${API}/agents/actions/disconnect`)).toHaveLength(1);
    const release = await connector.runAction({ kind: 'release_host', idempotencyKey: 'case-1:release', hostId: hostA });
    expect((await pollUntilSettled(connector, release.actionId, 'release_host')).state).toBe('done');
    expect(fake.activities.map((a) => a.activityType)).toEqual([1001, 1002]);
  });

  it('adopts a quarantine already under way (another worker sent it; the API carries no key): nothing sent again', async () => {
    const { fake, connector } = await setup();
    Object.assign(fake.agents.get('170000000000000001')!, { networkStatus: 'disconnecting', pendingReads: 5 });
    const adopted = await connector.runAction({ kind: 'isolate_host', idempotencyKey: 'hw-c1-s3-a1', hostId: hostA });
    expect(adopted).toMatchObject({ state: 'pending', detail: expect.stringContaining('already disconnecting; adopted, nothing sent') });
    expect(fake.server.requests('POST', `${API}/agents/actions/disconnect`)).toHaveLength(0);
    expect(await connector.findAction('hw-c1-s3-a1', { kind: 'isolate_host', idempotencyKey: 'hw-c1-s3-a1', hostId: hostA })).toMatchObject({ actionId: adopted.actionId });
  });

  it('treats affected 0 and affected > 1 as errors (the filter-selects-agents pitfall)', async () => {
    const { fake, connector } = await setup();
    // The fake behaves like the API: a body without ids would select the whole fleet.
    const fleet = await axios.post(`${fake.url}${API}/agents/actions/connect`, { filter: {}, data: {} }, { headers: { Authorization: `ApiToken ${fake.token}` } });
    expect(fleet.data.data.affected).toBe(2);
    fake.server.fault('POST', `${API}/agents/actions/:verb`, { status: 200, body: { data: { affected: 0 } } });
    await expect(connector.runAction({ kind: 'isolate_host', idempotencyKey: 'p-1', hostId: hostA })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_NOT_FOUND', message: expect.stringContaining('affected 0') });
    fake.server.fault('POST', `${API}/agents/actions/:verb`, { status: 200, body: { data: { affected: 2 } } });
    await expect(connector.runAction({ kind: 'isolate_host', idempotencyKey: 'p-2', hostId: hostA })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_BAD_RESPONSE', message: expect.stringContaining('reported affected 2') });
    await expect(connector.runAction({ kind: 'isolate_host', idempotencyKey: 'p-3', hostId: 'unknown-uuid' })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_NOT_FOUND' });
  });

  it('reports a failed disconnect from activity 2010', async () => {
    const { fake, connector } = await setup();
    fake.agents.get('170000000000000001')!.failNextDisconnect = true;
    const status = await connector.runAction({ kind: 'isolate_host', idempotencyKey: 'f-1', hostId: hostA });
    expect(await pollUntilSettled(connector, status.actionId, 'isolate_host')).toMatchObject({ state: 'failed', detail: expect.stringContaining('failed to disconnect') });
  });

  it('sets threat and STAR alert incident status, and reports missing ids as failed', async () => {
    const { fake, connector } = await setup();
    fake.starAlerts.push({ alertInfo: { alertId: 'star-1', createdAt: iso(1000), incidentStatus: 'unresolved' }, ruleInfo: { name: 'Hive dump STAR', severity: 'High' }, agentDetectionInfo: { uuid: hostA, name: 'WS-CONTRACT-01' }, sourceProcessInfo: { name: 'reg.exe', pid: '4242', user: 'CORP\\jdoe' } });
    const host = await connector.getAlertsForHost(hostA, CONTRACT_SCENARIO.alertWindow);
    expect(host.events.map((e) => getString(e, 'event.id'))).toEqual(['alert-contract-0', 'star:star-1', 'alert-contract-1']);
    const set = await connector.runAction({ kind: 'set_alert_status', idempotencyKey: 's-1', alertIds: ['alert-contract-1', 'star:star-1'], alertStatus: 'acknowledged' });
    expect(set.state).toBe('done');
    expect(fake.threats.find((t) => t.id === 'alert-contract-1')!.threatInfo.incidentStatus).toBe('in_progress');
    expect(fake.starAlerts[0]!.alertInfo.incidentStatus).toBe('in_progress');
    expect(fake.server.requests('POST', `${API}/threats/incident`)[0]!.body).toEqual({ filter: { ids: ['alert-contract-1'] }, data: { incidentStatus: 'in_progress' } });
    expect((await connector.getActionStatus(set.actionId, 'set_alert_status')).state).toBe('done');
    const missing = await connector.runAction({ kind: 'set_alert_status', idempotencyKey: 's-2', alertIds: ['nope'], alertStatus: 'closed' });
    expect(missing).toMatchObject({ state: 'failed', detail: expect.stringContaining('affected 0 of 1') });
  });

  it('says why kill and account actions are unsupported, and that users are names not SIDs', async () => {
    const { connector } = await setup();
    const kill = await connector.runAction({ kind: 'kill_process', idempotencyKey: 'u-1', process: { hostId: hostA, entityId: reg.entityId } });
    expect(kill).toMatchObject({ state: 'unsupported', detail: expect.stringContaining('kills every process of a name') });
    expect((await connector.runAction({ kind: 'disable_account', idempotencyKey: 'u-2', userId: 'jdoe' })).detail).toMatch(/identity provider/);
    expect(await connector.findAction('u-1')).toBeNull();
    const bySid = await connector.getAlertsForUser(CONTRACT_SCENARIO.users.jdoe.id, CONTRACT_SCENARIO.alertWindow);
    expect(bySid.coverage).toBe('none');
    await expect(connector.getActionStatus('bogus', 'isolate_host')).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_NOT_FOUND' });
  });

  it('is built from config with the token from a *_FILE, and a missing token names the setting', async () => {
    const { fake } = await setup();
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'hw-s1-'));
    await writeFile(join(dir, 'token'), `${fake.token}\n`);
    const built = await createConnector({ kind: 'sentinelone', baseUrl: fake.url }, { env: { HW_SENTINELONE_API_TOKEN_FILE: join(dir, 'token') } });
    expect(built.vendor).toBe('sentinelone');
    expect((await built.getHostDetails(hostA)).agentId).toBe('170000000000000001');
    await built.close?.();
    await rm(dir, { recursive: true, force: true });
    await expect(createConnector({ kind: 'sentinelone', baseUrl: fake.url }, { env: {} })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_CONFIG', message: expect.stringContaining('apiToken is not set') });
  });

  it('without an init-query budget (PowerQuery) starts the ancestry lineage query with the events query; under DV pacing an unknown host spends no init-query', async () => {
    const { fake, connector } = await setup({ engine: 'powerquery', sdlToken: fake0Token });
    fake.server.latencyMs = 30; // every request is logged on arrival, answered 30 ms later
    const ref = { hostId: hostA, entityId: reg.entityId };
    const [chain, children] = await Promise.all([connector.getAncestry(ref, 2, window), connector.getChildProcesses(ref, window)]);
    expect(chain.events.map((e) => getString(e, 'process.name'))).toEqual(['cmd.exe', 'explorer.exe']);
    expect(children.events.map((e) => getString(e, 'process.name'))).toEqual(['conhost.exe']);
    const sdl = fake.server.log.filter((r) => r.path.startsWith('/sdl/'));
    // Both launches go out before either query is polled: one round of queries, not two in a row.
    expect(sdl.slice(0, 2).map((r) => r.method)).toEqual(['POST', 'POST']);
    expect(sdl.slice(0, 2).map((r) => r.body.pq.query).sort()).toEqual([
      expect.stringMatching(/event\.type = 'Process Creation' \|/),
      expect.stringMatching(/event\.type in \('Process Creation', 'File Creation'/),
    ]);
    expect(sdl.filter((r) => r.method === 'POST')).toHaveLength(2);
    fake.server.latencyMs = 0;
    const ghost = await connector.getFileEvents({ hostId: 'no-such-uuid', entityId: 'x' }, window);
    expect(ghost).toMatchObject({ coverage: 'none', events: [] });

    const paced = await setup();
    const none = await paced.connector.getFileEvents({ hostId: 'no-such-uuid', entityId: 'x' }, window);
    expect(none).toMatchObject({ coverage: 'none', events: [] });
    expect(paced.fake.server.calls('POST', `${API}/dv/init-query`)).toBe(0);
  });

  it('queries through SDL PowerQuery when configured: Bearer token, forward tag echoed as it changes, query deleted, no DV pacing', async () => {
    const { fake, connector } = await setup({ engine: 'powerquery', sdlToken: fake0Token });
    const [one, other] = await Promise.all([
      connector.getChildProcesses({ hostId: hostA, entityId: reg.entityId }, window),
      connector.getProcessEvent({ hostId: CONTRACT_SCENARIO.hosts.b.id, entityId: 'ent-b-svc' }, window),
    ]);
    expect(one.events.map((e) => getString(e, 'process.name'))).toEqual(['conhost.exe']);
    expect(one.events[0]).toMatchObject({ process: { entity_id: 'ent-conhost', pid: 4250, parent: { entity_id: reg.entityId, pid: 4242 } } });
    expect(other.events).toHaveLength(1);
    expect(fake.server.calls('POST', `${API}/dv/init-query`)).toBe(0);
    const launches = fake.server.requests('POST', '/sdl/v2/api/queries');
    expect(launches).toHaveLength(2);
    expect(launches[0]!.headers.authorization).toBe(`Bearer ${fake0Token}`);
    expect(launches[0]!.body).toMatchObject({ queryType: 'PQ', startTime: window.from, endTime: window.to, tenant: true, pq: { resultType: 'TABLE' } });
    expect(launches[0]!.body.pq.query).toMatch(/^agent\.uuid = 'contract-host-(a|b)' event\.type in \('Process Creation', /);
    const polls = fake.server.requests('GET', /^\/sdl\/v2\/api\/queries\//);
    expect(polls.every((r) => r.status === 200)).toBe(true);
    expect(new Set(polls.map((r) => r.headers['x-dataset-query-forward-tag'])).size).toBe(polls.length);
    expect(fake.server.requests('DELETE', /^\/sdl\/v2\/api\/queries\//).map((r) => r.status)).toEqual([204, 204]);
    expect(() => new SentinelOneConnector({ baseUrl: fake.url, apiToken: fake.token, engine: 'powerquery' })).toThrow(/sdlToken is empty/);
  });
});
