// Keeps the case's status (intake's case store) in step with its response: waiting for approval, responding
// while an action runs, contained once an isolation holds. A closed case is never reopened from here.
import type { CaseStatus, CaseStore } from '../cases/store.js';
import type { CaseStep } from './step.js';

const NOT_CLOSED: CaseStatus[] = ['open', 'triaging', 'triaged', 'awaiting_approval', 'responding', 'contained'];

export function statusOf(steps: CaseStep[]): CaseStatus | null {
  if (steps.some((step) => step.state === 'running' || step.state === 'approved')) return 'responding';
  if (steps.some((step) => step.state === 'proposed')) return 'awaiting_approval';
  if (steps.some((step) => step.action === 'isolate_host' && step.state === 'done')) return 'contained';
  return null;
}

export function caseStatusUpdater(cases: CaseStore): (caseId: string, steps: CaseStep[]) => Promise<void> {
  return async (caseId, steps) => {
    const status = statusOf(steps);
    if (!status) return;
    // Cases made outside intake (tools, tests) have no record: nothing to update.
    if (!(await cases.get(caseId))) return;
    await cases.setStatus(caseId, status, NOT_CLOSED);
  };
}
