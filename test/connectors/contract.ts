// The connector contract: one investigation scenario, written in ECS, that every connector must answer the
// same way once its fake (or dataset) is seeded with it. A vendor test translates `CONTRACT_SCENARIO` into its
// vendor's records, then calls `runConnectorContract`.
//
//   runConnectorContract('defender', async () => {
//     const fake = await startDefenderFake(); fake.seedScenario(CONTRACT_SCENARIO);
//     return { connector: makeDefender(fake.url), close: () => fake.close(), entityIdOf: (p) => mdeEntity(p) };
//   });
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getString } from '../../detection/fields.js';
import type { ActionKind, Connector, EcsEvent, ProcessRef, QueryResult, TimeWindow } from '../../connectors/types.js';

export const T0 = Date.parse('2026-11-20T10:00:00.000Z');
export const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;

export interface ScenarioProcess {
  key: 'explorer' | 'cmd' | 'reg' | 'whoami' | 'conhost' | 'oldHolder4242' | 'oldChild4100' | 'hostBProc';
  hostId: string;
  hostName: string;
  entityId: string;
  pid: number;
  start: string;
  name: string;
  executable: string;
  commandLine: string;
  parent: { entityId: string; pid: number; start: string } | null;
  user: { id: string; name: string; domain: string };
}

const HOST_A = { id: 'contract-host-a', name: 'ws-contract-01.corp.example', agent: 'agent-contract-a' };
const HOST_B = { id: 'contract-host-b', name: 'srv-contract-02.corp.example', agent: 'agent-contract-b' };
const JDOE = { id: 'S-1-5-21-1111-2222-3333-1001', name: 'jdoe', domain: 'CORP' };
const SYSTEM = { id: 'S-1-5-18', name: 'SYSTEM', domain: 'NT AUTHORITY' };
export const RULE_ID = 'a7e7bfa3-088e-4f13-b29e-3986e0e756b8';

function proc(p: Omit<ScenarioProcess, 'hostId' | 'hostName'>, host = HOST_A): ScenarioProcess {
  return { ...p, hostId: host.id, hostName: host.name };
}

const explorer = proc({ key: 'explorer', entityId: 'ent-explorer', pid: 2000, start: iso(-3 * HOUR), name: 'explorer.exe', executable: 'C:\\Windows\\explorer.exe', commandLine: 'C:\\Windows\\Explorer.EXE', parent: { entityId: 'ent-userinit-gone', pid: 600, start: iso(-3 * HOUR - 2000) }, user: JDOE });
const cmd = proc({ key: 'cmd', entityId: 'ent-cmd', pid: 4100, start: iso(-10 * MIN), name: 'cmd.exe', executable: 'C:\\Windows\\System32\\cmd.exe', commandLine: '"C:\\Windows\\System32\\cmd.exe"', parent: { entityId: explorer.entityId, pid: explorer.pid, start: explorer.start }, user: JDOE });
const reg = proc({ key: 'reg', entityId: 'ent-reg', pid: 4242, start: iso(0), name: 'reg.exe', executable: 'C:\\Windows\\System32\\reg.exe', commandLine: 'reg.exe save HKLM\\SAM C:\\Users\\Public\\sam.hive', parent: { entityId: cmd.entityId, pid: cmd.pid, start: cmd.start }, user: JDOE });
const whoami = proc({ key: 'whoami', entityId: 'ent-whoami', pid: 4300, start: iso(-30_000), name: 'whoami.exe', executable: 'C:\\Windows\\System32\\whoami.exe', commandLine: 'whoami /priv', parent: { entityId: cmd.entityId, pid: cmd.pid, start: cmd.start }, user: JDOE });
const conhost = proc({ key: 'conhost', entityId: 'ent-conhost', pid: 4250, start: iso(100), name: 'conhost.exe', executable: 'C:\\Windows\\System32\\conhost.exe', commandLine: '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1', parent: { entityId: reg.entityId, pid: reg.pid, start: reg.start }, user: JDOE });
// Earlier holders of the same pids: a correct connector never mixes them into this investigation.
const oldHolder4242 = proc({ key: 'oldHolder4242', entityId: 'ent-old-4242', pid: 4242, start: iso(-5 * HOUR), name: 'notepad.exe', executable: 'C:\\Windows\\System32\\notepad.exe', commandLine: 'notepad.exe', parent: { entityId: explorer.entityId, pid: explorer.pid, start: explorer.start }, user: JDOE });
const oldChild4100 = proc({ key: 'oldChild4100', entityId: 'ent-old-child-4100', pid: 5100, start: iso(-5 * HOUR + 5000), name: 'ping.exe', executable: 'C:\\Windows\\System32\\PING.EXE', commandLine: 'ping 10.9.9.9', parent: { entityId: 'ent-old-4100', pid: 4100, start: iso(-5 * HOUR) }, user: JDOE });
const hostBProc = proc({ key: 'hostBProc', entityId: 'ent-b-svc', pid: 900, start: iso(-20 * MIN), name: 'svchost.exe', executable: 'C:\\Windows\\System32\\svchost.exe', commandLine: 'svchost.exe -k netsvcs', parent: null, user: SYSTEM }, HOST_B);

export interface ScenarioFileEvent { process: ScenarioProcess; at: string; action: 'creation' | 'overwrite'; path: string }
export interface ScenarioNetworkEvent { process: ScenarioProcess; at: string; destinationIp: string; destinationPort: number; sourceIp: string; sourcePort: number }
export interface ScenarioAlert { id: string; at: string; hostId: string; hostName: string; userId: string; userName: string; ruleId: string; ruleName: string; process: ScenarioProcess; status: 'open' }

const hiveWrite: ScenarioFileEvent = { process: reg, at: iso(500), action: 'creation', path: 'C:\\Users\\Public\\sam.hive' };
const smbOut: ScenarioNetworkEvent = { process: cmd, at: iso(2000), destinationIp: '10.0.0.5', destinationPort: 445, sourceIp: '10.0.0.21', sourcePort: 50123 };

const RULE_NAME = 'Credential Acquisition via Registry Hive Dumping';
const alertNow: ScenarioAlert = { id: 'alert-contract-1', at: iso(5000), hostId: HOST_A.id, hostName: HOST_A.name, userId: JDOE.id, userName: JDOE.name, ruleId: RULE_ID, ruleName: RULE_NAME, process: reg, status: 'open' };
const alertEarlier: ScenarioAlert = { id: 'alert-contract-0', at: iso(-20 * HOUR), hostId: HOST_A.id, hostName: HOST_A.name, userId: JDOE.id, userName: JDOE.name, ruleId: RULE_ID, ruleName: RULE_NAME, process: oldHolder4242, status: 'open' };

/** The seeded dataset, in vendor-neutral terms; `toEcs` gives the same as ECS documents. */
export const CONTRACT_SCENARIO = {
  hosts: { a: HOST_A, b: HOST_B },
  users: { jdoe: JDOE },
  processes: { explorer, cmd, reg, whoami, conhost, oldHolder4242, oldChild4100, hostBProc },
  fileEvents: [hiveWrite],
  networkEvents: [smbOut],
  alerts: [alertEarlier, alertNow],
  /** The investigation window around the alert (tight: the old pid holders fall outside it). */
  window: { from: iso(-HOUR), to: iso(HOUR) } satisfies TimeWindow,
  /** Alert history: the last 48 h. */
  alertWindow: { from: iso(-48 * HOUR), to: iso(HOUR) } satisfies TimeWindow,
  assets: [
    { 'host.id': HOST_A.id, 'host.name': HOST_A.name, role: 'workstation', criticality: 'medium', isolation_allowed: true, owner: 'it-workplace', tags: ['contract'] },
    { 'host.id': HOST_B.id, 'host.name': HOST_B.name, role: 'server', criticality: 'high', isolation_allowed: false, owner: 'it-infra', tags: ['contract'] },
  ],
} as const;

export type ContractScenario = typeof CONTRACT_SCENARIO;

function hostEcs(hostId: string): Record<string, unknown> {
  const host = hostId === HOST_A.id ? HOST_A : HOST_B;
  return { host: { id: host.id, name: host.name, os: { family: 'windows', name: 'Windows 10 Pro', type: 'windows' } }, agent: { id: host.agent, type: 'endpoint' } };
}

function processEcs(p: ScenarioProcess): Record<string, unknown> {
  return {
    entity_id: p.entityId,
    pid: p.pid,
    name: p.name,
    executable: p.executable,
    command_line: p.commandLine,
    args: p.commandLine.split(' '),
    start: p.start,
    ...(p.parent ? { parent: { entity_id: p.parent.entityId, pid: p.parent.pid, start: p.parent.start } } : {}),
  };
}

/** The scenario as ECS documents (what replay and Elastic store). */
export function scenarioToEcs(s: ContractScenario = CONTRACT_SCENARIO): EcsEvent[] {
  const docs: EcsEvent[] = [];
  for (const p of Object.values(s.processes) as ScenarioProcess[]) {
    docs.push({ '@timestamp': p.start, event: { kind: 'event', category: ['process'], type: ['start'], action: 'start' }, ...hostEcs(p.hostId), process: processEcs(p), user: p.user });
  }
  for (const f of s.fileEvents as readonly ScenarioFileEvent[]) {
    docs.push({ '@timestamp': f.at, event: { kind: 'event', category: ['file'], type: ['creation'], action: f.action }, ...hostEcs(f.process.hostId), process: processEcs(f.process), file: { path: f.path, name: f.path.split('\\').pop() }, user: f.process.user });
  }
  for (const n of s.networkEvents as readonly ScenarioNetworkEvent[]) {
    docs.push({ '@timestamp': n.at, event: { kind: 'event', category: ['network'], type: ['start', 'connection'], action: 'connection_attempted' }, ...hostEcs(n.process.hostId), process: processEcs(n.process), source: { ip: n.sourceIp, port: n.sourcePort }, destination: { ip: n.destinationIp, port: n.destinationPort }, network: { transport: 'tcp', direction: 'egress' } });
  }
  for (const a of s.alerts as readonly ScenarioAlert[]) {
    docs.push({
      '@timestamp': a.at,
      'event.kind': 'signal',
      'kibana.alert.uuid': a.id,
      'kibana.alert.rule.rule_id': a.ruleId,
      'kibana.alert.rule.name': a.ruleName,
      'kibana.alert.workflow_status': a.status,
      ...hostEcs(a.hostId),
      user: { id: a.userId, name: a.userName },
      process: processEcs(a.process),
    });
  }
  return docs;
}

export interface ContractFixture {
  connector: Connector;
  /** The vendor's entity id for a scenario process (Defender synthesizes one); default: the scenario's. */
  entityIdOf?: (p: ScenarioProcess) => string;
  /** What the vendor can answer; every capability defaults to true. */
  capabilities?: {
    /** Alerts by an Elastic rule id. */
    alertsByRule?: boolean;
    /** Alerts by `user.id` (a SID); S1 only knows user names. */
    alertsByUserId?: boolean;
    /** The user id to ask alerts for, when the vendor keys users differently (default the SID). */
    userIdForAlerts?: string;
  };
  close?: () => Promise<void>;
}

const pidsOf = (result: QueryResult, path = 'process.pid'): number[] =>
  result.events.map((e) => Number(getString(e, path))).sort((a, b) => a - b);

/** Polls an action until it leaves `pending` (bounded: a contract fake completes within a few polls). */
export async function pollUntilSettled(connector: Connector, actionId: string, kind: ActionKind, maxPolls = 20) {
  let status = await connector.getActionStatus(actionId, kind);
  for (let i = 0; i < maxPolls && status.state === 'pending'; i++) status = await connector.getActionStatus(actionId, kind);
  return status;
}

/** `name` is the vendor the connector must report; `variant` tells apart two runs of one vendor (e.g. an engine). */
export function runConnectorContract(name: string, setup: () => Promise<ContractFixture>, variant?: string): void {
  describe(`connector contract: ${name}${variant ? ` (${variant})` : ''}`, () => {
    let fx: ContractFixture;
    let c: Connector;
    const s = CONTRACT_SCENARIO;
    const { reg, cmd, explorer, whoami, conhost } = s.processes;
    const byEntity = (p: ScenarioProcess): ProcessRef => ({ hostId: p.hostId, entityId: fx.entityIdOf ? fx.entityIdOf(p) : p.entityId });
    const byPid = (p: ScenarioProcess): ProcessRef => ({ hostId: p.hostId, pid: p.pid, startTime: p.start });

    beforeAll(async () => {
      fx = await setup();
      c = fx.connector;
    });
    afterAll(async () => {
      await c?.close?.();
      await fx?.close?.();
    });

    it('names its vendor and declares its actions with consistent inverses', () => {
      expect(c.vendor).toBe(name);
      const kinds = new Set(c.actions.map((a) => a.kind));
      expect(kinds.size).toBe(c.actions.length);
      for (const action of c.actions) {
        expect(action.description.length).toBeGreaterThan(0);
        if (action.reversible) expect(action.inverse).not.toBeNull();
        else expect(action.inverse).toBeNull();
      }
    });

    it('finds the original process event by entity id', async () => {
      const result = await c.getProcessEvent(byEntity(reg), s.window);
      expect(result.coverage).toBe('full');
      expect(result.events.length).toBeGreaterThanOrEqual(1);
      for (const e of result.events) {
        expect(getString(e, 'host.id')).toBe(reg.hostId);
        expect(Number(getString(e, 'process.pid'))).toBe(4242);
        expect(getString(e, 'process.command_line')).toBe(reg.commandLine);
      }
      expect(result.query.length).toBeGreaterThan(0);
      expect(result.window).toEqual(s.window);
    });

    it('finds the process by host + pid + start time, never the earlier holder of the pid', async () => {
      const result = await c.getProcessEvent(byPid(reg), s.window);
      expect(result.coverage).toBe('full');
      expect(result.events.length).toBeGreaterThanOrEqual(1);
      for (const e of result.events) expect(getString(e, 'process.name')?.toLowerCase()).toBe('reg.exe');
      // Even over a wide window, the start time keeps the notepad that once held pid 4242 out.
      const wide = await c.getProcessEvent(byPid(reg), { from: iso(-6 * HOUR), to: iso(HOUR) });
      expect(wide.events.map((e) => getString(e, 'process.name')?.toLowerCase())).not.toContain('notepad.exe');
    });

    it('lists processes of the same parent (by entity id and by parent pid in the window)', async () => {
      const byId = await c.getSiblingProcesses(byEntity(cmd), s.window);
      expect(byId.coverage).toBe('full');
      expect(pidsOf(byId)).toEqual([whoami.pid, reg.pid].sort((a, b) => a - b));
      const byParentPid = await c.getSiblingProcesses(byPid(cmd), s.window);
      expect(pidsOf(byParentPid)).toEqual([whoami.pid, reg.pid].sort((a, b) => a - b));
      // The ping started 5 h ago under an earlier pid 4100 is never a sibling.
      const wide = await c.getSiblingProcesses(byPid(cmd), { from: iso(-6 * HOUR), to: iso(HOUR) });
      expect(pidsOf(wide)).not.toContain(5100);
    });

    it('lists the children of reg.exe', async () => {
      const result = await c.getChildProcesses(byEntity(reg), s.window);
      expect(result.coverage).toBe('full');
      expect(pidsOf(result)).toEqual([conhost.pid]);
      const none = await c.getChildProcesses(byEntity(conhost), s.window);
      expect(none.coverage).toBe('full');
      expect(none.events).toEqual([]);
    });

    it('walks the ancestry nearest first, up to N levels', async () => {
      const two = await c.getAncestry(byEntity(reg), 2, s.window);
      expect(two.events.map((e) => Number(getString(e, 'process.pid')))).toEqual([cmd.pid, explorer.pid]);
      const one = await c.getAncestry(byPid(reg), 1, s.window);
      expect(one.events.map((e) => Number(getString(e, 'process.pid')))).toEqual([cmd.pid]);
    });

    it('returns the file events of the process and of its children', async () => {
      const own = await c.getFileEvents(byEntity(reg), s.window);
      expect(own.coverage).toBe('full');
      expect(own.events.map((e) => getString(e, 'file.path'))).toContain('C:\\Users\\Public\\sam.hive');
      const viaChild = await c.getFileEvents(byEntity(cmd), s.window);
      expect(viaChild.events.map((e) => getString(e, 'file.path'))).toContain('C:\\Users\\Public\\sam.hive');
    });

    it('returns network events, and "looked, found nothing" as full coverage with no events', async () => {
      const parent = await c.getNetworkEvents(byEntity(cmd), s.window);
      expect(parent.coverage).toBe('full');
      expect(parent.events.map((e) => getString(e, 'destination.ip'))).toContain('10.0.0.5');
      expect(parent.events.map((e) => Number(getString(e, 'destination.port')))).toContain(445);
      const quiet = await c.getNetworkEvents(byEntity(reg), s.window);
      expect(quiet.coverage).toBe('full');
      expect(quiet.events).toEqual([]);
    });

    it('answers "no telemetry" (coverage none) for a host the source has never seen', async () => {
      const ghost: ProcessRef = { hostId: 'contract-host-unknown', pid: 4242, startTime: reg.start };
      for (const result of [
        await c.getProcessEvent(ghost, s.window),
        await c.getFileEvents(ghost, s.window),
        await c.getNetworkEvents(ghost, s.window),
      ]) {
        expect(result.coverage).toBe('none');
        expect(result.events).toEqual([]);
        expect(result.note ?? '').not.toBe('');
      }
    });

    it('returns alerts (event.kind signal) for the host and the user over 48 h', async () => {
      const host = await c.getAlertsForHost(reg.hostId, s.alertWindow);
      expect(host.coverage).toBe('full');
      expect(host.events.length).toBe(2);
      for (const e of host.events) {
        expect(getString(e, 'event.kind')).toBe('signal');
        expect(getString(e, 'host.id')).toBe(reg.hostId);
      }
      const recent = await c.getAlertsForHost(reg.hostId, { from: iso(-HOUR), to: iso(HOUR) });
      expect(recent.events.length).toBe(1);
      if (fx.capabilities?.alertsByUserId !== false) {
        const user = await c.getAlertsForUser(fx.capabilities?.userIdForAlerts ?? s.users.jdoe.id, s.alertWindow);
        expect(user.coverage).toBe('full');
        expect(user.events.length).toBe(2);
        for (const e of user.events) expect(getString(e, 'event.kind')).toBe('signal');
      }
      const nobody = await c.getAlertsForHost('contract-host-unknown', s.alertWindow);
      expect(nobody.events).toEqual([]);
    });

    it('returns prior alerts of the rule when the source knows rule ids', async () => {
      if (fx.capabilities?.alertsByRule === false) {
        expect(c.vendor).toBe(name); // declared unsupported by the fixture: nothing to ask
        return;
      }
      const result = await c.getAlertsForRule(RULE_ID, s.alertWindow);
      expect(result.events.length).toBe(2);
      const other = await c.getAlertsForRule('00000000-0000-0000-0000-000000000000', s.alertWindow);
      expect(other.events).toEqual([]);
    });

    it('gives host details with the agent id actions need, and null for an unknown host', async () => {
      const details = await c.getHostDetails(reg.hostId);
      expect(details.hostId).toBe(reg.hostId);
      expect(details.agentId).toBeTruthy();
      const unknown = await c.getHostDetails('contract-host-unknown');
      expect(unknown.agentId).toBeNull();
    });

    it('isolates under an idempotency key once, polls it to done, and finds it by key', async () => {
      if (!c.actions.some((a) => a.kind === 'isolate_host')) return;
      const key = `contract-isolate-${name}-${Date.now()}`;
      const first = await c.runAction({ kind: 'isolate_host', idempotencyKey: key, hostId: reg.hostId, comment: 'contract test' });
      expect(['pending', 'done']).toContain(first.state);
      expect(first.kind).toBe('isolate_host');
      expect(first.vendor).toBe(name);
      const again = await c.runAction({ kind: 'isolate_host', idempotencyKey: key, hostId: reg.hostId, comment: 'contract test' });
      expect(again.actionId).toBe(first.actionId);
      expect((await c.findAction(key))?.actionId).toBe(first.actionId);
      const settled = await pollUntilSettled(c, first.actionId, 'isolate_host');
      expect(settled.state).toBe('done');
      expect(await c.findAction(`${key}-never-used`)).toBeNull();
      const release = await c.runAction({ kind: 'release_host', idempotencyKey: `${key}-release`, hostId: reg.hostId, comment: 'contract test' });
      expect((await pollUntilSettled(c, release.actionId, 'release_host')).state).toBe('done');
    });

    it('answers an undeclared action as unsupported, never as a success', async () => {
      const all: ActionKind[] = ['isolate_host', 'release_host', 'kill_process', 'disable_account', 'enable_account', 'set_alert_status'];
      const declared = new Set(c.actions.map((a) => a.kind));
      for (const kind of all.filter((k) => !declared.has(k))) {
        const status = await c.runAction({ kind, idempotencyKey: `contract-unsupported-${kind}-${Date.now()}`, hostId: reg.hostId, userId: s.users.jdoe.id, process: byEntity(reg), alertIds: ['x'], alertStatus: 'acknowledged' });
        expect(status.state).toBe('unsupported');
      }
      expect(declared.size + all.filter((k) => !declared.has(k)).length).toBe(all.length);
    });

    it('rejects a malformed window with a stable error code', async () => {
      await expect(c.getProcessEvent(byEntity(reg), { from: 'yesterday', to: 'today' })).rejects.toMatchObject({ code: expect.stringMatching(/^HW_ERR_/) });
    });
  });
}

