import axios from 'axios';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getString } from '../../detection/fields.js';
import { CircuitBreaker } from '../../connectors/http/breaker.js';
import { DefenderConnector, mdeEntityId, type DefenderConnectorOptions } from '../../connectors/defender/index.js';
import { createConnector } from '../../connectors/registry.js';
import { ManualClock } from '../fakes/harness.js';
import { DefenderFake } from '../fakes/defender.js';
import { CONTRACT_SCENARIO, T0, iso, pollUntilSettled, runConnectorContract, type ScenarioProcess } from './contract.js';

const entityIdOf = (p: ScenarioProcess) => mdeEntityId(p.hostId, p.pid, p.start)!;

async function setup(overrides: Partial<DefenderConnectorOptions> = {}, fakeOpts: { tokenLifetimeSec?: number } = {}) {
  const clock = new ManualClock(T0 + 2 * 3_600_000);
  const fake = new DefenderFake({ clock, ...fakeOpts });
  await fake.start();
  fake.seedScenario(CONTRACT_SCENARIO);
  const connector = new DefenderConnector({
    tenantId: fake.tenantId,
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    mdeBaseUrl: fake.url,
    graphBaseUrl: fake.url,
    loginBaseUrl: fake.url,
    clock,
    random: () => 0.5,
    breaker: new CircuitBreaker({ clock, failureThreshold: 3, cooldownMs: 30_000 }),
    ...overrides,
  });
  return { clock, fake, connector };
}

runConnectorContract('defender', async () => {
  const { fake, connector } = await setup();
  return { connector, entityIdOf, capabilities: { alertsByRule: false }, close: () => fake.stop() };
});

describe('defender connector', () => {
  const { reg, cmd } = CONTRACT_SCENARIO.processes;
  const host = CONTRACT_SCENARIO.hosts.a.id;
  const window = CONTRACT_SCENARIO.window;
  let env: Awaited<ReturnType<typeof setup>>;
  const started: Awaited<ReturnType<typeof setup>>[] = [];
  const fresh = async (...args: Parameters<typeof setup>) => {
    const made = await setup(...args);
    started.push(made);
    return made;
  };

  beforeAll(async () => {
    env = await fresh();
  });
  afterEach(() => {
    env.fake.server.clearFaults();
  });
  afterAll(async () => {
    for (const made of started) {
      await made.connector.close();
      await made.fake.stop();
    }
  });

  it('sends KQL that pins DeviceId, the window and pid + creation time, and maps rows to ECS', async () => {
    const result = await env.connector.getSiblingProcesses({ hostId: host, entityId: entityIdOf(cmd) }, window);
    expect(result.query).toContain('DeviceProcessEvents');
    expect(result.query).toContain(`| where DeviceId == "${host}"`);
    expect(result.query).toContain('| where InitiatingProcessId == 4100 and InitiatingProcessCreationTime between (datetime(');
    const regEvent = result.events.find((e) => getString(e, 'process.pid') === '4242')!;
    expect(regEvent).toMatchObject({
      event: { kind: 'event', category: ['process'], type: ['start'] },
      host: { id: host, name: CONTRACT_SCENARIO.hosts.a.name },
      process: {
        entity_id: entityIdOf(reg),
        executable: 'C:\\Windows\\System32\\reg.exe', // FolderPath without the image name was joined
        args: ['reg.exe', 'save', 'HKLM\\SAM', 'C:\\Users\\Public\\sam.hive'],
        parent: { entity_id: entityIdOf(cmd), pid: 4100, name: 'cmd.exe' },
      },
      user: { id: CONTRACT_SCENARIO.users.jdoe.id, name: 'jdoe', domain: 'CORP' },
      defender: { account_object_id: 'obj-jdoe' },
    });
    const files = await env.connector.getFileEvents({ hostId: host, entityId: entityIdOf(reg) }, window);
    expect(files.events[0]).toMatchObject({ event: { category: ['file'], type: ['creation'], action: 'FileCreated' }, file: { path: 'C:\\Users\\Public\\sam.hive', name: 'sam.hive' }, process: { pid: 4242, parent: { pid: 4100 } } });
    const net = await env.connector.getNetworkEvents({ hostId: host, entityId: entityIdOf(cmd) }, window);
    expect(net.events[0]).toMatchObject({ destination: { ip: '10.0.0.5', port: 445 }, source: { ip: '10.0.0.21' }, network: { transport: 'tcp' } });
    const byName = await env.connector.getAlertsForUser('CORP\\jdoe', CONTRACT_SCENARIO.alertWindow);
    expect(byName.query).toContain('| where AccountName =~ "jdoe"');
    expect(byName.events).toHaveLength(2);
    const alerts = await env.connector.getAlertsForHost(host, CONTRACT_SCENARIO.alertWindow);
    expect(alerts.query).toContain('join kind=inner (AlertEvidence');
    expect(alerts.events[0]).toMatchObject({ event: { kind: 'signal', severity_name: 'High' }, rule: { name: 'Suspicious registry hive export' } });
  });

  it('walks the ancestry locally in one scan of the device\'s process creations, and says where it stops', async () => {
    const { fake, connector } = await fresh();
    const two = await connector.getAncestry({ hostId: host, entityId: entityIdOf(reg) }, 2, window);
    expect(two.events.map((e) => getString(e, 'process.name'))).toEqual(['cmd.exe', 'explorer.exe']);
    expect(fake.queries).toHaveLength(1);
    expect(fake.queries[0]).toContain(`| where DeviceId == "${host}"`);
    expect(fake.queries[0]).toContain('| order by Timestamp desc');
    expect(fake.queries[0]).not.toContain('ProcessId ==');
    // pid 600 (explorer's parent) would have started inside the scan, which is complete: absent, no more calls.
    const three = await connector.getAncestry({ hostId: host, pid: reg.pid, startTime: reg.start }, 3, window);
    expect(three.events).toHaveLength(2);
    expect(three.coverage).toBe('partial');
    expect(three.note).toMatch(/stops after 2 of 3 levels: no process event for pid 600/);
    expect(fake.queries).toHaveLength(2);
  });

  it('fetches an ancestor older than the scan with one pinned call for two levels (a row names parent and grandparent)', async () => {
    const { fake, connector } = await fresh({ ancestryLookbackMs: 3_600_000 });
    // explorer.exe started 3 h before reg.exe: outside a 1 h scan.
    const two = await connector.getAncestry({ hostId: host, entityId: entityIdOf(reg) }, 3, window);
    expect(two.events.map((e) => getString(e, 'process.name'))).toEqual(['cmd.exe', 'explorer.exe']);
    expect(two.note).toMatch(/stops after 2 of 3 levels: no process event for pid 600/);
    expect(fake.queries).toHaveLength(2);
    expect(fake.queries[1]).toContain('| where (ProcessId == 2000 and ProcessCreationTime between (');
    expect(fake.queries[1]).toContain(') or (ProcessId == 600 and ProcessCreationTime between (');
  });

  it('uses one token per audience and refreshes before expiry', async () => {
    const { fake, connector, clock } = await fresh({}, { tokenLifetimeSec: 100 });
    await connector.getProcessEvent({ hostId: host, entityId: entityIdOf(reg) }, window);
    await connector.runAction({ kind: 'disable_account', idempotencyKey: 'tok-1', userId: 'obj-jdoe' });
    expect([fake.issued('mde'), fake.issued('graph')]).toEqual([1, 1]);
    const scopes = fake.server.requests('POST', `/${fake.tenantId}/oauth2/v2.0/token`).map((r) => r.body.scope);
    expect(scopes.sort()).toEqual(['https://api.securitycenter.microsoft.com/.default', 'https://graph.microsoft.com/.default']);
    clock.advance(50_000);
    await connector.getProcessEvent({ hostId: host, entityId: entityIdOf(reg) }, window);
    expect(fake.issued('mde')).toBe(1);
    clock.advance(35_000); // past 80 % of the 100 s lifetime
    await connector.getProcessEvent({ hostId: host, entityId: entityIdOf(reg) }, window);
    expect(fake.issued('mde')).toBe(2);
  });

  it('re-authenticates once when the vendor rejects a token, and fails with a code when the secret is wrong', async () => {
    const { fake, connector } = await fresh();
    await connector.getHostDetails(host);
    fake.tokens.clear(); // revoked server-side
    await connector.getChildProcesses({ hostId: host, entityId: entityIdOf(reg) }, window);
    expect(connector.mde.stats.reauths).toBe(1);

    const bad = new DefenderConnector({ tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: 'wrong-secret-value', mdeBaseUrl: fake.url, graphBaseUrl: fake.url, loginBaseUrl: fake.url, breaker: new CircuitBreaker() });
    const error = await bad.getHostDetails(host).then(() => null, (e: unknown) => e as Error & { code: string; vendor: string });
    expect(error).toMatchObject({ code: 'HW_ERR_CONNECTOR_AUTH', vendor: 'defender' });
    expect(error!.message).toContain('AADSTS7000215');
    expect(error!.message).not.toContain('wrong-secret-value');
    await bad.close();
  });

  it('waits the Retry-After seconds on 429 and then answers', async () => {
    const { fake, connector, clock } = await fresh();
    fake.server.fault('POST', '/api/advancedqueries/run', { status: 429, headers: { 'Retry-After': '7' }, body: { error: { code: 'TooManyRequests', message: 'Advanced hunting quota: 45 calls per minute exceeded' } } });
    const result = await connector.getChildProcesses({ hostId: host, entityId: entityIdOf(reg) }, window);
    expect(result.events.length).toBe(1);
    expect(clock.sleeps).toContain(7000);
    fake.server.fault('POST', '/api/advancedqueries/run', { status: 429, times: 1, headers: { 'Retry-After': '3600' }, body: { error: { code: 'TooManyRequests', message: 'CPU quota per hour exceeded' } } });
    await expect(connector.getChildProcesses({ hostId: host, entityId: entityIdOf(reg) }, window)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_RATE_LIMITED', operation: 'getChildProcesses' });
  });

  it('retries 5xx, opens the breaker after repeated failures, and closes it after the cool-down', async () => {
    const { fake, connector, clock } = await fresh({ maxRetries: 2 });
    fake.server.fault('GET', '/api/machines/:id', { status: 503, times: 2, body: { error: { code: 'ServiceUnavailable', message: 'try later' } } });
    expect((await connector.getHostDetails(host)).agentId).toBe(host);
    fake.server.fault('POST', '/api/advancedqueries/run', { status: 500, times: 3, body: { error: { code: 'InternalServerError', message: 'boom' } } });
    await expect(connector.getChildProcesses({ hostId: 'other-host', pid: 1 }, window)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_VENDOR_ERROR', vendor: 'defender' });
    // Three consecutive failures opened the breaker: the next call fails fast without reaching the vendor.
    const before = fake.server.log.length;
    await expect(connector.getChildProcesses({ hostId: host, pid: 1 }, window)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_CIRCUIT_OPEN' });
    expect(fake.server.log.length).toBe(before);
    clock.advance(30_000);
    const after = await connector.getChildProcesses({ hostId: host, entityId: entityIdOf(reg) }, window);
    expect(after.events.length).toBe(1);
  });

  it('retries a slow answer that times out', async () => {
    const { fake, connector } = await fresh({ timeoutMs: 150, maxRetries: 1 });
    fake.server.fault('GET', '/api/machines/:id', { latencyMs: 400, times: 1 });
    expect((await connector.getHostDetails(host)).online).toBe(true);
    expect(connector.mde.stats.retries).toBe(1);
    fake.server.fault('GET', '/api/machines/:id', { latencyMs: 400, times: 2 });
    await expect(connector.getHostDetails('h-slow')).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_TIMEOUT' });
  });

  it('reaches the vendor once for the same isolate requested twice (also concurrently) with one key', async () => {
    const { fake, connector } = await fresh();
    const [a, b] = await Promise.all([
      connector.runAction({ kind: 'isolate_host', idempotencyKey: 'case-9:isolate', hostId: host, comment: 'SOAR: SAM hive dump' }),
      connector.runAction({ kind: 'isolate_host', idempotencyKey: 'case-9:isolate', hostId: host, comment: 'SOAR: SAM hive dump' }),
    ]);
    const c = await connector.runAction({ kind: 'isolate_host', idempotencyKey: 'case-9:isolate', hostId: host });
    expect(new Set([a.actionId, b.actionId, c.actionId]).size).toBe(1);
    expect(fake.server.calls('POST', '/api/machines/:id/:action')).toBe(1);
    const body = fake.server.requests('POST', `/api/machines/${host}/isolate`)[0]!.body;
    // The idempotency key rides in the comment, bracketed, for findAction after a crash.
    expect(body).toEqual({ Comment: 'SOAR: SAM hive dump [hw-key:case-9:isolate]', IsolationType: 'Full' });
    expect((await pollUntilSettled(connector, a.actionId, 'isolate_host')).state).toBe('done');
    expect(await connector.getHostDetails(host)).toMatchObject({ isolated: true, online: true, os: 'Windows10 22H2' });
  });

  it('findAction finds an action another process started, by the key in its requestorComment', async () => {
    const { fake, connector, clock } = await fresh();
    const request = { kind: 'isolate_host' as const, idempotencyKey: 'hw-c7-s2-a1', hostId: host, comment: 'hivewatch case c7 step s2' };
    const sent = await connector.runAction(request);
    // Another process: its own connector (and ledger) on the same tenant.
    const other = new DefenderConnector({ tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: fake.clientSecret, mdeBaseUrl: fake.url, graphBaseUrl: fake.url, loginBaseUrl: fake.url, clock, random: () => 0.5, breaker: new CircuitBreaker({ clock, failureThreshold: 3, cooldownMs: 30_000 }) });
    expect(await other.findAction('hw-c7-s2-a1')).toBeNull(); // without the request it cannot ask the vendor
    const lists = fake.server.requests('GET', '/api/machineactions').length;
    expect(await other.findAction('hw-c7-s2-a1', request)).toMatchObject({ actionId: sent.actionId, kind: 'isolate_host', vendor: 'defender' });
    const list = fake.server.requests('GET', '/api/machineactions').slice(lists)[0]!;
    expect(list.query.$filter).toBe(`machineId eq '${host}' and type eq 'Isolate'`);
    // A longer key of the same prefix, or another attempt, is not this action.
    expect(await other.findAction('hw-c7-s2-a10', { ...request, idempotencyKey: 'hw-c7-s2-a10' })).toBeNull();
    expect(await other.findAction('hw-c7-s2-a2', { ...request, idempotencyKey: 'hw-c7-s2-a2' })).toBeNull();
    expect(fake.server.calls('POST', '/api/machines/:id/:action')).toBe(1);
  });

  it('adopts the pending action when MDE answers ActiveRequestAlreadyExists', async () => {
    const { fake, connector } = await fresh();
    const token = (await axios.post(`${fake.url}/${fake.tenantId}/oauth2/v2.0/token`, new URLSearchParams({ grant_type: 'client_credentials', client_id: fake.clientId, client_secret: fake.clientSecret, scope: 'https://api.securitycenter.microsoft.com/.default' }))).data.access_token as string;
    // Someone isolated from the portal a moment ago.
    const portal = await axios.post(`${fake.url}/api/machines/${host}/isolate`, { Comment: 'portal', IsolationType: 'Full' }, { headers: { Authorization: `Bearer ${token}` } });
    expect(portal.status).toBe(201);
    // Body keys are case-sensitive: the fake refuses a lower-case comment.
    const lower = await axios.post(`${fake.url}/api/machines/${host}/unisolate`, { comment: 'x' }, { headers: { Authorization: `Bearer ${token}` }, validateStatus: () => true });
    expect(lower.data.error.code).toBe('InvalidRequestBody');
    const status = await connector.runAction({ kind: 'isolate_host', idempotencyKey: 'case-10:isolate', hostId: host });
    expect(status).toMatchObject({ actionId: portal.data.id, state: 'pending' });
    expect(fake.server.requests('POST', `/api/machines/${host}/isolate`).map((r) => r.status)).toEqual([201, 400]);
  });

  it('reports failed and timed-out machine actions as failed, and an unknown action id as not found', async () => {
    const { fake, connector } = await fresh();
    fake.nextOutcome = 'Failed';
    const iso1 = await connector.runAction({ kind: 'isolate_host', idempotencyKey: 'f-1', hostId: host });
    expect(await pollUntilSettled(connector, iso1.actionId, 'isolate_host')).toMatchObject({ state: 'failed', detail: 'MDE Isolate Failed' });
    fake.nextOutcome = 'TimeOut';
    const rel = await connector.runAction({ kind: 'release_host', idempotencyKey: 'f-2', hostId: host });
    expect(await pollUntilSettled(connector, rel.actionId, 'release_host')).toMatchObject({ state: 'failed', detail: 'MDE Unisolate TimeOut' });
    await expect(connector.getActionStatus('ma-9999', 'isolate_host')).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_NOT_FOUND' });
    await expect(connector.runAction({ kind: 'isolate_host', idempotencyKey: 'f-3', hostId: 'no-such-machine' })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_NOT_FOUND', operation: 'isolate_host' });
  });

  it('kills by pid through a Live Response library script only when one is configured', async () => {
    expect((await env.connector.runAction({ kind: 'kill_process', idempotencyKey: 'k-0', process: { hostId: host, entityId: entityIdOf(reg) } })).state).toBe('unsupported');
    const { fake, connector } = await fresh({ killScriptName: 'stop-pid.ps1' });
    const kill = await connector.runAction({ kind: 'kill_process', idempotencyKey: 'k-1', process: { hostId: host, entityId: entityIdOf(reg) }, comment: 'after evidence capture' });
    expect(fake.server.requests('POST', `/api/machines/${host}/runliveresponse`)[0]!.body.Commands).toEqual([
      { type: 'RunScript', params: [{ key: 'ScriptName', value: 'stop-pid.ps1' }, { key: 'Args', value: '4242' }] },
    ]);
    expect((await pollUntilSettled(connector, kill.actionId, 'kill_process')).state).toBe('done');
    const missing = await fresh({ killScriptName: 'not-uploaded.ps1' });
    await expect(missing.connector.runAction({ kind: 'kill_process', idempotencyKey: 'k-2', process: { hostId: host, pid: 4242 } })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_BAD_REQUEST', message: expect.stringContaining('not found in the library') });
  });

  it('restricts and unrestricts code execution as machine actions', async () => {
    const { fake, connector } = await fresh();
    const restricted = await connector.restrictCodeExecution(host, 'SOAR: restrict');
    expect(restricted.status).toBe('Pending');
    await connector.getMachineAction(restricted.actionId);
    expect((await connector.getMachineAction(restricted.actionId)).status).toBe('Succeeded');
    const lifted = await connector.unrestrictCodeExecution(host, 'SOAR: lift');
    expect((await connector.getMachineAction(lifted.actionId)).type).toBe('UnrestrictCodeExecution');
    expect(fake.server.requests('POST', `/api/machines/${host}/restrictCodeExecution`)[0]!.body).toEqual({ Comment: 'SOAR: restrict' });
  });

  it('disables and re-enables a cloud account through Graph, and refuses a synced one', async () => {
    const { fake, connector } = await fresh();
    const disabled = await connector.runAction({ kind: 'disable_account', idempotencyKey: 'u-1', userId: 'obj-jdoe' });
    expect(disabled).toMatchObject({ state: 'done', actionId: 'graph-account-disable-obj-jdoe' });
    expect(fake.users.get('obj-jdoe')!.accountEnabled).toBe(false);
    expect(fake.server.requests('PATCH', '/v1.0/users/obj-jdoe')[0]!.body).toEqual({ accountEnabled: false });
    expect((await connector.getActionStatus(disabled.actionId, 'disable_account')).state).toBe('done');
    const again = await connector.runAction({ kind: 'disable_account', idempotencyKey: 'u-1', userId: 'obj-jdoe' });
    expect(again.actionId).toBe(disabled.actionId);
    expect(fake.server.requests('PATCH', '/v1.0/users/obj-jdoe')).toHaveLength(1);
    await connector.runAction({ kind: 'enable_account', idempotencyKey: 'u-2', userId: 'jdoe@corp.example' });
    expect(fake.users.get('obj-jdoe')!.accountEnabled).toBe(true);
    // The SID from MDE telemetry resolves to a synced user: on-prem AD must do it.
    const synced = await connector.runAction({ kind: 'disable_account', idempotencyKey: 'u-3', userId: CONTRACT_SCENARIO.users.jdoe.id });
    expect(synced).toMatchObject({ state: 'failed', detail: expect.stringContaining('synced from on-premises AD') });
    expect(fake.users.get('obj-synced')!.accountEnabled).toBe(true);
    expect((await connector.runAction({ kind: 'disable_account', idempotencyKey: 'u-4', userId: 'nobody@corp.example' })).state).toBe('failed');
  });

  it('sets alert status through Graph alerts_v2 and polls it back', async () => {
    const { fake, connector } = await fresh();
    const status = await connector.runAction({ kind: 'set_alert_status', idempotencyKey: 'a-1', alertIds: ['daalert-contract-1'], alertStatus: 'acknowledged' });
    expect(status.state).toBe('done');
    expect(fake.alertsV2.get('daalert-contract-1')!.status).toBe('inProgress');
    expect((await connector.getActionStatus(status.actionId, 'set_alert_status')).state).toBe('done');
    fake.alertsV2.get('daalert-contract-1')!.status = 'new';
    expect((await connector.getActionStatus(status.actionId, 'set_alert_status')).state).toBe('pending');
    const missing = await connector.runAction({ kind: 'set_alert_status', idempotencyKey: 'a-2', alertIds: ['nope'], alertStatus: 'closed' });
    expect(missing).toMatchObject({ state: 'failed', detail: 'alerts not found: nope' });
  });

  it('hunts through Graph runHuntingQuery when configured, with the Graph token', async () => {
    const { fake, connector } = await fresh({ hunting: 'graph' });
    const result = await connector.getProcessEvent({ hostId: host, pid: 4242, startTime: reg.start }, window);
    expect(result.events.map((e) => getString(e, 'process.name'))).toEqual(['reg.exe']);
    expect(fake.server.calls('POST', '/v1.0/security/runHuntingQuery')).toBe(1);
    expect(fake.server.calls('POST', '/api/advancedqueries/run')).toBe(0);
  });

  it('answers coverage none for windows past the 30-day retention without asking', async () => {
    const { fake, connector } = await fresh();
    const old = await connector.getFileEvents({ hostId: host, entityId: entityIdOf(reg) }, { from: iso(-40 * 86_400_000), to: iso(-39 * 86_400_000) });
    expect(old).toMatchObject({ coverage: 'none', events: [] });
    expect(old.note).toMatch(/retention/);
    expect(fake.queries).toHaveLength(0);
    await expect(connector.getProcessEvent({ hostId: host, entityId: 'ent-not-mde' }, window)).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_BAD_REQUEST' });
    expect((await connector.getAlertsForRule('rule', window)).coverage).toBe('none');
  });

  it('is built from config with the secret from the environment, and a missing secret names the setting', async () => {
    const { fake } = await fresh();
    const config = { kind: 'defender', tenantId: fake.tenantId, clientId: fake.clientId, mdeBaseUrl: fake.url, graphBaseUrl: fake.url, loginBaseUrl: fake.url, http: { maxRetries: 0 } };
    const built = await createConnector(config, { env: { HW_DEFENDER_CLIENT_SECRET: fake.clientSecret } });
    expect(built.vendor).toBe('defender');
    expect((await built.getHostDetails(host)).agentId).toBe(host);
    await built.close?.();
    await expect(createConnector(config, { env: {} })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_CONFIG', message: expect.stringContaining('clientSecret is not set') });
    await expect(createConnector({ ...config, hunting: 'kusto' }, { env: {} })).rejects.toMatchObject({ code: 'HW_ERR_CONNECTOR_CONFIG', message: expect.stringContaining('connector.hunting') });
  });
});
