// Guide step 4 (host role): the role and criticality come from the asset inventory, never from the name.
import type { Asset, TimeWindow } from '../../connectors/types.js';
import type { Investigation } from './investigation.js';
import type { Evidence } from './report.js';

const PRIVILEGED_ROLES = new Set(['admin_workstation', 'jump_host', 'server', 'backup_node', 'domain_controller', 'management_platform']);

/** `explained`: the closest recognised workflow names this host. Returns the inventory citation. */
export function assessHost(inv: Investigation, asset: Asset | null, hostId: string, window: TimeWindow, explained: boolean): Evidence {
  const evidence: Evidence = {
    connector: 'assets',
    query: `asset inventory: host.id ${hostId}`,
    eventIds: asset ? [asset['host.id']] : [],
    window,
    summary: asset ? `role ${asset.role}, criticality ${asset.criticality}, isolation ${asset.isolation_allowed ? 'allowed' : 'not allowed'}` : 'host not in the asset inventory',
  };
  if (!asset) {
    inv.open(`host ${hostId} is not in the asset inventory: role unknown (never inferred from the host name)`, 'host role unknown');
    return evidence;
  }
  if (PRIVILEGED_ROLES.has(asset.role)) inv.signal('host.privileged_role', [evidence], `privileged host role from the inventory: ${asset.role}`, true, explained);
  if (asset.criticality === 'critical' || asset.criticality === 'high') inv.signal('host.critical', [evidence], `host criticality ${asset.criticality}`, false, explained);
  return evidence;
}
