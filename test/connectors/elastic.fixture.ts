// Test data for the Elastic fake: one Defend host with a full process tree, one host that only ships
// Windows 4688 (no entity ids, a reused pid), alerts and endpoints.
import { ElasticFake } from '../fakes/elastic.js';

export const T0 = Date.parse('2026-05-01T11:00:00.000Z');
export const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();
export const WINDOW = { from: at(-60), to: at(60) };

export const H1 = 'host-defend-1';
export const H2 = 'host-4688-2';
export const AGENT1 = 'agent-defend-1';
export const USER = 'S-1-5-21-1000';

function proc(host: string, o: Record<string, unknown>): Record<string, unknown> {
  return { 'event.category': ['process'], 'event.type': ['start'], 'event.action': 'start', 'host.id': host, 'host.name': host.toUpperCase(), 'user.id': USER, ...o };
}

export function seedElastic(fake: ElasticFake, opts: { extraChildren?: number } = {}): void {
  const defend = 'logs-endpoint.events.process-default';
  fake.addEvents(defend, [
    proc(H1, { '@timestamp': at(-50), 'event.id': 'e0', 'process.entity_id': 'E0', 'process.pid': 100, 'process.name': 'explorer.exe' }),
    proc(H1, { '@timestamp': at(-10), 'event.id': 'e1', 'process.entity_id': 'E1', 'process.pid': 200, 'process.name': 'cmd.exe', 'process.parent.entity_id': 'E0', 'process.parent.pid': 100, 'process.Ext.ancestry': ['E0'] }),
    proc(H1, { '@timestamp': at(0), 'event.id': 'e2', 'process.entity_id': 'E2', 'process.pid': 300, 'process.name': 'reg.exe', 'process.command_line': 'reg.exe save HKLM\\SAM C:\\Users\\Public\\sam.save', 'process.parent.entity_id': 'E1', 'process.parent.pid': 200, 'process.Ext.ancestry': ['E1', 'E0'] }),
    proc(H1, { '@timestamp': at(1), 'event.id': 'e3', 'process.entity_id': 'E3', 'process.pid': 301, 'process.name': 'whoami.exe', 'process.parent.entity_id': 'E1', 'process.parent.pid': 200, 'process.Ext.ancestry': ['E1', 'E0'] }),
  ]);
  for (let i = 0; i < (opts.extraChildren ?? 0); i++) {
    fake.addEvents(defend, [proc(H1, { '@timestamp': at(2 + i), 'event.id': `ex${i}`, 'process.entity_id': `EX${i}`, 'process.pid': 400 + i, 'process.name': 'conhost.exe', 'process.parent.entity_id': 'E1', 'process.Ext.ancestry': ['E1', 'E0'] })]);
  }
  fake.addEvents('logs-endpoint.events.file-default', [
    { '@timestamp': at(0.1), 'event.id': 'f1', 'event.category': ['file'], 'event.type': ['creation'], 'event.action': 'creation', 'host.id': H1, 'process.entity_id': 'E2', 'process.pid': 300, 'file.path': 'C:\\Users\\Public\\sam.save' },
    { '@timestamp': at(0.2), 'event.id': 'f2', 'event.category': ['file'], 'event.type': ['creation'], 'event.action': 'creation', 'host.id': H1, 'process.entity_id': 'E9', 'process.pid': 900, 'file.path': 'C:\\other.txt' },
  ]);
  fake.addEvents('logs-endpoint.events.network-default', [
    { '@timestamp': at(-40), 'event.id': 'n1', 'event.category': ['network'], 'event.type': ['connection'], 'host.id': H1, 'process.entity_id': 'E0', 'destination.ip': '10.0.0.5' },
  ]);
  // 4688: no entity ids; pid 0x1fe8 = 8168 reused: once inside the window, once a day earlier
  const sec = 'logs-system.security-default';
  fake.addEvents(sec, [
    proc(H2, { '@timestamp': at(-1), 'event.action': 'created-process', 'process.pid': 5972, 'process.parent.pid': 600, 'process.name': 'powershell.exe' }),
    proc(H2, { '@timestamp': at(0), 'event.action': 'created-process', 'process.pid': 8168, 'process.parent.pid': 5972, 'process.name': 'reg.exe', 'process.command_line': 'reg save HKLM\\sam sam' }),
    proc(H2, { '@timestamp': at(-24 * 60), 'event.action': 'created-process', 'process.pid': 8168, 'process.parent.pid': 5972, 'process.name': 'notepad.exe' }),
    proc(H2, { '@timestamp': at(0.5), 'event.action': 'created-process', 'process.pid': 8200, 'process.parent.pid': 5972, 'process.name': 'whoami.exe' }),
    proc(H2, { '@timestamp': at(-120), 'event.action': 'created-process', 'process.pid': 600, 'process.parent.pid': 4, 'process.name': 'services.exe' }),
  ]);
  fake.addAlert({ '@timestamp': at(0), 'host.id': H1, 'user.id': USER, 'kibana.alert.rule.rule_id': 'hive-rule', 'kibana.alert.rule.name': 'Credential Acquisition via Registry Hive Dumping' });
  fake.addAlert({ '@timestamp': at(5), 'host.id': H1, 'user.id': 'S-1-5-18', 'kibana.alert.rule.rule_id': 'other-rule' });
  fake.addAlert({ '@timestamp': at(-30 * 60), 'host.id': H1, 'user.id': USER, 'kibana.alert.rule.rule_id': 'hive-rule' });
  fake.addEndpoint({ agentId: AGENT1, hostId: H1, hostName: 'WS01', os: 'Windows 11' });
  fake.addEndpoint({ agentId: 'agent-offline', hostId: 'host-offline', hostName: 'WS02', status: 'offline' });
}
