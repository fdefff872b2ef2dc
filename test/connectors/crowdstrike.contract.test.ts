// The shared connector contract, run against the CrowdStrike connector and its fake seeded with the
// scenario translated into CrowdStrike's raw shapes (ProcessRollup2, *FileWritten, NetworkConnectIP4,
// Alerts v2). Elastic rule ids do not exist in CrowdStrike, so alerts-by-rule is declared unavailable.
import { CrowdStrikeConnector } from '../../connectors/crowdstrike/index.js';
import { CrowdStrikeFake, type CsEvent } from '../fakes/crowdstrike.js';
import { CONTRACT_SCENARIO, runConnectorContract, type ScenarioProcess } from './contract.js';

runConnectorContract('crowdstrike', async () => {
  const fake = new CrowdStrikeFake();
  const url = await fake.start();
  const s = CONTRACT_SCENARIO;
  const events: CsEvent[] = [];
  for (const p of Object.values(s.processes) as ScenarioProcess[]) {
    events.push({
      '#event_simpleName': 'ProcessRollup2',
      aid: p.hostId,
      '@timestamp': Date.parse(p.start),
      ComputerName: p.hostName,
      TargetProcessId: p.entityId,
      ...(p.parent ? { ParentProcessId: p.parent.entityId } : {}),
      RawProcessId: String(p.pid),
      ImageFileName: p.executable,
      CommandLine: p.commandLine,
      UserSid: p.user.id,
      UserName: p.user.name,
    });
  }
  for (const f of s.fileEvents) {
    events.push({ '#event_simpleName': 'GenericFileWritten', aid: f.process.hostId, '@timestamp': Date.parse(f.at), ContextProcessId: f.process.entityId, TargetFileName: f.path });
  }
  for (const n of s.networkEvents) {
    events.push({ '#event_simpleName': 'NetworkConnectIP4', aid: n.process.hostId, '@timestamp': Date.parse(n.at), ContextProcessId: n.process.entityId, RemoteAddressIP4: n.destinationIp, RemotePort: String(n.destinationPort), LocalAddressIP4: n.sourceIp, LocalPort: String(n.sourcePort), Protocol: '6' });
  }
  fake.addEvents(events);
  for (const a of s.alerts) {
    fake.addAlert({ composite_id: a.id, created_timestamp: a.at, device: { device_id: a.hostId, hostname: a.hostName }, user_id: a.userId, user_name: a.userName, display_name: a.ruleName, process_id: a.process.entityId, local_process_id: String(a.process.pid), cmdline: a.process.commandLine, filename: a.process.name });
  }
  for (const host of Object.values(s.hosts)) fake.addDevice({ device_id: host.id, hostname: host.name });
  const connector = new CrowdStrikeConnector({ baseUrl: url, clientId: fake.clientId, clientSecret: fake.clientSecret, queryPollMs: 10 });
  return { connector, close: () => fake.stop(), capabilities: { alertsByRule: false } };
});
