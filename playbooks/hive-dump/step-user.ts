// Guide step 3, "unexpected user": has this user.id been seen on this host before? The history is what the
// connector already returned: prior alerts of this rule (30 days) and of any rule (48 h) on the host, and the
// prior process events of the lineage questions. Those process events belong to this same activity (its
// parent, its siblings), so they can name other users on the host but never prove this user's history; nor
// can alerts on the same process tree. A user absent from a history that names other users is unexpected;
// with no history there is nothing to compare, which stays an open question, never a guess.
import type { Alert } from '../../detection/alert.js';
import type { EcsEvent, QueryResult } from '../../connectors/types.js';
import { isSameAlert, startOfAlert } from './alert-docs.js';
import { eventIdOf } from './evidence.js';
import type { Investigation } from './investigation.js';
import type { Evidence } from './report.js';
import { str } from './text.js';

/** Windows' built-in service identities run on every host: their presence says nothing about who logs on. */
const WELL_KNOWN = new Set(['S-1-5-18', 'S-1-5-19', 'S-1-5-20']);

export interface UserHistoryInput {
  alert: Alert;
  source: EcsEvent;
  userId: string | null;
  /** False for the Sysmon service SID and similar: the user.id says nothing then. */
  userIdReliable: boolean;
  /** Prior alerts, newest question first: alerts of this rule, alerts on the host. */
  alerts: { name: string; result: QueryResult }[];
  /** Process answers whose earlier events show who ran things on the host (ancestry, same parent, ...). */
  processes: { name: string; result: QueryResult }[];
  /** A recognised workflow names this user (then a first appearance is explained). */
  explained: boolean;
  sourceEvidence: Evidence[];
}

export interface UserHistory {
  /** Other users (by user.id) seen on the host before the alert. */
  others: string[];
  seenBefore: boolean;
  /** Documents the history was read from. */
  documents: number;
}

function prior(doc: EcsEvent, hostId: string, at: number, isAlert: boolean): boolean {
  if (str(doc, 'host.id') !== hostId) return false;
  const when = isAlert ? startOfAlert(doc) : Date.parse(str(doc, '@timestamp') ?? '');
  return Number.isFinite(when) && when > 0 && when < at;
}

export function assessUserHistory(inv: Investigation, input: UserHistoryInput): UserHistory | null {
  const { alert, source, userId } = input;
  // No reliable id, or a built-in service identity (user.service_account covers it): nothing to compare.
  if (!userId || !input.userIdReliable || WELL_KNOWN.has(userId)) return null;
  const at = Date.parse(alert.originalTime);
  const sourceId = eventIdOf(source);
  const byUser = new Map<string, { name: string; result: QueryResult; docs: EcsEvent[] }[]>();
  let documents = 0;
  const tree = new Set([str(source, 'process.entity_id'), str(source, 'process.parent.entity_id')].filter((id): id is string => id !== null));
  const sameTree = (doc: EcsEvent) => tree.has(str(doc, 'process.entity_id') ?? '') || tree.has(str(doc, 'process.parent.entity_id') ?? '');
  const add = (name: string, result: QueryResult, isAlert: boolean) => {
    for (const doc of result.events) {
      if (!prior(doc, alert.hostId, at, isAlert)) continue;
      if (isAlert ? isSameAlert(doc, alert, source) : eventIdOf(doc) === sourceId) continue;
      const who = str(doc, 'user.id');
      if (!who || WELL_KNOWN.has(who)) continue;
      // This activity's own events show who else is around, not that this user was here before.
      if (who === userId && (!isAlert || sameTree(doc))) continue;
      documents += 1;
      const groups = byUser.get(who) ?? [];
      let group = groups.find((g) => g.name === name);
      if (!group) groups.push((group = { name, result, docs: [] }));
      group.docs.push(doc);
      byUser.set(who, groups);
    }
  };
  for (const { name, result } of input.alerts) add(name, result, true);
  for (const { name, result } of input.processes) add(name, result, false);

  const others = [...byUser.keys()].filter((id) => id !== userId).sort();
  const seenBefore = byUser.has(userId);
  if (!seenBefore && others.length === 0) {
    inv.open(`no history of users on host ${alert.hostName ?? alert.hostId} before the alert (no prior alerts or process events of a named user): cannot tell whether user ${userId} is expected there`);
  } else if (!seenBefore) {
    const evidence: Evidence[] = [...input.sourceEvidence];
    // Cite where the other users were seen, per question (one citation per question and user set).
    const perQuestion = new Map<string, { result: QueryResult; docs: EcsEvent[] }>();
    for (const id of others) {
      for (const g of byUser.get(id)!) {
        const entry = perQuestion.get(g.name) ?? { result: g.result, docs: [] };
        entry.docs.push(...g.docs);
        perQuestion.set(g.name, entry);
      }
    }
    for (const [name, { result, docs }] of perQuestion) evidence.push(inv.cite(result, docs, `${name}: earlier activity on the host by ${others.length} other user(s), none by ${userId}`));
    const names = others.slice(0, 5).join(', ') + (others.length > 5 ? `, and ${others.length - 5} more` : '');
    inv.signal('user.unseen_on_host', evidence, `user ${str(source, 'user.name') ?? userId} (${userId}) never appeared on this host before, while ${names} did`, true, input.explained);
  }
  return { others, seenBefore, documents };
}
