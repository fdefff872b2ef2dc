// Guide step 5: alerts for the same user and the same host over 48 hours.
import type { Alert } from '../../detection/alert.js';
import type { EcsEvent, QueryResult } from '../../connectors/types.js';
import { isSameAlert, sameJob, sameJobFields } from './alert-docs.js';
import { eventIdOf } from './evidence.js';
import type { Investigation } from './investigation.js';
import { alertIdOf, categoriesOf, ruleIdOf, type RelatedCategory } from './related.js';
import type { FactorId } from './score.js';
import { matchesWorkflow, type Workflow } from './workflows.js';

const RELATED_FACTOR: Record<Exclude<RelatedCategory, 'other'>, FactorId> = {
  credential_access: 'related.credential_access',
  archiving: 'related.archiving',
  privilege_escalation: 'related.privilege_escalation',
  persistence: 'related.persistence',
  lateral_movement: 'related.lateral_movement',
};

export interface RelatedInput {
  alert: Alert;
  source: EcsEvent;
  ruleId: string;
  workflows: Workflow[];
  hostAlerts: QueryResult;
  userAlerts: QueryResult;
  /** False when the same-user question was skipped (no reliable user.id). */
  userAsked: boolean;
}

export function assessRelated(inv: Investigation, input: RelatedInput): void {
  const { alert, source, ruleId, workflows, hostAlerts, userAlerts } = input;
  const related = new Map<string, EcsEvent>();
  for (const doc of [...hostAlerts.events, ...userAlerts.events]) {
    if (isSameAlert(doc, alert, source)) continue;
    if (ruleIdOf(doc) === ruleId) {
      // Alerts of this rule that a recognised workflow accounts for are not related abuse; nor are earlier runs
      // of this same job (same binary, signer, parent command line, user, host): they are its history, weighed
      // as recurrence and candidate exceptions.
      if (workflows.some((wf) => matchesWorkflow(doc, wf)) || sameJob(doc, source, workflows) || sameJobFields(doc, source)) continue;
    }
    related.set(alertIdOf(doc) ?? eventIdOf(doc), doc);
  }
  const fromUser = new Set(userAlerts.events);
  const fromHost = new Set(hostAlerts.events);
  const byCategory = new Map<RelatedCategory, EcsEvent[]>();
  for (const doc of related.values()) {
    for (const cat of categoriesOf(doc)) {
      const list = byCategory.get(cat);
      if (list) list.push(doc);
      else byCategory.set(cat, [doc]);
    }
  }
  for (const [cat, docs] of byCategory) {
    if (cat === 'other') continue;
    const label = cat.replace(/_/g, ' ');
    const onHost = docs.filter((d) => fromHost.has(d));
    const ofUser = docs.filter((d) => fromUser.has(d));
    const evidence = [
      ...(onHost.length ? [inv.cite(hostAlerts, onHost, `${label} alerts on the same host`)] : []),
      ...(ofUser.length ? [inv.cite(userAlerts, ofUser, `${label} alerts for the same user`)] : []),
    ];
    inv.signal(RELATED_FACTOR[cat], evidence, `${docs.length} related ${label} alert(s) within 48 h`, cat === 'credential_access' || cat === 'lateral_movement');
  }
  if (hostAlerts.coverage !== 'full') inv.open(`alerts for the host: coverage ${hostAlerts.coverage}${hostAlerts.note ? ` (${hostAlerts.note})` : ''}`);
  if (input.userAsked && userAlerts.coverage !== 'full') inv.open(`alerts for the user: coverage ${userAlerts.coverage}${userAlerts.note ? ` (${userAlerts.note})` : ''}`);
}
