// Step 8: the guide's response, in order, as proposed steps. The response stage carries them out one
// approval at a time; nothing here acts.
import type { Asset } from '../../connectors/types.js';
import type { Disposition, PlanStep } from './report.js';
import type { Signal } from './score.js';

export interface PlanInput {
  disposition: Disposition;
  signals: Signal[];
  alertId: string;
  caseId?: string;
  hostId: string;
  asset: Asset | null;
  user: { id: string | null; name: string | null; reliable: boolean };
  process: { entityId: string | null; pid: number | null; executable: string | null; commandLine: string | null };
  /** The process the responder would stop (reg.exe, or the script host behind it), when it may still run. */
  runningProcess: { entityId: string | null; pid: number | null; name: string | null; reason: string } | null;
  outputPaths: string[];
  artifactPaths: string[];
  preserve: Record<string, unknown>;
}

const has = (signals: Signal[], ...ids: string[]) => signals.some((s) => ids.includes(s.id) && !s.explained);
const WELL_KNOWN_SIDS = /^s-1-5-(18|19|20)$/i;

/** The guide's bar for isolating: a malicious export, staging or movement, related alerts, or a critical privileged host. */
export function justifiesIsolation(input: Pick<PlanInput, 'disposition' | 'signals' | 'asset'>): boolean {
  const { disposition, signals, asset } = input;
  if (disposition === 'benign' || disposition === 'unverified') return false;
  return (
    disposition === 'malicious' ||
    has(signals, 'staging.transfer', 'staging.copy_to_share_or_removable', 'staging.archiving', 'related.credential_access', 'related.lateral_movement') ||
    (asset !== null && (asset.criticality === 'high' || asset.criticality === 'critical') && has(signals, 'host.privileged_role'))
  );
}

export function buildPlan(input: PlanInput): PlanStep[] {
  const { disposition, signals } = input;
  const steps: PlanStep[] = [];
  const caseTarget = input.caseId ?? input.alertId;
  if (disposition === 'benign') {
    steps.push({
      action: 'reverse_containment',
      target: input.hostId,
      reversible: false,
      inverse: null,
      requiresApproval: true,
      reason: 'benign: a recognised, recurring workflow explains every evidence category; lift any temporary restriction and document the workflow',
    });
    return steps;
  }
  // Preserve first, whatever the disposition: also a forged alert is evidence (of someone forging alerts).
  steps.push({
    action: 'preserve_evidence',
    target: caseTarget,
    reversible: false,
    inverse: null,
    requiresApproval: false,
    reason:
      disposition === 'unverified'
        ? 'unverified: keep the alert payload and the lookup that failed; no containment is proposed for an alert that does not verify'
        : 'preserve the alert, process tree, process.entity_id, command lines, output path, session, user and host before any containment or cleanup',
    params: input.preserve,
  });
  if (disposition === 'unverified') return steps;

  const shareFindings = has(signals, 'destination.admin_share', 'destination.unc', 'staging.copy_to_share_or_removable');
  const egressFindings = has(signals, 'staging.transfer', 'network.activity', 'destination.unc', 'destination.admin_share', 'staging.archiving');
  if (shareFindings) {
    steps.push({
      action: 'restrict_share',
      target: input.hostId,
      reversible: true,
      inverse: 'reverse_containment',
      requiresApproval: true,
      reason: 'hive output was written to or copied toward a share: restrict share access temporarily',
      params: { paths: input.outputPaths },
    });
  }
  steps.push({
    action: 'limit_outbound',
    target: input.hostId,
    reversible: true,
    inverse: 'reverse_containment',
    requiresApproval: true,
    reason: egressFindings
      ? 'transfer, archiving or network activity around the export: limit outbound access while the copies are found'
      : 'credential-bearing hive copies may leave the host: limit outbound access temporarily while the case is open',
  });

  if (justifiesIsolation(input) && input.asset?.isolation_allowed === true) {
    steps.push({
      action: 'isolate_host',
      target: input.hostId,
      reversible: true,
      inverse: 'reverse_containment',
      requiresApproval: true,
      reason: `${disposition}: the findings show unauthorized hive export or movement risk, and the inventory allows isolating this ${input.asset.role}`,
    });
  }

  const misuse = has(signals, 'session.remote_style', 'user.unexpected', 'user.unseen_on_host', 'related.credential_access', 'related.lateral_movement', 'lineage.remote_execution', 'lineage.rmm_tool');
  const userId = input.user.reliable ? input.user.id : null;
  if (misuse && userId && !WELL_KNOWN_SIDS.test(userId) && disposition === 'malicious') {
    steps.push({
      action: 'disable_account',
      target: userId,
      reversible: true,
      inverse: 'reverse_containment',
      requiresApproval: true,
      reason: 'user or session evidence indicates account misuse (remote-style session, unexpected user, or related credential alerts)',
      params: { userName: input.user.name },
    });
  }

  if (disposition === 'malicious' && input.runningProcess) {
    steps.push({
      action: 'terminate_process',
      target: input.runningProcess.entityId ?? `${input.hostId}:${input.runningProcess.pid}`,
      reversible: false,
      inverse: null,
      requiresApproval: true,
      reason: `after evidence capture, and only if it still runs: ${input.runningProcess.reason}`,
      params: { hostId: input.hostId, pid: input.runningProcess.pid, name: input.runningProcess.name, onlyIfRunning: true, afterStep: 'preserve_evidence' },
    });
  }

  if (disposition === 'malicious' && input.artifactPaths.length > 0) {
    steps.push({
      action: 'remove_artifacts',
      target: input.hostId,
      reversible: false,
      inverse: null,
      requiresApproval: true,
      reason: 'last: remove only the unauthorized hive copies, archives and scripts identified, after reviewing the host and user for the same patterns',
      params: { paths: input.artifactPaths },
    });
  }
  return steps;
}
