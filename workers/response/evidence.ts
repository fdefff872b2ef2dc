// "More evidence": re-runs the case's investigation by queueing its triage job again (a new job id per
// evidence version). The playbook then proposes its plan again under the bumped evidence version.
import type { AuditSink } from '../audit/types.js';
import type { CaseStore } from '../cases/store.js';
import { alertOfJob, type AlertJobData } from '../intake/job.js';
import { alertJobId, QUEUE_NAMES, safeJobId, type Queues } from '../queues.js';
import type { TriageJobData } from '../triage/job.js';
import type { ResponseServiceOptions } from './service.js';

export function rerunTriage(queues: Queues, cases: CaseStore, audit: AuditSink): NonNullable<ResponseServiceOptions['onMoreEvidence']> {
  return async (caseId, request) => {
    const record = await cases.get(caseId);
    const alertJob = record ? await queues.alerts.getJob(alertJobId(record.firstAlertId)) : undefined;
    const alert = alertJob ? alertOfJob(alertJob.data as AlertJobData) : undefined;
    if (!alert) {
      await audit.append({ type: 'evidence.rerun_unavailable', caseId, actor: { id: request.by.id, role: request.by.role }, data: { stepId: request.stepId, reason: 'the alert of the case is no longer in the job history; re-run the investigation by hand' } });
      return;
    }
    const jobId = safeJobId('triage', `${caseId}-ev${request.evidenceVersion}`);
    const data: TriageJobData = { caseId, alert, evidenceRequest: { evidenceVersion: request.evidenceVersion, stepId: request.stepId, question: request.question } };
    await queues.triage.add('triage', data, { jobId });
    await cases.addJob(caseId, QUEUE_NAMES.triage, jobId);
    await audit.append({ type: 'evidence.rerun_queued', caseId, actor: { id: request.by.id, role: request.by.role }, data: { stepId: request.stepId, jobId, evidenceVersion: request.evidenceVersion } });
  };
}
