// Test data for the CrowdStrike fake: one sensor with a process tree in NG-SIEM, a hive file write,
// a reused pid, alerts for the host/user/pattern, and a second sensor with no network telemetry.
import { CrowdStrikeFake, type CsEvent } from '../fakes/crowdstrike.js';

export const T0 = Date.parse('2026-05-01T11:00:00.000Z');
export const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();
const ms = (minutes: number): number => T0 + minutes * 60_000;
export const WINDOW = { from: at(-60), to: at(60) };
export const AID = 'aid0000000000000000000000000001';
export const AID2 = 'aid0000000000000000000000000002';
export const SID = 'S-1-5-21-2000';

const pr2 = (minutes: number, o: Record<string, unknown>, aid = AID): CsEvent => ({
  '#event_simpleName': 'ProcessRollup2',
  aid,
  '@timestamp': ms(minutes),
  ComputerName: aid === AID ? 'WS01' : 'SRV02',
  UserSid: SID,
  UserName: 'jdoe',
  ...o,
});

export function seedCrowdStrike(fake: CrowdStrikeFake, opts: { hostAlerts?: number } = {}): void {
  fake.addDevice({ device_id: AID, hostname: 'WS01', os_version: 'Windows 11', last_seen: at(59) }, [4242]);
  fake.addDevice({ device_id: AID2, hostname: 'SRV02', last_seen: at(-600) });
  fake.addEvents([
    pr2(-50, { TargetProcessId: '1000', RawProcessId: '100', ImageFileName: '\\Device\\HarddiskVolume3\\Windows\\explorer.exe', CommandLine: 'C:\\Windows\\Explorer.EXE' }),
    pr2(-10, { TargetProcessId: '2000', ParentProcessId: '1000', RawProcessId: '200', ImageFileName: '\\Device\\HarddiskVolume3\\Windows\\System32\\cmd.exe', CommandLine: 'cmd.exe' }),
    pr2(0, { TargetProcessId: '3000', ParentProcessId: '2000', RawProcessId: '4242', ImageFileName: '\\Device\\HarddiskVolume3\\Windows\\System32\\reg.exe', CommandLine: 'reg.exe save "HKLM\\SAM" C:\\Users\\Public\\sam.save', SHA256HashData: 'ab'.repeat(32) }),
    pr2(1, { TargetProcessId: '3001', ParentProcessId: '2000', RawProcessId: '4300', ImageFileName: '\\Device\\HarddiskVolume3\\Windows\\System32\\whoami.exe', CommandLine: 'whoami /all' }),
    pr2(-24 * 60, { TargetProcessId: '0999', ParentProcessId: '1000', RawProcessId: '4242', ImageFileName: '\\Device\\HarddiskVolume3\\Windows\\notepad.exe', CommandLine: 'notepad.exe' }),
    { '#event_simpleName': 'NewExecutableWritten', aid: AID, '@timestamp': ms(0.1), ContextProcessId: '3000', TargetFileName: '\\Device\\HarddiskVolume3\\Users\\Public\\sam.save' },
    { '#event_simpleName': 'GenericFileWritten', aid: AID, '@timestamp': ms(0.2), ContextProcessId: '9999', TargetFileName: 'C:\\other.txt' },
    { '#event_simpleName': 'NetworkConnectIP4', aid: AID, '@timestamp': ms(0.5), ContextProcessId: '2000', RemoteAddressIP4: '203.0.113.9', RemotePort: '445', LocalAddressIP4: '10.0.0.5', LocalPort: '50123', Protocol: '6' },
    pr2(0, { TargetProcessId: '7000', RawProcessId: '700', ImageFileName: '\\Device\\HarddiskVolume3\\Windows\\System32\\svchost.exe', CommandLine: 'svchost.exe' }, AID2),
  ]);
  const alert = (minutes: number, o: Record<string, unknown> = {}) =>
    fake.addAlert({ created_timestamp: at(minutes), device: { device_id: AID, hostname: 'WS01' }, user_id: SID, user_name: 'jdoe', severity: 70, severity_name: 'High', pattern_id: '5000', tactic_id: 'TA0006', technique_id: 'T1003', cmdline: 'reg.exe save HKLM\\SAM sam', filename: 'reg.exe', filepath: '\\Device\\HarddiskVolume3\\Windows\\System32\\reg.exe', local_process_id: '4242', process_id: '3000', parent_details: { process_id: '2000' }, display_name: 'CredentialDumping', ...o });
  for (let i = 0; i < (opts.hostAlerts ?? 3); i++) alert(i);
  alert(-30 * 60); // outside the window
  alert(5, { user_id: 'S-1-5-18', user_name: 'SYSTEM', pattern_id: '6000' });
}
