// What the CrowdStrike connector can do, as data.
import type { ActionDeclaration } from '../types.js';

export const CROWDSTRIKE_ACTIONS: readonly ActionDeclaration[] = [
  { kind: 'isolate_host', description: 'Network-contain the host (devices-actions contain)', reversible: true, inverse: 'release_host' },
  { kind: 'release_host', description: 'Lift network containment (devices-actions lift_containment)', reversible: true, inverse: 'isolate_host' },
  { kind: 'kill_process', description: 'Kill the process by OS pid through a Real Time Response session', reversible: false, inverse: null },
  { kind: 'set_alert_status', description: 'Set the alert status (Alerts v3 update_status)', reversible: true, inverse: 'set_alert_status' },
];

/** Our alert states to CrowdStrike's update_status values. */
export const CS_ALERT_STATUS = { open: 'new', acknowledged: 'in_progress', closed: 'closed' } as const;
