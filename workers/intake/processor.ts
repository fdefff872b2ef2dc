// The `alerts` queue processor: an admitted alert -> its case -> the case's triage job. Triage runs once per
// case (the alert that created it); alerts that join later are recorded on the case and in their own job, so
// a storm of one parent process is investigated and paged once. Every step is idempotent: a re-run after a
// stall adds nothing twice (fixed job ids, HSETNX links, conditional status).
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { AuditSink } from '../audit/types.js';
import type { CaseStore } from '../cases/store.js';
import { QUEUE_NAMES, triageJobId } from '../queues.js';
import type { TriageJobData } from '../triage/job.js';
import { alertOfJob, type AlertJobData } from './job.js';

export interface IntakeProcessorDeps {
  cases: CaseStore;
  triageQueue: Queue;
  audit?: AuditSink;
}

export interface IntakeJobResult {
  caseId: string;
  /** The triage job this alert started, or null when its case was already being triaged. */
  triageJobId: string | null;
}

/** Retrying cannot bring a case back: fail at once (UnrecoverableError skips the remaining attempts). */
export class CaseMissingError extends UnrecoverableError {
  readonly code = 'HW_ERR_CASE_MISSING';
}

export function createIntakeProcessor(deps: IntakeProcessorDeps) {
  return async function processIntake(job: Job<AlertJobData>): Promise<IntakeJobResult> {
    const { caseId } = job.data;
    const alert = alertOfJob(job.data);
    const record = await deps.cases.get(caseId);
    if (!record) {
      throw new CaseMissingError(`HW_ERR_CASE_MISSING: case ${caseId} of alert ${alert.id} is gone (case retention?); the alert cannot be triaged`);
    }
    // From here on a redelivered duplicate is not re-added (admit.ts); the job exists until retention.
    await deps.cases.markQueued([alert.id]);
    await deps.audit?.append({
      type: 'alert.received',
      caseId,
      data: { alertId: alert.id, idSource: alert.idSource, ruleId: alert.ruleId, hostId: alert.hostId, admission: job.data.admission, source: job.data.source },
    });
    if (record.firstAlertId !== alert.id) {
      await job.log(`joined case ${caseId} (${record.alertCount} alerts); triage runs once per case`);
      return { caseId, triageJobId: null };
    }
    const id = triageJobId(caseId);
    const data: TriageJobData = { caseId, alert };
    await deps.triageQueue.add('triage', data, { jobId: id });
    await deps.cases.addJob(caseId, QUEUE_NAMES.triage, id);
    await deps.cases.setStatus(caseId, 'triaging', ['open']);
    await job.log(`created case ${caseId}; queued triage job ${id}`);
    return { caseId, triageJobId: id };
  };
}
