// Runs one approved step through the connector. The approvals are consumed when the step moves to running
// (single use), the idempotency key is persisted before the vendor is called, and a run that finds the step
// already running (a worker died mid-action) reconciles with the vendor first: poll the known action id, or
// find the action by its key, and only then start it.
import type { ActionStatus, Connector } from '../../connectors/types.js';
import type { AuditSink } from '../audit/types.js';
import { buildRequest, isDeclared } from './actions.js';
import { definiteRefusal } from './refusal.js';
import { ConnectorError } from '../../connectors/http/errors.js';
import type { ResponseConfig } from './config.js';
import { ResponseService } from './service.js';
import { idempotencyKey, stepHash, type Actor, type CaseStep } from './step.js';
import type { Audited, StepStore } from './store.js';
import type { AuditEntry } from '../audit/types.js';

export const WORKER_ACTOR: Actor = { id: 'worker:response', role: 'system' };

export interface ExecutorOptions {
  store: StepStore;
  audit: AuditSink;
  config: ResponseConfig;
  service: ResponseService;
  connector: () => Promise<Connector>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /** Called with the persisted step each time it changes (metrics, case status). */
  onChange?: (step: CaseStep) => Promise<void>;
}

export interface ExecutionOutcome {
  stepId: string;
  state: CaseStep['state'];
  actionId: string | null;
  note: string;
}

/** Thrown when the vendor action is still pending after the configured polls: the job retries later. */
export class StillPending extends Error {
  readonly code = 'HW_ERR_ACTION_PENDING';
}

export class StepExecutor {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => Date;

  constructor(private readonly options: ExecutorOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? (() => new Date());
  }

  private entry(type: string, step: CaseStep, data: Record<string, unknown>): AuditEntry {
    return { type, caseId: step.caseId, actor: WORKER_ACTOR, data: { stepId: step.stepId, attempt: step.attempt, ...data } };
  }

  private async record(type: string, step: CaseStep, data: Record<string, unknown>): Promise<void> {
    await this.options.audit.append(this.entry(type, step, data));
  }

  /** Entries written atomically with a step change (only when the change happened). */
  private audited(entries: (after: CaseStep, before: CaseStep) => AuditEntry[]): Audited {
    return { sink: this.options.audit, entries: (after, before) => entries(after, before!) };
  }

  /** Executes (or resumes) a step. Safe to call more than once for the same attempt. */
  async run(caseId: string, stepId: string, attempt: number): Promise<ExecutionOutcome> {
    const { store } = this.options;
    let step = await store.mustGet(caseId, stepId);
    if (step.attempt !== attempt) return { stepId, state: step.state, actionId: step.actionId, note: `attempt ${attempt} is superseded by attempt ${step.attempt}` };
    if (step.state === 'approved') {
      const started = await this.start(step);
      if (!started) return { stepId, state: (await store.mustGet(caseId, stepId)).state, actionId: null, note: 'approvals no longer valid; the step waits for approval again' };
      step = started;
    } else if (step.state !== 'running') {
      return { stepId, state: step.state, actionId: step.actionId, note: `nothing to do: the step is ${step.state}` };
    }
    if (step.connectorAction === null) {
      return { stepId, state: step.state, actionId: null, note: 'manual step: waits for a responder to mark it done' };
    }
    return this.drive(step);
  }

  /** approved -> running, consuming the approvals, after checking they still bind to the step and are live. */
  private async start(approved: CaseStep): Promise<CaseStep | null> {
    const { store } = this.options;
    const nowMs = this.now().getTime();
    const valid =
      approved.hash === stepHash(approved) &&
      approved.approvals.length >= approved.approvalsRequired &&
      approved.approvals.every((approval) => approval.hash === approved.hash && Date.parse(approval.expiresAt) > nowMs);
    if (!valid) {
      await store.update(
        approved.caseId,
        approved.stepId,
        (step) =>
          step.state !== 'approved'
            ? step
            : { ...step, state: 'proposed', approvals: [], decisions: [...step.decisions, { kind: 'voided', by: WORKER_ACTOR, at: this.now().toISOString(), reason: 'approval expired or no longer matches the step' }] },
        this.audited((after, before) => (before.state === 'approved' ? [this.entry('approval.expired', after, { hash: before.hash, approvals: before.approvals.map((a) => ({ identity: a.identity, expiresAt: a.expiresAt })) })] : [])),
      );
      return null;
    }
    const key = idempotencyKey(approved.caseId, approved.stepId, approved.attempt);
    const { after } = await store.update(approved.caseId, approved.stepId, (step) => {
      if (step.state !== 'approved' || step.rev !== approved.rev) return step;
      return {
        ...step,
        state: 'running',
        usedApprovals: step.approvals,
        approvals: [],
        idempotencyKey: key,
        detail: step.connectorAction ? `running ${step.connectorAction}` : step.detail,
      };
    }, this.audited((next, before) => {
      if (before.state !== 'approved' || next.state !== 'running') return [];
      // Consuming the approvals is a decision of its own: recorded with the identities and the hash they bound.
      const started = this.entry('step.running', next, { idempotencyKey: key, hash: next.hash, approvals: next.usedApprovals.map((a) => ({ identity: a.identity, role: a.role, hash: a.hash })) });
      if (next.connectorAction !== null) return [started];
      return [started, this.entry('action.manual', next, { action: next.action, target: next.target, note: 'no connector action exists; a responder carries it out and marks the step done' })];
    }));
    if (after.state !== 'running') return null;
    await this.options.onChange?.(after);
    return after;
  }

  private async drive(running: CaseStep): Promise<ExecutionOutcome> {
    const { store, config } = this.options;
    const connector = await this.options.connector();
    const kind = running.connectorAction!;
    const key = running.idempotencyKey ?? idempotencyKey(running.caseId, running.stepId, running.attempt);
    let status: ActionStatus;

    if (!isDeclared(connector, kind)) {
      return this.finish(running, 'failed', null, `${connector.vendor} declares no ${kind} action; carry it out by hand or use another connector`);
    }
    if (running.actionId) {
      status = await connector.getActionStatus(running.actionId, kind);
      await this.record('action.polled', running, { actionId: status.actionId, state: status.state, vendor: status.vendor, detail: status.detail ?? null, reconcile: true });
    } else {
      // Reconcile with the vendor before any request: a worker that died after sending the action (or while
      // the vendor was still creating it) left the key in the action's comment, and the vendor finds it.
      const request = buildRequest(kind, running.target, running.params, key, `hivewatch case ${running.caseId} step ${running.stepId}`);
      let found = await connector.findAction(key, request);
      // An earlier request may still be on its way to the vendor: wait (polling the vendor for the key) until
      // it has had the grace period to arrive, rather than send a second one.
      for (let wait = 0; !found && running.requestedAt && this.now().getTime() - Date.parse(running.requestedAt) < config.reconcileGraceMs; wait++) {
        if (wait >= config.pollAttempts) {
          throw new StillPending(`HW_ERR_ACTION_PENDING: an earlier ${kind} request under ${key} (sent ${running.requestedAt}) may still reach ${connector.vendor}; the job retries and looks again`);
        }
        await this.sleep(config.pollIntervalMs);
        found = await connector.findAction(key, request);
      }
      let answer: AuditEntry;
      if (found) {
        status = found;
        answer = this.entry('action.reconciled', running, { idempotencyKey: key, actionId: found.actionId, state: found.state, vendor: found.vendor });
      } else {
        // Write-ahead: the request time and its record are stored before the vendor hears of it.
        const requestedAt = this.now().toISOString();
        ({ after: running } = await store.update(
          running.caseId,
          running.stepId,
          (step) => (step.state === 'running' && !step.actionId ? { ...step, requestedAt } : step),
          this.audited((next) => (next.requestedAt === requestedAt ? [this.entry('action.requested', next, { kind, target: next.target, idempotencyKey: key, vendor: connector.vendor })] : [])),
        ));
        if (running.state !== 'running' || running.requestedAt !== requestedAt) {
          return { stepId: running.stepId, state: running.state, actionId: running.actionId, note: 'another worker took the step over' };
        }
        try {
          status = await connector.runAction(request);
        } catch (err) {
          // Clearing the mark is best effort: if it fails, the mark stays and the retry waits (the safe side).
          await this.refused(running, requestedAt, key, err).catch(() => undefined);
          throw err;
        }
        answer = this.entry('action.response', running, { actionId: status.actionId, state: status.state, vendor: status.vendor, detail: status.detail ?? null });
      }
      if (status.state === 'unsupported') {
        await this.options.audit.append(answer);
        return this.finish(running, 'failed', null, `${status.vendor} does not support ${kind}: ${status.detail ?? 'unsupported'}; carry it out by hand`);
      }
      const { after } = await store.update(
        running.caseId,
        running.stepId,
        (step) => (step.state === 'running' ? { ...step, actionId: status.actionId, vendor: status.vendor, detail: status.detail ?? step.detail } : step),
        // The vendor's answer and the action id it gave are stored together.
        this.audited(() => [answer]),
      );
      running = after;
    }

    for (let poll = 0; status.state === 'pending'; poll++) {
      if (poll >= config.pollAttempts) {
        throw new StillPending(`HW_ERR_ACTION_PENDING: ${kind} ${status.actionId} still pending after ${config.pollAttempts} polls; the job retries and polls again`);
      }
      await this.sleep(config.pollIntervalMs);
      status = await connector.getActionStatus(status.actionId, kind);
      await this.record('action.polled', running, { actionId: status.actionId, state: status.state, vendor: status.vendor, detail: status.detail ?? null });
    }
    if (status.state === 'done') return this.finish(running, 'done', status.actionId, status.detail ?? `${kind} done`);
    return this.finish(running, 'failed', status.actionId, status.detail ?? `${kind} ${status.state}`);
  }

  /**
   * After a failed request: when the vendor definitely did not create the action, `requestedAt` is cleared
   * with an `action.refused` record (one atomic write), so the retry sends at once instead of waiting out
   * `reconcileGraceMs`. An ambiguous failure keeps the mark: the retry first looks for the action by its key.
   */
  private async refused(running: CaseStep, requestedAt: string, key: string, err: unknown): Promise<void> {
    const refusal = definiteRefusal(err);
    if (!refusal) return;
    // A ConnectorError's message is redacted by contract; anything else could carry a secret, so it is not quoted.
    const detail = err instanceof ConnectorError ? err.message : refusal.reason;
    await this.options.store.update(
      running.caseId,
      running.stepId,
      (step) => (step.state === 'running' && !step.actionId && step.requestedAt === requestedAt ? { ...step, requestedAt: null, detail: `refused: ${detail}` } : step),
      this.audited((next, before) =>
        before.requestedAt === requestedAt && next.requestedAt === null
          ? [this.entry('action.refused', next, { kind: next.connectorAction, idempotencyKey: key, code: refusal.code, status: refusal.status, reason: refusal.reason, detail })]
          : [],
      ),
    );
  }

  /** Marks a running step done or failed (for example after the job ran out of attempts). */
  async finish(running: CaseStep, state: 'done' | 'failed', actionId: string | null, detail: string): Promise<ExecutionOutcome> {
    const current = await this.options.store.mustGet(running.caseId, running.stepId);
    if (current.state !== 'running') return { stepId: current.stepId, state: current.state, actionId: current.actionId, note: `already ${current.state}` };
    // The outcome and its record are one atomic write (StepStore's audited compare-and-set).
    const { after } = await this.options.store.update(
      running.caseId,
      running.stepId,
      (step) =>
        step.state !== 'running'
          ? step
          : {
              ...step,
              state,
              actionId: actionId ?? step.actionId,
              detail,
              decisions: [...step.decisions, { kind: state === 'done' ? 'completed' : 'failed', by: WORKER_ACTOR, at: this.now().toISOString(), reason: detail }],
            },
      this.audited((next, before) =>
        before.state === 'running' && next.state === state
          ? [this.entry(state === 'done' ? 'step.done' : 'step.failed', next, { action: next.action, connectorAction: next.connectorAction, target: next.target, actionId: next.actionId, detail })]
          : [],
      ),
    );
    if (after.state === 'done') await this.options.service.finishRevert(after, WORKER_ACTOR);
    await this.options.onChange?.(after);
    return { stepId: after.stepId, state: after.state, actionId: after.actionId, note: detail };
  }
}
