// What the Defender connector can do, as data (edr-apis §3.2, §3.7).
import type { ActionDeclaration } from '../types.js';

export const DEFENDER_BASE_ACTIONS: readonly ActionDeclaration[] = [
  { kind: 'isolate_host', description: 'Isolate the machine (MDE machine action Isolate)', reversible: true, inverse: 'release_host' },
  { kind: 'release_host', description: 'Release the machine from isolation (MDE machine action Unisolate)', reversible: true, inverse: 'isolate_host' },
  { kind: 'disable_account', description: 'Disable the Entra ID account (Graph PATCH accountEnabled=false; cloud-only users)', reversible: true, inverse: 'enable_account' },
  { kind: 'enable_account', description: 'Re-enable the Entra ID account (Graph PATCH accountEnabled=true)', reversible: true, inverse: 'disable_account' },
  { kind: 'set_alert_status', description: 'Set the alert status (Graph security alerts_v2)', reversible: true, inverse: 'set_alert_status' },
];

/** Only with a Live Response library script that stops a pid: the API has no native kill. */
export const DEFENDER_KILL_ACTION: ActionDeclaration = {
  kind: 'kill_process',
  description: 'Stop the process by pid (Live Response RunScript of the configured library script)',
  reversible: false,
  inverse: null,
};
