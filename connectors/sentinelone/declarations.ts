// What the SentinelOne connector can do, as data (edr-apis §4.2, §4.5). Kill is left out on purpose: S1
// kills by process name (every instance, remote script) or only what it flagged as a threat, never one pid.
// Accounts belong to the identity provider.
import type { ActionDeclaration } from '../types.js';

export const SENTINELONE_ACTIONS: readonly ActionDeclaration[] = [
  { kind: 'isolate_host', description: 'Network-quarantine the agent (agents/actions/disconnect, one agent id)', reversible: true, inverse: 'release_host' },
  { kind: 'release_host', description: 'Reconnect the agent to the network (agents/actions/connect)', reversible: true, inverse: 'isolate_host' },
  { kind: 'set_alert_status', description: 'Set the incident status of threats or STAR alerts', reversible: true, inverse: 'set_alert_status' },
];

export const UNSUPPORTED_WHY: Partial<Record<string, string>> = {
  kill_process: 'SentinelOne cannot kill one pid: its remote script kills every process of a name, and mitigate/kill only acts on threats it flagged',
  disable_account: 'SentinelOne does not manage accounts; disable the user in the identity provider',
  enable_account: 'SentinelOne does not manage accounts; enable the user in the identity provider',
};
