// A case step: one planned action as it moves through approval and execution.
import type { ActionKind } from '../../connectors/types.js';
import type { PlanAction } from '../../playbooks/hive-dump/report.js';
import { canonicalHash } from '../audit/canonical.js';

export const STEP_STATES = ['proposed', 'approved', 'denied', 'expired', 'running', 'done', 'failed', 'reverted'] as const;
export type StepState = (typeof STEP_STATES)[number];

/** Open = waiting for a person: a decision, or (manual steps) someone to do and confirm the work. */
export const OPEN_STATES: readonly StepState[] = ['proposed', 'approved', 'running'];

export interface Actor {
  id: string;
  role: string;
}

export interface Approval {
  identity: string;
  role: string;
  /** The step hash the approver saw and approved. */
  hash: string;
  at: string;
  expiresAt: string;
}

export interface Decision {
  kind: 'approved' | 'denied' | 'expired' | 'timeout' | 'voided' | 'escalated' | 'reverted' | 'completed' | 'failed' | 'retried';
  by: Actor;
  at: string;
  reason?: string;
  hash?: string;
}

export interface CaseStep {
  caseId: string;
  stepId: string;
  /** The plan action, or `reverse_containment` for a step that undoes another. */
  action: PlanAction;
  target: string;
  params: Record<string, unknown>;
  reason: string;
  reversible: boolean;
  /** What undoes it, in words or as a connector action (e.g. `release_host`). */
  inverse: string | null;
  /** The connector action that carries it out; null = manual (no vendor action exists today). */
  connectorAction: ActionKind | null;
  /** The connector action of the undo, when the connector declares one. */
  inverseConnectorAction: ActionKind | null;
  /** For a revert step: the step it undoes. */
  revertOf: string | null;
  /** Set on a done step once a revert step was proposed or has completed. */
  revertedBy: string | null;
  state: StepState;
  /** Who asked for the step: the playbook for plan steps, a person for reverts. */
  requestedBy: Actor;
  highImpact: boolean;
  approvalsRequired: number;
  approvals: Approval[];
  /** Approvals consumed by the run of the current attempt (single use). */
  usedApprovals: Approval[];
  evidenceVersion: number;
  planHash: string;
  /** Binding of approvals: action + target + params + evidence version + plan. */
  hash: string;
  timeoutDefault: 'hold' | 'deny' | 'escalate';
  /** When the timeout default applies, while proposed. */
  deadline: string;
  escalated: boolean;
  /** Set once the timeout default was applied (a timeout is decided once). */
  timedOutAt: string | null;
  /** Execution attempt (a failed step proposed again gets a new attempt and a new idempotency key). */
  attempt: number;
  idempotencyKey: string | null;
  actionId: string | null;
  /**
   * When the vendor request of the current attempt was (about to be) sent; written before the request. A
   * retry that finds no action under the key waits until this is `reconcileGraceMs` old before sending.
   */
  requestedAt?: string | null;
  vendor: string | null;
  /** The vendor's or the responder's last word on the outcome. */
  detail: string | null;
  decisions: Decision[];
  createdAt: string;
  updatedAt: string;
  /** Optimistic-concurrency revision; every write increments it. */
  rev: number;
}

export function stepHash(step: Pick<CaseStep, 'caseId' | 'stepId' | 'action' | 'target' | 'params' | 'connectorAction' | 'revertOf' | 'evidenceVersion' | 'planHash'>): string {
  return canonicalHash({
    caseId: step.caseId,
    stepId: step.stepId,
    action: step.action,
    target: step.target,
    params: step.params,
    connectorAction: step.connectorAction,
    revertOf: step.revertOf,
    evidenceVersion: step.evidenceVersion,
    planHash: step.planHash,
  });
}

/** The idempotency key of a side effect: stable for a case, step and attempt, so a retry reconciles. */
export function idempotencyKey(caseId: string, stepId: string, attempt: number): string {
  return `hw-${caseId}-${stepId}-a${attempt}`;
}

/** Legal transitions. Anything else is refused with HW_ERR_STEP_STATE. */
export const TRANSITIONS: Record<StepState, readonly StepState[]> = {
  proposed: ['proposed', 'approved', 'denied', 'expired'],
  // approved -> proposed: approvals voided by a plan/evidence change or expiry before the run.
  approved: ['running', 'denied', 'proposed'],
  running: ['running', 'done', 'failed'],
  done: ['done', 'reverted'],
  // failed -> proposed: proposed again as a new attempt, which needs new approvals.
  failed: ['proposed'],
  denied: [],
  expired: [],
  reverted: [],
};

export function canTransition(from: StepState, to: StepState): boolean {
  return TRANSITIONS[from].includes(to);
}
