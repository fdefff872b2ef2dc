// The triage report: what the playbook found, how it scored it, and the response it proposes.
// The response worker, the API and the console read this shape; keep it stable.

export type Disposition = 'benign' | 'suspicious' | 'malicious' | 'unverified';

export type Hive = 'SAM' | 'SECURITY' | 'SYSTEM';

export type DestinationClass =
  | 'temp'
  | 'public_profile'
  | 'admin_share'
  | 'unc'
  | 'removable_or_other_drive'
  | 'deceptive_name'
  | 'system_drive_other'
  | 'unknown';

/** Where a finding came from: which connector, which question, which events, which window. */
export interface Evidence {
  connector: string;
  query: string;
  eventIds: string[];
  window: { from: string; to: string };
  /** A short statement of what the evidence shows. */
  summary: string;
}

export interface Factor {
  id: string;
  /** Signed contribution to the 0-100 score. */
  weight: number;
  evidence: Evidence[];
  description?: string;
}

export type PlanAction =
  | 'preserve_evidence'
  | 'restrict_share'
  | 'limit_outbound'
  | 'isolate_host'
  | 'disable_account'
  | 'terminate_process'
  | 'remove_artifacts'
  | 'reverse_containment';

export interface PlanStep {
  action: PlanAction;
  /** What the step acts on: a host id, a user id, a process entity id, a case id. */
  target: string;
  reversible: boolean;
  /** The step that undoes this one, when there is one. */
  inverse: string | null;
  requiresApproval: boolean;
  reason: string;
  /** Extra parameters the executor needs (e.g. pid, paths). */
  params?: Record<string, unknown>;
}

export interface TriageReport {
  caseId?: string;
  alertId: string;
  ruleVersion: string;
  verification: {
    verified: boolean;
    reason: string;
    /** Set when the alert's own rule query differs from ours. */
    drift?: string | null;
  };
  hives: Hive[];
  verb: 'save' | 'export' | null;
  outputPath: string | null;
  destinations: DestinationClass[];
  hostId: string;
  hostRole: string | null;
  criticality: string | null;
  factors: Factor[];
  score: number;
  disposition: Disposition;
  unresolved: string[];
  plan: PlanStep[];
  /** A version of the evidence the report was built on; approvals bind to it. */
  evidenceVersion: number;
  generatedAt: string;
  [extra: string]: unknown;
}
