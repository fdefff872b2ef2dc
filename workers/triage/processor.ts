import type { Job } from 'bullmq';
import type { TriageJobData } from './job.js';

// Placeholder processor for the `triage` queue until the playbook issue fills it in:
// it runs the hive-dump playbook, stores the report with the case, writes audit entries
// and hands the plan to the response stage (workers/response/propose.ts).
export async function processTriage(job: Job<TriageJobData>): Promise<{ caseId: string }> {
  return { caseId: job.data.caseId };
}
