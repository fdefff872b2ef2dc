// The alert the intake benches send: a realistic ~1.6 KB Kibana alert document of the hive-dump rule.
import { randomBytes } from 'node:crypto';

let seq = 0;
const run = randomBytes(3).toString('hex');

/** A realistic alert (~1.6 KB): unique uuid and parent per call, so every alert is new and opens a case. */
export function alertJson(): string {
  seq += 1;
  // A template with placeholders keeps the load generator cheap: it shares the two cores with the server.
  return TEMPLATE.replaceAll('__ID__', `${run}-${seq}`).replaceAll('__HOST__', String(seq % 500));
}

const TEMPLATE = buildTemplate();

function buildTemplate(): string {
  const id = '__ID__';
  const seq = '__HOST__';
  return JSON.stringify({
    '@timestamp': '2026-07-10T14:05:21.118Z',
    event: { kind: 'signal', category: ['process'], type: ['start'], action: 'start', dataset: 'endpoint.events.process', module: 'endpoint' },
    host: { id: `host-${seq}`, name: `wks-${seq}`, os: { type: 'windows', family: 'windows' } },
    user: { id: 'S-1-5-21-111-222-333-1104', name: 'jdoe', domain: 'CORP' },
    process: {
      entity_id: `proc-${id}`,
      pid: 6148,
      name: 'reg.exe',
      executable: 'C:\\Windows\\System32\\reg.exe',
      command_line: 'reg  save HKLM\\SAM C:\\Users\\Public\\s.hiv /y',
      args: ['reg', 'save', 'HKLM\\SAM', 'C:\\Users\\Public\\s.hiv', '/y'],
      args_count: 5,
      pe: { original_file_name: 'reg.exe' },
      code_signature: { subject_name: 'Microsoft Windows', trusted: true, exists: true, status: 'trusted' },
      parent: { entity_id: `parent-${id}`, pid: 5012, name: 'cmd.exe', executable: 'C:\\Windows\\System32\\cmd.exe', command_line: '"C:\\Windows\\system32\\cmd.exe"' },
    },
    kibana: {
      space_ids: ['default'],
      alert: {
        uuid: `bench-${id}`,
        status: 'active',
        workflow_status: 'open',
        original_time: '2026-07-10T14:00:58.310Z',
        depth: 1,
        severity: 'high',
        risk_score: 73,
        reason: 'process event with process reg.exe, parent process cmd.exe, by jdoe on wks-042 created high alert Credential Acquisition via Registry Hive Dumping.',
        ancestors: [{ id: `evt-${id}`, type: 'event', index: '.ds-logs-endpoint.events.process-default-2026.07.01-000012', depth: 0 }],
        rule: { uuid: '0b6f', rule_id: 'a7e7bfa3-088e-4f13-b29e-3986e0e756b8', name: 'Credential Acquisition via Registry Hive Dumping', type: 'eql', version: 318 },
      },
    },
  });
}
