import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getString } from '../../detection/fields.js';
import { ReplayConnector } from '../../connectors/replay/index.js';
import { CONTRACT_SCENARIO, iso, runConnectorContract, scenarioToEcs } from './contract.js';

const dirs: string[] = [];
async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `hw-replay-${label}-`));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Writes the contract scenario as a dataset folder; half of the events with dotted keys, as exports mix both. */
async function writeScenario(extra: object[] = []): Promise<string> {
  const dir = await tempDir('data');
  const lines = [...scenarioToEcs(), ...extra].map((doc, i) => JSON.stringify(i % 2 === 0 ? flatten(doc as Record<string, unknown>) : doc));
  await writeFile(join(dir, 'events.ndjson'), `${lines.join('\n')}\n`);
  await writeFile(join(dir, 'assets.json'), JSON.stringify(CONTRACT_SCENARIO.assets));
  return dir;
}

function flatten(doc: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(doc)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === 'object' && !Array.isArray(value)) flatten(value as Record<string, unknown>, path, out);
    else out[path] = value;
  }
  return out;
}

runConnectorContract('replay', async () => {
  const connector = await ReplayConnector.open({ datasetDir: await writeScenario(), stateDir: await tempDir('state') });
  return { connector };
});

describe('replay connector', () => {
  const { reg, cmd } = CONTRACT_SCENARIO.processes;
  const hostB = CONTRACT_SCENARIO.hosts.b;

  it('counts a category as covered only with events of it on that host within an hour of the window', async () => {
    const c = await ReplayConnector.open({ datasetDir: await writeScenario(), stateDir: await tempDir('state') });
    // Host B has process telemetry but never any file or network events.
    const ref = { hostId: hostB.id, entityId: 'ent-b-svc' };
    expect((await c.getProcessEvent(ref, CONTRACT_SCENARIO.window)).coverage).toBe('full');
    const files = await c.getFileEvents(ref, CONTRACT_SCENARIO.window);
    expect(files.coverage).toBe('none');
    expect(files.note).toMatch(/no file events for host contract-host-b/);
    // Host A's process events end at +100 ms; a window starting 2 h later is beyond the hour of slack.
    const late = await c.getChildProcesses({ hostId: reg.hostId, entityId: reg.entityId }, { from: iso(2 * 3_600_000), to: iso(3 * 3_600_000) });
    expect(late.coverage).toBe('none');
    const nearby = await c.getChildProcesses({ hostId: reg.hostId, entityId: reg.entityId }, { from: iso(3_600_000 - 60_000 + 200), to: iso(3 * 3_600_000) });
    expect(nearby.coverage).toBe('full');
    expect(nearby.events).toEqual([]);
  });

  it('writes queries that read like the guide\'s investigate queries', async () => {
    const c = await ReplayConnector.open({ datasetDir: await writeScenario(), stateDir: await tempDir('state') });
    const siblings = await c.getSiblingProcesses({ hostId: cmd.hostId, entityId: cmd.entityId }, CONTRACT_SCENARIO.window);
    expect(siblings.query).toBe('host.id:"contract-host-a" and process.parent.entity_id:"ent-cmd" and event.category:"process"');
    const files = await c.getFileEvents({ hostId: reg.hostId, entityId: reg.entityId }, CONTRACT_SCENARIO.window);
    expect(files.query).toBe(
      '(host.id:"contract-host-a" and process.entity_id:"ent-reg" and event.category:"file") or (host.id:"contract-host-a" and process.parent.entity_id:"ent-reg" and event.category:"file")',
    );
    const user = await c.getAlertsForUser('S-1-5-21-1111-2222-3333-1001', CONTRACT_SCENARIO.alertWindow);
    expect(user.query).toBe('event.kind:"signal" and user.id:"S-1-5-21-1111-2222-3333-1001"');
  });

  it('marks an ancestry chain cut short by missing telemetry as partial and says where it stops', async () => {
    const c = await ReplayConnector.open({ datasetDir: await writeScenario(), stateDir: await tempDir('state') });
    const result = await c.getAncestry({ hostId: reg.hostId, entityId: reg.entityId }, 5, CONTRACT_SCENARIO.window);
    expect(result.events.map((e) => getString(e, 'process.name'))).toEqual(['cmd.exe', 'explorer.exe']);
    expect(result.coverage).toBe('partial');
    expect(result.note).toMatch(/stops after 2 of 5 levels.*ent-userinit-gone/);
  });

  it('walks ancestry by parent pid and time when there are no entity ids (Windows 4688)', async () => {
    const dir = await tempDir('pids');
    const host = { id: 'h-4688', name: 'dc01' };
    // Some exports carry no event.type on process creations; they still count as starts.
    const ev = (at: string, pid: number, ppid: number, name: string) => ({
      '@timestamp': at, event: pid === 800 ? { category: 'process', kind: 'event' } : { category: 'process', type: 'start', kind: 'event' }, host, process: { pid, name, parent: { pid: ppid } },
    });
    const events = [
      ev('2026-11-20T05:00:00Z', 700, 4, 'old-parent.exe'), // an earlier holder of pid 700
      ev('2026-11-20T06:00:00Z', 700, 4, 'services.exe'),
      ev('2026-11-20T09:00:00Z', 800, 700, 'cmd.exe'),
      ev('2026-11-20T10:00:00Z', 900, 800, 'reg.exe'),
      ev('2026-11-20T11:00:00Z', 700, 4, 'later-holder.exe'), // pid 700 reused after reg.exe started
    ];
    await writeFile(join(dir, 'events.ndjson'), events.map((e) => JSON.stringify(e)).join('\n'));
    const c = await ReplayConnector.open({ datasetDir: dir, stateDir: await tempDir('state') });
    const chain = await c.getAncestry({ hostId: host.id, pid: 900, startTime: '2026-11-20T10:00:00Z' }, 3, { from: '2026-11-20T09:30:00Z', to: '2026-11-20T10:30:00Z' });
    expect(chain.events.map((e) => getString(e, 'process.name'))).toEqual(['cmd.exe', 'services.exe']);
    expect(chain.query).toBe('host.id:"h-4688" and (process.pid:800 or process.pid:700 or process.pid:4) and event.category:"process"');
    expect(chain.coverage).toBe('partial'); // the System process (pid 4) has no start event in the dataset
    const two = await c.getAncestry({ hostId: host.id, pid: 900, startTime: '2026-11-20T10:00:00Z' }, 2, { from: '2026-11-20T09:30:00Z', to: '2026-11-20T10:30:00Z' });
    expect(two.coverage).toBe('full');
    // No assets.json in this dataset: the host is known from its events only.
    const details = await c.getHostDetails(host.id);
    expect(details).toMatchObject({ hostId: host.id, agentId: host.id, hostName: 'dc01', online: null, isolated: null });
  });

  it('records actions to actions.ndjson, pending then done on poll, idempotent across restarts', async () => {
    const data = await writeScenario();
    const state = await tempDir('state');
    const now = () => new Date('2026-11-20T10:05:00.000Z');
    const first = await ReplayConnector.open({ datasetDir: data, stateDir: state, now });
    const started = await first.runAction({ kind: 'isolate_host', idempotencyKey: 'case-1:isolate', hostId: reg.hostId, comment: 'SOAR: SAM hive dump' });
    expect(started).toMatchObject({ kind: 'isolate_host', state: 'pending', vendor: 'replay' });
    expect(started.detail).toBe('recorded, not executed: isolate host contract-host-a');
    expect((await first.getHostDetails(reg.hostId)).isolated).toBeNull();

    // A restarted worker on the same state folder sees the action and does not record it again.
    const second = await ReplayConnector.open({ datasetDir: data, stateDir: state, now });
    const again = await second.runAction({ kind: 'isolate_host', idempotencyKey: 'case-1:isolate', hostId: reg.hostId });
    expect(again.actionId).toBe(started.actionId);
    const linesBefore = (await readFile(join(state, 'actions.ndjson'), 'utf8')).trim().split('\n');
    expect(linesBefore).toHaveLength(1);

    const done = await second.getActionStatus(started.actionId, 'isolate_host');
    expect(done.state).toBe('done');
    expect((await second.getActionStatus(started.actionId, 'isolate_host')).state).toBe('done');
    const lines = (await readFile(join(state, 'actions.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.state)).toEqual(['pending', 'done']);
    expect(lines[0]).toMatchObject({ idempotencyKey: 'case-1:isolate', kind: 'isolate_host', request: { hostId: reg.hostId, comment: 'SOAR: SAM hive dump' }, at: '2026-11-20T10:05:00.000Z' });
    // The first instance reads the other's lines before answering.
    expect((await first.findAction('case-1:isolate'))?.state).toBe('done');
    expect((await first.getHostDetails(reg.hostId)).isolated).toBe(true);

    const release = await first.runAction({ kind: 'release_host', idempotencyKey: 'case-1:release', hostId: reg.hostId });
    await first.getActionStatus(release.actionId, 'release_host');
    expect((await second.getHostDetails(reg.hostId)).isolated).toBe(false);
    expect(second.recordedActions().map((a) => a.kind)).toEqual(['isolate_host', 'release_host']);
  });

  it('records every action kind of the interface, and rejects an incomplete request naming the field', async () => {
    const c = await ReplayConnector.open({ datasetDir: await writeScenario(), stateDir: await tempDir('state') });
    const kill = await c.runAction({ kind: 'kill_process', idempotencyKey: 'k1', process: { hostId: reg.hostId, entityId: reg.entityId } });
    expect(kill.detail).toBe('recorded, not executed: kill process ent-reg on host contract-host-a');
    const disable = await c.runAction({ kind: 'disable_account', idempotencyKey: 'k2', userId: 'S-1-5-21-1' });
    expect(disable.state).toBe('pending');
    const status = await c.runAction({ kind: 'set_alert_status', idempotencyKey: 'k3', alertIds: ['a1', 'a2'], alertStatus: 'acknowledged' });
    expect(status.detail).toBe('recorded, not executed: set 2 alert(s) to acknowledged');
    expect(c.actions.find((a) => a.kind === 'kill_process')).toMatchObject({ reversible: false, inverse: null });
    expect(c.actions.find((a) => a.kind === 'disable_account')?.inverse).toBe('enable_account');

    await expect(c.runAction({ kind: 'isolate_host', idempotencyKey: 'k4' })).rejects.toMatchObject({
      code: 'HW_ERR_REPLAY_ACTION_INVALID',
      message: expect.stringContaining('field "hostId"'),
    });
    await expect(c.runAction({ kind: 'set_alert_status', idempotencyKey: 'k5', alertIds: ['a'] })).rejects.toThrow(/field "alertStatus"/);
    await expect(c.getActionStatus('replay-nope', 'isolate_host')).rejects.toMatchObject({ code: 'HW_ERR_REPLAY_ACTION_NOT_FOUND' });
    await expect(c.getActionStatus(kill.actionId, 'isolate_host')).rejects.toThrow(/is a kill_process, not a isolate_host/);
  });

  it('rejects a broken dataset with the file, line and field', async () => {
    const dir = await tempDir('bad');
    await writeFile(join(dir, 'events.ndjson'), '{"@timestamp":"2026-11-20T10:00:00Z"}\n\n{not json}\n');
    await expect(ReplayConnector.open({ datasetDir: dir })).rejects.toMatchObject({ code: 'HW_ERR_REPLAY_DATASET_INVALID', message: expect.stringMatching(/events\.ndjson line 3 is not JSON/) });
    await writeFile(join(dir, 'events.ndjson'), '{"event":{"kind":"event"}}\n');
    await expect(ReplayConnector.open({ datasetDir: dir })).rejects.toThrow(/line 1 field "@timestamp" is missing/);
    await writeFile(join(dir, 'events.ndjson'), '{"@timestamp":"2026-11-20T10:00:00Z"}\n');
    await writeFile(join(dir, 'assets.json'), JSON.stringify([{ ...CONTRACT_SCENARIO.assets[0], role: 'dc' }]));
    await expect(ReplayConnector.open({ datasetDir: dir })).rejects.toMatchObject({ code: 'HW_ERR_ASSETS_INVALID', message: expect.stringMatching(/entry 0 field "role"/) });
    await expect(ReplayConnector.open({ datasetDir: join(dir, 'missing') })).rejects.toMatchObject({ code: 'HW_ERR_REPLAY_DATASET_UNREADABLE' });
  });

  it('takes host details from the inventory and the events, never role from the name', async () => {
    const c = await ReplayConnector.open({ datasetDir: await writeScenario(), stateDir: await tempDir('state') });
    expect(await c.getHostDetails(reg.hostId)).toMatchObject({ hostId: reg.hostId, agentId: 'agent-contract-a', hostName: CONTRACT_SCENARIO.hosts.a.name, os: 'Windows 10 Pro' });
    expect((await c.assets.getAsset(hostB.id))?.role).toBe('server');
    expect(await c.assets.getAsset('nobody')).toBeNull();
  });
});
