// Intake of parsed webhook items: validate each alert, gate on the rule, admit it to a case (dedup + grouping)
// and add its `alerts` job. It returns only after the jobs are in Redis, so the HTTP 2xx means stored.
import type { Queue } from 'bullmq';
import { AlertValidationError, parseAlert, type Alert } from '../../detection/alert.js';
import type { CaseStore } from '../cases/store.js';
import { alertJobId } from '../queues.js';
import type { BodyItem } from './extract.js';
import type { AlertJobData } from './job.js';

export type IntakeStatus = 'queued' | 'duplicate' | 'rejected';

export interface IntakeResult {
  index: number;
  status: IntakeStatus;
  alertId?: string;
  caseId?: string;
  /** API path of the case. */
  case?: string;
  /** Why it was rejected, naming the field. */
  reason?: string;
}

export interface IntakeDeps {
  cases: CaseStore;
  alertsQueue: Queue;
  /** Rule ids accepted; empty accepts all. Alerts without a rule id are accepted (field-picking templates). */
  acceptedRuleIds: string[];
  now?: () => number;
}

const caseLink = (caseId: string) => `/v1/cases/${encodeURIComponent(caseId)}`;

export async function admitItems(items: BodyItem[], source: string, deps: IntakeDeps): Promise<IntakeResult[]> {
  const results: IntakeResult[] = new Array(items.length);
  const accepted: { slot: number; alert: Alert }[] = [];
  const seen = new Map<string, number>();
  items.forEach((item, slot) => {
    if ('error' in item) {
      results[slot] = { index: item.index, status: 'rejected', reason: item.error };
      return;
    }
    let alert: Alert;
    try {
      alert = parseAlert(item.raw);
    } catch (err) {
      const reason = err instanceof AlertValidationError ? err.message : 'the alert could not be read';
      results[slot] = { index: item.index, status: 'rejected', reason };
      return;
    }
    if (deps.acceptedRuleIds.length > 0 && alert.ruleId !== null && !deps.acceptedRuleIds.includes(alert.ruleId)) {
      results[slot] = {
        index: item.index,
        status: 'rejected',
        alertId: alert.id,
        reason: `kibana.alert.rule.rule_id: "${alert.ruleId}" is not an accepted rule (intake.acceptedRuleIds)`,
      };
      return;
    }
    // The same alert twice in one body: the second is a duplicate of the first, resolved after admission.
    if (seen.has(alert.id)) {
      results[slot] = { index: item.index, status: 'duplicate', alertId: alert.id };
      return;
    }
    seen.set(alert.id, slot);
    accepted.push({ slot, alert });
  });

  if (accepted.length > 0) {
    const admissions = await deps.cases.admitMany(accepted.map(({ alert }) => alert));
    const receivedAt = new Date((deps.now ?? Date.now)()).toISOString();
    const toQueue: { name: string; data: AlertJobData; opts: { jobId: string } }[] = [];
    admissions.forEach((admission, i) => {
      const { slot, alert } = accepted[i]!;
      // A duplicate not yet marked processed is added again under its fixed job id: a no-op while its job
      // exists, a recovery when a crash came between admission and addBulk.
      const isNew = admission.outcome !== 'duplicate';
      if (isNew || !admission.queued) {
        toQueue.push({
          name: 'alert',
          data: { document: alert.document, alertId: alert.id, caseId: admission.caseId, admission: admission.outcome, receivedAt, source },
          opts: { jobId: alertJobId(alert.id) },
        });
      }
      results[slot] = {
        index: items[slot]!.index,
        status: isNew ? 'queued' : 'duplicate',
        alertId: alert.id,
        caseId: admission.caseId,
        case: caseLink(admission.caseId),
      };
    });
    // The intake worker marks each alert processed (CaseStore.markQueued): one round trip less here.
    // One job: queue.add runs BullMQ's script directly; addBulk builds a MULTI (ioredis copies every defined
    // script onto it), about three times the CPU for a single alert.
    if (toQueue.length === 1) await deps.alertsQueue.add(toQueue[0]!.name, toQueue[0]!.data, toQueue[0]!.opts);
    else if (toQueue.length > 1) await deps.alertsQueue.addBulk(toQueue);
  }

  // In-body repeats point at the case their first copy got.
  for (const result of results) {
    if (result.status === 'duplicate' && !result.caseId && result.alertId) {
      const first = results[seen.get(result.alertId)!];
      if (first?.caseId) {
        result.caseId = first.caseId;
        result.case = caseLink(first.caseId);
      }
    }
  }
  return results;
}
