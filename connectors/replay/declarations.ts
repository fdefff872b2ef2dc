// What the replay connector can do, as data. Replay records every action of the interface (it calls no
// vendor), so the demo and the approval console show the whole plan with its inverses.
import type { ActionDeclaration } from '../types.js';

export const REPLAY_ACTIONS: readonly ActionDeclaration[] = [
  { kind: 'isolate_host', description: 'Record a network isolation of the host', reversible: true, inverse: 'release_host' },
  { kind: 'release_host', description: 'Record the release of an isolated host', reversible: true, inverse: 'isolate_host' },
  { kind: 'kill_process', description: 'Record a process kill (after evidence capture)', reversible: false, inverse: null },
  { kind: 'disable_account', description: 'Record disabling the user account', reversible: true, inverse: 'enable_account' },
  { kind: 'enable_account', description: 'Record re-enabling the user account', reversible: true, inverse: 'disable_account' },
  { kind: 'set_alert_status', description: 'Record an alert workflow status change', reversible: true, inverse: 'set_alert_status' },
];
