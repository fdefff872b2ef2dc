// Recognised workflows: every guide dimension, recurrence in prior alerts of this rule, no contradiction;
// and the recurring past patterns offered as candidate exceptions.
import type { Alert } from '../../detection/alert.js';
import type { EcsEvent, QueryResult } from '../../connectors/types.js';
import { isSameAlert, startOfAlert } from './alert-docs.js';
import { eventIdOf } from './evidence.js';
import type { Investigation } from './investigation.js';
import { alertIdOf, ruleIdOf } from './related.js';
import type { Evidence } from './report.js';
import { candidateExceptions, matchesWorkflow, type CandidateException, type Workflow, type WorkflowComparison } from './workflows.js';

export interface WorkflowInput {
  alert: Alert;
  source: EcsEvent;
  ruleId: string;
  workflows: Workflow[];
  /** The closest workflow (closestWorkflow), or null. */
  match: WorkflowComparison | null;
  ruleAlerts: QueryResult;
  minRecurrence: number;
  sourceEvidence: Evidence[];
  assetEvidence: Evidence;
}

export interface WorkflowOutcome {
  bound: boolean;
  report: Record<string, unknown>;
  candidates: CandidateException[];
}

export function assessWorkflow(inv: Investigation, input: WorkflowInput): WorkflowOutcome {
  const { alert, source, ruleId, workflows, match, ruleAlerts, minRecurrence } = input;
  const at = Date.parse(alert.originalTime);
  const prior = ruleAlerts.events.filter((doc) => (ruleIdOf(doc) === ruleId || ruleIdOf(doc) === null) && !isSameAlert(doc, alert, source) && startOfAlert(doc) <= at);
  const report: Record<string, unknown> = { considered: workflows.length };
  let bound = false;
  if (match) {
    const { workflow, dimensions } = match;
    const recurring = prior.filter((doc) => matchesWorkflow(doc, workflow));
    const recurrenceEvidence = inv.cite(ruleAlerts, recurring, `prior alerts of rule ${ruleId} matching workflow "${workflow.name}"`);
    Object.assign(report, { name: workflow.name, dimensions, recurrence: recurring.length, minRecurrence });
    if (match.contradicting.length > 0) {
      const detail = match.contradicting.map((f) => `${f} (expected ${dimensions[f].expected}, saw ${dimensions[f].actual})`).join(', ');
      inv.signal('workflow.contradiction', [...input.sourceEvidence, recurrenceEvidence], `workflow "${workflow.name}" is contradicted on ${detail}`, false);
      if (match.contradicting.includes('user.id')) inv.signal('user.unexpected', input.sourceEvidence, `user ${dimensions['user.id'].actual} is not the workflow's user ${workflow['user.id']}`, false);
    } else if (match.unknown.length > 0) {
      inv.open(`workflow "${workflow.name}" cannot be confirmed: ${match.unknown.join(', ')} absent from the source event`, `workflow dimensions unknown: ${match.unknown.join(', ')}`);
    } else if (recurring.length < minRecurrence) {
      inv.open(`workflow "${workflow.name}" matches but recurs in only ${recurring.length} prior alert(s) of this rule (needs ${minRecurrence})`);
    } else {
      bound = true;
      inv.signal('workflow.recognised', [...input.sourceEvidence, recurrenceEvidence, input.assetEvidence], `every guide dimension binds workflow "${workflow.name}", seen in ${recurring.length} prior alerts of this rule`, false);
    }
  }
  const candidates = candidateExceptions([...prior, source], workflows, minRecurrence, (d) => alertIdOf(d) ?? eventIdOf(d));
  return { bound, report, candidates };
}
