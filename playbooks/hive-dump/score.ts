// The scoring model (documented in docs/scoring.md): each signal the investigation found is a factor with a
// fixed signed weight; the score is their sum clamped to 0..100.
import type { Evidence, Factor } from './report.js';

/** Signed weights per factor id. Changing a weight is a model change: update docs/scoring.md with it. */
export const WEIGHTS = {
  'hive.sam': 20,
  'hive.security': 20,
  'hive.system_with_credential_hive': 15,
  'hive.system_only': 10,
  'hive.credential_subkey': 10,
  'destination.temp': 10,
  'destination.public_profile': 10,
  'destination.admin_share': 20,
  'destination.unc': 15,
  'destination.removable_or_other_drive': 15,
  'destination.deceptive_name': 15,
  'binary.anomaly': 20,
  'binary.identity_only': 0,
  'lineage.interactive_shell': 5,
  'lineage.script_host': 15,
  'lineage.encoded_powershell': 25,
  'lineage.rmm_tool': 15,
  'lineage.remote_execution': 20,
  'lineage.office_or_browser': 20,
  'lineage.wrapper_expanded': 0,
  'session.remote_style': 15,
  'user.service_account': 10,
  'user.unexpected': 10,
  'user.unseen_on_host': 15,
  'staging.system_export': 15,
  'staging.companion_export': 10,
  'staging.archiving': 15,
  'staging.copy_to_share_or_removable': 20,
  'staging.transfer': 20,
  'staging.deletion': 10,
  'staging.alternate_dump': 25,
  'staging.credential_tool': 25,
  'network.activity': 15,
  'host.privileged_role': 10,
  'host.critical': 5,
  'related.credential_access': 15,
  'related.archiving': 10,
  'related.privilege_escalation': 10,
  'related.persistence': 10,
  'related.lateral_movement': 15,
  'workflow.recognised': -70,
  'workflow.contradiction': 10,
} as const;

export type FactorId = keyof typeof WEIGHTS;

/** What the investigation found, before weighting. */
export interface Signal {
  id: FactorId;
  evidence: Evidence[];
  description: string;
  /** Counts toward `malicious` (the guide's escalation list). */
  strong: boolean;
  /** A near-matching recognised workflow accounts for this signal (its dimension matched). */
  explained: boolean;
}

export function toFactors(signals: Signal[]): Factor[] {
  // A signal a near-matching recognised workflow accounts for is reported, but weighs nothing.
  return signals.map((s) => ({ id: s.id, weight: s.explained ? 0 : WEIGHTS[s.id], evidence: s.evidence, description: s.explained ? `${s.description} (accounted for by the recognised workflow)` : s.description }));
}

export function scoreOf(factors: Factor[]): number {
  const sum = factors.reduce((acc, f) => acc + f.weight, 0);
  return Math.max(0, Math.min(100, sum));
}
