import type { TriageReport } from '../../playbooks/hive-dump/report.js';
import { ResponseError } from './errors.js';
import type { ResponseRuntime } from './runtime.js';

// The hand-off from the playbook: a triage report's plan becomes case steps that wait for approval.
// The process that runs the triage worker registers its response runtime once (registerResponseRuntime);
// tests and tools may pass one explicitly.
let registered: ResponseRuntime | undefined;

export function registerResponseRuntime(runtime: ResponseRuntime | undefined): void {
  registered = runtime;
}

/** Waits briefly for the stage to register: workers start triage before the response stage is up. */
async function registeredRuntime(waitMs = 5_000): Promise<ResponseRuntime | undefined> {
  for (let waited = 0; !registered && waited < waitMs; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  return registered;
}

export async function proposePlan(caseId: string, report: TriageReport, explicit?: ResponseRuntime): Promise<void> {
  const runtime = explicit ?? (await registeredRuntime());
  if (!runtime) {
    throw new ResponseError('HW_ERR_RESPONSE_NOT_READY', 500, 'no response runtime registered in this process; call registerResponseRuntime(createResponseRuntime(...)) at worker start');
  }
  // The service audits the proposal (`response.proposed`); the playbook audits its own plan (`triage.plan`).
  await runtime.service.proposePlan(caseId, report);
}
