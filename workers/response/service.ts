// The response stage's decisions: turn a plan into steps, approve (four-eyes, bound to a hash), deny,
// ask for more evidence, revert, retry, complete manual work, apply timeouts. Every decision is written
// to the audit trail with who made it, their role and the hash they saw, in the same atomic write as the state
// change (StepStore's audited compare-and-set): a decision never stands without its record.
import type { ActionDeclaration } from '../../connectors/types.js';
import type { PlanStep, TriageReport } from '../../playbooks/hive-dump/report.js';
import { canonicalHash } from '../audit/canonical.js';
import type { AuditSink } from '../audit/types.js';
import { resolveAction } from './actions.js';
import { timeoutDefaultFor, type ResponseConfig } from './config.js';
import { badRequest, duplicateApprover, ResponseError, roleForbidden, selfApproval, staleHash, wrongState } from './errors.js';
import { hasRole, type Principal } from './identity.js';
import { noScheduler, type ResponseScheduler } from './scheduler.js';
import { OPEN_STATES, stepHash, type Actor, type Approval, type CaseStep, type Decision } from './step.js';
import { ConcurrentUpdate, type Audited, type CaseMeta, type StepStore } from './store.js';
import type { AuditEntry } from '../audit/types.js';

export const PLAYBOOK_ACTOR: Actor = { id: 'playbook:hive-dump', role: 'system' };
export const TIMEOUT_ACTOR: Actor = { id: 'system:timeout', role: 'system' };

export interface ResponseServiceOptions {
  store: StepStore;
  audit: AuditSink;
  config: ResponseConfig;
  /** The executing connector's action declarations (what exists, what undoes it). */
  declarations: () => Promise<readonly ActionDeclaration[]>;
  scheduler?: ResponseScheduler;
  /** Re-runs an investigation step when a responder asks for more evidence (e.g. re-queues triage). */
  onMoreEvidence?: (caseId: string, request: { stepId: string; question: string; evidenceVersion: number; by: Principal }) => Promise<void>;
  now?: () => Date;
}

const actorOf = (principal: Principal): Actor => ({ id: principal.id, role: principal.role });

/** What the evidence of a report is, for deciding whether it changed. */
function evidenceHashOf(report: TriageReport): string {
  return canonicalHash({
    verification: report.verification,
    factors: report.factors,
    unresolved: report.unresolved,
    score: report.score,
    disposition: report.disposition,
    hives: report.hives,
    destinations: report.destinations,
  });
}

export class ResponseService {
  readonly store: StepStore;
  private readonly audit: AuditSink;
  private readonly config: ResponseConfig;
  private readonly scheduler: ResponseScheduler;
  private readonly now: () => Date;

  constructor(private readonly options: ResponseServiceOptions) {
    this.store = options.store;
    this.audit = options.audit;
    this.config = options.config;
    this.scheduler = options.scheduler ?? noScheduler;
    this.now = options.now ?? (() => new Date());
  }

  private iso(offsetMs = 0): string {
    return new Date(this.now().getTime() + offsetMs).toISOString();
  }

  private decision(kind: Decision['kind'], by: Actor, extra: Partial<Decision> = {}): Decision {
    return { kind, by, at: this.iso(), ...extra };
  }

  /** Audit entries that are written in the same atomic unit as the step change (see StepStore). */
  private audited(entries: Audited['entries']): Audited {
    return { sink: this.audit, entries };
  }

  // ---- proposal ---------------------------------------------------------------------------------------

  /** Turns a triage report's plan into case steps waiting for approval. Idempotent for the same report. */
  async proposePlan(caseId: string, report: TriageReport): Promise<CaseStep[]> {
    const release = await this.store.lock(caseId);
    try {
      return await this.proposeLocked(caseId, report);
    } finally {
      await release();
    }
  }

  private async proposeLocked(caseId: string, report: TriageReport): Promise<CaseStep[]> {
    const planSteps = report.plan.filter((step) => step.action !== 'reverse_containment');
    const planHash = canonicalHash(planSteps);
    const evidenceHash = evidenceHashOf(report);
    const prior = await this.store.getMeta(caseId);
    const meta: CaseMeta = prior ? { ...prior } : {
      planHash: '',
      planVersion: 0,
      evidenceVersion: Math.max(1, report.evidenceVersion ?? 1),
      evidenceHash,
      disposition: null,
      hostId: report.hostId ?? null,
      criticality: report.criticality ?? null,
      alertId: report.alertId ?? null,
      exceptionCandidate: null,
    };
    if (prior && prior.evidenceHash !== evidenceHash) meta.evidenceVersion += 1;
    meta.evidenceVersion = Math.max(meta.evidenceVersion, report.evidenceVersion ?? 0);
    const unchanged = prior !== null && prior.planHash === planHash && prior.evidenceVersion === meta.evidenceVersion;
    meta.evidenceHash = evidenceHash;
    meta.disposition = report.disposition;
    meta.criticality = report.criticality ?? meta.criticality;
    meta.hostId = report.hostId ?? meta.hostId;
    if (unchanged) {
      await this.store.setMeta(caseId, meta);
      if (report.disposition === 'benign') await this.proposeBenignReversal(caseId, report, meta);
      return this.store.list(caseId);
    }
    meta.planHash = planHash;
    meta.planVersion += 1;

    const declarations = await this.options.declarations();
    // Step ids allocated in an attempt that lost a race are reused by the next attempt (no gaps).
    const ids: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const existing = await this.store.list(caseId);
      const matched = new Set<string>();
      const creates: CaseStep[] = [];
      const updates: { current: CaseStep; next: CaseStep }[] = [];
      const reboundIds = new Set<string>();
      const withdrawnIds = new Set<string>();
      let used = 0;
      for (const planStep of planSteps) {
        const same = existing.find(
          (step) => !step.revertOf && !matched.has(step.stepId) && step.action === planStep.action && step.target === planStep.target && ['proposed', 'approved', 'running', 'done'].includes(step.state),
        );
        if (same) {
          matched.add(same.stepId);
          const next = this.rebound(same, meta, planStep, 'the plan or its evidence changed');
          if (next) {
            updates.push({ current: same, next });
            reboundIds.add(same.stepId);
          }
          continue;
        }
        if (used === ids.length) ids.push(await this.store.nextStepId(caseId));
        creates.push(this.newStep(caseId, ids[used++]!, planStep, meta, declarations, PLAYBOOK_ACTOR));
      }
      // Open steps the new plan no longer contains are withdrawn: nobody may approve a step nobody proposes.
      for (const step of existing) {
        if (step.revertOf || matched.has(step.stepId) || (step.state !== 'proposed' && step.state !== 'approved')) continue;
        updates.push({ current: step, next: { ...step, state: 'denied', decisions: [...step.decisions, this.decision('denied', PLAYBOOK_ACTOR, { reason: 'withdrawn: no longer in the plan' })] } });
        withdrawnIds.add(step.stepId);
      }
      // The new steps, the re-bound and withdrawn ones, the meta and every record of the proposal: one atomic write.
      let written: { created: CaseStep[]; updated: CaseStep[] };
      try {
        written = await this.store.writeBatch(caseId, { creates, updates, meta }, this.audit, ({ created, updated }) => [
          ...updates.filter((u) => reboundIds.has(u.current.stepId)).map((u) => this.reboundEntry(caseId, u.current, updated.find((step) => step.stepId === u.current.stepId)!, 'the plan or its evidence changed')),
          ...updates.filter((u) => withdrawnIds.has(u.current.stepId)).map((u): AuditEntry => ({ type: 'step.withdrawn', caseId, actor: PLAYBOOK_ACTOR, data: { stepId: u.current.stepId, action: u.current.action, target: u.current.target } })),
          {
            type: 'response.proposed',
            caseId,
            actor: PLAYBOOK_ACTOR,
            data: {
              planVersion: meta.planVersion,
              planHash,
              evidenceVersion: meta.evidenceVersion,
              created: created.map((step) => ({ stepId: step.stepId, action: step.action, target: step.target, hash: step.hash, approvalsRequired: step.approvalsRequired, manual: step.connectorAction === null })),
              rebound: updated.filter((step) => reboundIds.has(step.stepId)).map((step) => ({ stepId: step.stepId, hash: step.hash })),
            },
          },
        ]);
      } catch (err) {
        if (err instanceof ConcurrentUpdate) continue;
        throw err;
      }
      for (const step of [...written.created, ...written.updated.filter((step) => reboundIds.has(step.stepId))]) await this.announce(step, 'waiting for approval');
      if (report.disposition === 'benign') await this.proposeBenignReversal(caseId, report, meta);
      return this.store.list(caseId);
    }
    throw new ResponseError('HW_ERR_CONTENDED', 409, `the steps of case ${caseId} kept changing while the plan was proposed; retry`);
  }

  private newStep(caseId: string, stepId: string, planStep: PlanStep, meta: CaseMeta, declarations: readonly ActionDeclaration[], requestedBy: Actor): CaseStep {
    const resolved = resolveAction(planStep.action, declarations);
    const highImpact = this.config.highImpactActions.includes(planStep.action) || meta.criticality === 'critical';
    const base = {
      caseId,
      stepId,
      action: planStep.action,
      target: planStep.target,
      params: planStep.params ?? {},
      connectorAction: resolved.connectorAction,
      revertOf: null,
      evidenceVersion: meta.evidenceVersion,
      planHash: meta.planHash,
    };
    const now = this.iso();
    return {
      ...base,
      reason: planStep.reason,
      reversible: planStep.reversible,
      inverse: resolved.inverseConnectorAction ?? planStep.inverse,
      inverseConnectorAction: planStep.reversible ? resolved.inverseConnectorAction : null,
      revertedBy: null,
      state: 'proposed',
      requestedBy,
      highImpact,
      approvalsRequired: highImpact ? 2 : 1,
      approvals: [],
      usedApprovals: [],
      hash: stepHash(base),
      timeoutDefault: timeoutDefaultFor(this.config, planStep.action),
      deadline: this.iso(this.config.stepTimeoutSeconds * 1000),
      escalated: false,
      timedOutAt: null,
      attempt: 1,
      idempotencyKey: null,
      actionId: null,
      vendor: null,
      detail: resolved.connectorAction ? null : 'manual: no connector action exists for this; a responder carries it out and marks it done',
      decisions: [],
      createdAt: now,
      updatedAt: now,
      rev: 0,
    };
  }

  /** An open step re-bound to the current plan/evidence: a new hash, so earlier approvals are void; null = unchanged. */
  private rebound(current: CaseStep, meta: CaseMeta, planStep: PlanStep | null, why: string): CaseStep | null {
    if (current.state !== 'proposed' && current.state !== 'approved') return null;
    const next: CaseStep = {
      ...current,
      params: planStep ? (planStep.params ?? {}) : current.params,
      reason: planStep ? planStep.reason : current.reason,
      evidenceVersion: meta.evidenceVersion,
      planHash: current.revertOf ? current.planHash : meta.planHash,
    };
    next.hash = stepHash(next);
    if (next.hash === current.hash) return null;
    const voided = current.approvals.length > 0;
    return {
      ...next,
      state: 'proposed',
      approvals: [],
      decisions: voided ? [...current.decisions, this.decision('voided', PLAYBOOK_ACTOR, { reason: why, hash: current.hash })] : current.decisions,
    };
  }

  private reboundEntry(caseId: string, prior: CaseStep, next: CaseStep, why: string): AuditEntry {
    return {
      type: 'step.rebound',
      caseId,
      actor: PLAYBOOK_ACTOR,
      data: { stepId: prior.stepId, previousHash: prior.hash, hash: next.hash, evidenceVersion: next.evidenceVersion, voidedApprovals: prior.approvals.map((a) => ({ identity: a.identity, hash: a.hash })), reason: why },
    };
  }

  /** Re-binds an open step to the current plan/evidence (atomic with its `step.rebound` record). */
  private async rebind(caseId: string, stepId: string, meta: CaseMeta, planStep: PlanStep | null, why: string): Promise<CaseStep | null> {
    const { before, after } = await this.store.update(
      caseId,
      stepId,
      (current) => this.rebound(current, meta, planStep, why) ?? current,
      this.audited((next, prior) => (next.hash === prior!.hash ? [] : [this.reboundEntry(caseId, prior!, next, why)])),
    );
    if (after.hash === before.hash) return null;
    return after;
  }

  /** Benign disposition: applied, reversible restrictions are proposed for reversal; the exception candidate is recorded. */
  private async proposeBenignReversal(caseId: string, report: TriageReport, meta: CaseMeta): Promise<void> {
    const steps = await this.store.list(caseId);
    for (const step of steps) {
      if (step.state !== 'done' || !step.reversible || step.revertOf) continue;
      const openRevert = step.revertedBy ? steps.find((other) => other.stepId === step.revertedBy && !['denied', 'expired', 'failed'].includes(other.state)) : undefined;
      if (openRevert) continue;
      await this.requestRevert(caseId, step.stepId, PLAYBOOK_ACTOR, 'disposition benign: reverse the temporary restriction');
    }
    if (!meta.exceptionCandidate) {
      meta.exceptionCandidate = canonicalHash({ ruleVersion: report.ruleVersion, hostId: report.hostId, outputPath: report.outputPath, hives: report.hives });
      // The candidate in the meta and its record: one atomic write.
      await this.store.writeBatch(caseId, { meta }, this.audit, () => [{
        type: 'exception.candidate',
        caseId,
        actor: PLAYBOOK_ACTOR,
        data: {
          candidate: meta.exceptionCandidate,
          alertId: report.alertId,
          hostId: report.hostId,
          hostRole: report.hostRole,
          outputPath: report.outputPath,
          hives: report.hives,
          destinations: report.destinations,
          score: report.score,
          factors: report.factors.map((factor) => ({ id: factor.id, weight: factor.weight })),
          evidenceVersion: meta.evidenceVersion,
        },
      }]);
    }
  }

  // ---- decisions --------------------------------------------------------------------------------------

  async listSteps(caseId: string): Promise<CaseStep[]> {
    const steps = await this.store.list(caseId);
    const out: CaseStep[] = [];
    for (const step of steps) out.push(step.state === 'proposed' && Date.parse(step.deadline) <= this.now().getTime() && !step.timedOutAt ? await this.applyTimeout(caseId, step.stepId) : step);
    return out;
  }

  async approve(caseId: string, stepId: string, principal: Principal, hash: string): Promise<CaseStep> {
    if (!hasRole(principal, 'responder')) throw roleForbidden(principal.role, 'responder, lead or admin');
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) throw badRequest('hash', 'send the 64-hex hash of the step you reviewed (field "hash" of GET /v1/cases/:id/steps)');
    await this.applyTimeout(caseId, stepId);
    const nowMs = this.now().getTime();
    const { after } = await this.store.update(caseId, stepId, (step) => {
      if (step.state !== 'proposed') throw wrongState(stepId, step.state, 'proposed');
      if (hash !== step.hash) throw staleHash(stepId, step.hash);
      if (step.requestedBy.id === principal.id) throw selfApproval(stepId);
      if (step.escalated && !hasRole(principal, 'lead')) throw roleForbidden(principal.role, 'lead or admin (the step timed out and was escalated)');
      const live = step.approvals.filter((approval) => Date.parse(approval.expiresAt) > nowMs && approval.hash === step.hash);
      if (live.some((approval) => approval.identity === principal.id)) throw duplicateApprover(stepId);
      const approval: Approval = { identity: principal.id, role: principal.role, hash, at: this.iso(), expiresAt: this.iso(this.config.approvalTtlSeconds * 1000) };
      const approvals = [...live, approval];
      const complete = approvals.length >= step.approvalsRequired;
      return {
        ...step,
        approvals,
        state: complete ? 'approved' : 'proposed',
        decisions: [...step.decisions, this.decision('approved', actorOf(principal), { hash })],
      };
    }, this.audited((next, prior) => [
      ...prior!.approvals
        .filter((approval) => !next.approvals.some((kept) => kept.identity === approval.identity && kept.at === approval.at))
        .map((gone): AuditEntry => ({ type: 'approval.expired', caseId, actor: TIMEOUT_ACTOR, data: { stepId, identity: gone.identity, hash: gone.hash, expiresAt: gone.expiresAt } })),
      {
        type: 'step.approved',
        caseId,
        actor: actorOf(principal),
        data: { stepId, action: next.action, target: next.target, hash, via: principal.via, approvals: next.approvals.length, approvalsRequired: next.approvalsRequired, state: next.state },
      },
    ]));
    if (after.state === 'approved') await this.scheduler.execute(caseId, stepId, after.attempt);
    else await this.announce(after, `needs ${after.approvalsRequired - after.approvals.length} more approver(s) other than ${principal.id}`);
    return after;
  }

  async deny(caseId: string, stepId: string, principal: Principal, reason: string): Promise<CaseStep> {
    if (!hasRole(principal, 'responder')) throw roleForbidden(principal.role, 'responder, lead or admin');
    if (typeof reason !== 'string' || reason.trim().length < 3) throw badRequest('reason', 'say why the step is denied (at least 3 characters)');
    const { after } = await this.store.update(caseId, stepId, (step) => {
      if (step.state !== 'proposed' && step.state !== 'approved') throw wrongState(stepId, step.state, 'proposed or approved');
      return { ...step, state: 'denied', approvals: [], decisions: [...step.decisions, this.decision('denied', actorOf(principal), { reason: reason.trim(), hash: step.hash })] };
    }, this.audited((next) => [{ type: 'step.denied', caseId, actor: actorOf(principal), data: { stepId, action: next.action, target: next.target, hash: next.hash, reason: reason.trim(), via: principal.via } }]));
    return after;
  }

  /** Proposes the inverse of a done step as a new step, which goes through the same approval rules. */
  async revert(caseId: string, stepId: string, principal: Principal, reason = 'requested by a responder'): Promise<CaseStep> {
    if (!hasRole(principal, 'responder')) throw roleForbidden(principal.role, 'responder, lead or admin');
    return this.requestRevert(caseId, stepId, actorOf(principal), reason);
  }

  private async requestRevert(caseId: string, stepId: string, by: Actor, reason: string): Promise<CaseStep> {
    let revertId: string | undefined;
    for (let attempt = 0; attempt < 20; attempt++) {
      const original = await this.store.mustGet(caseId, stepId);
      if (original.state !== 'done') throw wrongState(stepId, original.state, 'done');
      if (!original.reversible) throw badRequest('step', `step ${stepId} (${original.action}) cannot be undone`);
      if (original.revertedBy) {
        // The claim is written with the revert step, so a claim names a step that exists (a claim without one
        // can only come from data written before the two were atomic, and is free).
        const prior = await this.store.get(caseId, original.revertedBy);
        if (prior && !['denied', 'expired', 'failed'].includes(prior.state)) {
          throw wrongState(stepId, `already being reverted by ${prior.stepId} (${prior.state})`, 'done without an open revert');
        }
      }
      revertId ??= await this.store.nextStepId(caseId);
      const step = this.revertStep(original, revertId, (await this.store.getMeta(caseId))!, by, reason);
      try {
        // The claim on the original (`revertedBy`), the revert step and its record: one atomic write. The claim is
        // a compare-and-set on the original, so two responders cannot both revert it.
        await this.store.writeBatch(caseId, { creates: [step], updates: [{ current: original, next: { ...original, revertedBy: revertId } }] }, this.audit, () => [{
          type: 'step.revert_requested',
          caseId,
          actor: by,
          data: { stepId: revertId, revertOf: stepId, action: original.action, inverse: step.connectorAction ?? 'manual', target: step.target, hash: step.hash, reason, previousRevert: original.revertedBy },
        }]);
      } catch (err) {
        if (err instanceof ConcurrentUpdate) continue;
        throw err;
      }
      await this.announce(step, `waiting for approval to undo ${original.action}`);
      return step;
    }
    throw new ResponseError('HW_ERR_CONTENDED', 409, `step ${stepId} kept changing while its revert was requested; retry`);
  }

  private revertStep(original: CaseStep, revertId: string, meta: CaseMeta, by: Actor, reason: string): CaseStep {
    const base = {
      caseId: original.caseId,
      stepId: revertId,
      action: 'reverse_containment' as const,
      target: original.target,
      params: original.params,
      connectorAction: original.inverseConnectorAction,
      revertOf: original.stepId,
      evidenceVersion: meta.evidenceVersion,
      planHash: original.planHash,
    };
    const highImpact = meta.criticality === 'critical' || this.config.highImpactActions.includes('reverse_containment');
    const now = this.iso();
    return {
      ...base,
      reason: `undo ${original.stepId} (${original.action} ${original.target}): ${reason}`,
      reversible: false,
      inverse: null,
      inverseConnectorAction: null,
      revertedBy: null,
      state: 'proposed',
      requestedBy: by,
      highImpact,
      approvalsRequired: highImpact ? 2 : 1,
      approvals: [],
      usedApprovals: [],
      hash: stepHash(base),
      timeoutDefault: timeoutDefaultFor(this.config, 'reverse_containment'),
      deadline: this.iso(this.config.stepTimeoutSeconds * 1000),
      escalated: false,
      timedOutAt: null,
      attempt: 1,
      idempotencyKey: null,
      actionId: null,
      vendor: null,
      detail: base.connectorAction ? null : `manual: undo ${original.action} by hand, then mark this step done`,
      decisions: [],
      createdAt: now,
      updatedAt: now,
      rev: 0,
    };
  }

  /** Bumps the evidence version (voiding approvals of open steps) and re-runs an investigation step. */
  async requestMoreEvidence(caseId: string, stepId: string, principal: Principal, question: string): Promise<{ evidenceVersion: number; steps: CaseStep[] }> {
    if (!hasRole(principal, 'responder')) throw roleForbidden(principal.role, 'responder, lead or admin');
    await this.store.mustGet(caseId, stepId);
    const release = await this.store.lock(caseId);
    let meta: CaseMeta;
    try {
      meta = (await this.store.getMeta(caseId))!;
      meta.evidenceVersion += 1;
      // The bump and its record are one atomic write (each voided approval is recorded atomically by rebind).
      await this.store.writeBatch(caseId, { meta }, this.audit, () => [{ type: 'evidence.requested', caseId, actor: actorOf(principal), data: { stepId, question, evidenceVersion: meta.evidenceVersion } }]);
      for (const step of await this.store.list(caseId)) {
        if (step.state === 'proposed' || step.state === 'approved') await this.rebind(caseId, step.stepId, meta, null, `more evidence requested by ${principal.id}`);
      }
    } finally {
      await release();
    }
    await this.options.onMoreEvidence?.(caseId, { stepId, question, evidenceVersion: meta.evidenceVersion, by: principal });
    return { evidenceVersion: meta.evidenceVersion, steps: await this.store.list(caseId) };
  }

  /** A responder reports the outcome of a manual step (no connector action exists for it). */
  async completeManual(caseId: string, stepId: string, principal: Principal, outcome: 'done' | 'failed', note: string): Promise<CaseStep> {
    if (!hasRole(principal, 'responder')) throw roleForbidden(principal.role, 'responder, lead or admin');
    if (typeof note !== 'string' || note.trim().length < 3) throw badRequest('note', 'say what was done (at least 3 characters)');
    const { after } = await this.store.update(caseId, stepId, (step) => {
      if (step.state !== 'running' || step.connectorAction !== null) throw wrongState(stepId, step.state, 'a running manual step');
      return { ...step, state: outcome, detail: `manual, reported by ${principal.id}: ${note.trim()}`, decisions: [...step.decisions, this.decision(outcome === 'done' ? 'completed' : 'failed', actorOf(principal), { reason: note.trim() })] };
    }, this.audited(() => [{ type: outcome === 'done' ? 'step.done' : 'step.failed', caseId, actor: actorOf(principal), data: { stepId, manual: true, note: note.trim() } }]));
    if (outcome === 'done') await this.finishRevert(after, actorOf(principal));
    return after;
  }

  /** A failed step proposed again: a new attempt (new idempotency key) that needs new approvals. */
  async retry(caseId: string, stepId: string, principal: Principal): Promise<CaseStep> {
    if (!hasRole(principal, 'responder')) throw roleForbidden(principal.role, 'responder, lead or admin');
    const { after } = await this.store.update(caseId, stepId, (step) => {
      if (step.state !== 'failed') throw wrongState(stepId, step.state, 'failed');
      return {
        ...step,
        state: 'proposed',
        attempt: step.attempt + 1,
        approvals: [],
        usedApprovals: [],
        idempotencyKey: null,
        actionId: null,
        requestedBy: actorOf(principal),
        deadline: this.iso(this.config.stepTimeoutSeconds * 1000),
        timedOutAt: null,
        decisions: [...step.decisions, this.decision('retried', actorOf(principal))],
      };
    }, this.audited((next) => [{ type: 'step.retry_requested', caseId, actor: actorOf(principal), data: { stepId, attempt: next.attempt, hash: next.hash } }]));
    await this.announce(after, 'proposed again after a failure');
    return after;
  }

  /** When a revert step is done, the step it undid becomes reverted. */
  async finishRevert(step: CaseStep, by: Actor): Promise<void> {
    if (!step.revertOf) return;
    await this.store.update(step.caseId, step.revertOf, (original) => {
      if (original.state !== 'done') return original;
      return { ...original, state: 'reverted', decisions: [...original.decisions, this.decision('reverted', by, { reason: `undone by ${step.stepId}` })] };
    }, this.audited((next, prior) => (prior!.state === 'done' && next.state === 'reverted' ? [{ type: 'step.reverted', caseId: step.caseId, actor: by, data: { stepId: next.stepId, revertedBy: step.stepId, action: next.action, target: next.target } }] : [])));
  }

  // ---- timeouts ---------------------------------------------------------------------------------------

  /** Applies a step's timeout default once its deadline passed; the timeout is recorded as a decision. */
  async applyTimeout(caseId: string, stepId: string): Promise<CaseStep> {
    const current = await this.store.mustGet(caseId, stepId);
    if (current.state !== 'proposed' || current.timedOutAt || Date.parse(current.deadline) > this.now().getTime()) return current;
    const { before, after } = await this.store.update(caseId, stepId, (step) => {
      if (step.state !== 'proposed' || step.timedOutAt || Date.parse(step.deadline) > this.now().getTime()) return step;
      const decided = this.decision('timeout', TIMEOUT_ACTOR, { reason: `no decision by ${step.deadline}: default ${step.timeoutDefault}` });
      const base = { ...step, timedOutAt: this.iso(), decisions: [...step.decisions, decided] };
      if (step.timeoutDefault === 'deny') return { ...base, state: 'expired' as const, approvals: [] };
      if (step.timeoutDefault === 'escalate') return { ...base, escalated: true, decisions: [...base.decisions, this.decision('escalated', TIMEOUT_ACTOR, { reason: 'only a lead or admin may approve now' })] };
      return base;
    }, this.audited((next, prior) => (prior!.timedOutAt === next.timedOutAt ? [] : [{ type: 'step.timeout', caseId, actor: TIMEOUT_ACTOR, data: { stepId, default: next.timeoutDefault, deadline: next.deadline, state: next.state, escalated: next.escalated, hash: next.hash } }])));
    if (before.rev === after.rev && before.state === after.state && before.timedOutAt === after.timedOutAt) return after;
    if (after.escalated) await this.announce(after, 'timed out: escalated to a lead');
    return after;
  }

  private async announce(step: CaseStep, why: string): Promise<void> {
    await this.scheduler.timeout(step.caseId, step.stepId, new Date(step.deadline));
    await this.scheduler.notify(step.caseId, step.stepId, step.hash, why);
  }
}

export function isOpen(step: CaseStep): boolean {
  return OPEN_STATES.includes(step.state);
}
