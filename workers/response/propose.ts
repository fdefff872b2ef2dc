import type { TriageReport } from '../../playbooks/hive-dump/report.js';

// Placeholder until the response issue fills it in: turns a triage report's plan into case steps
// that wait for approval.
export async function proposePlan(_caseId: string, _report: TriageReport): Promise<void> {}
