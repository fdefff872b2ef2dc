// The hive-dump playbook: the rule's investigation guide, question by question, over one connector.
// Step 1 re-verifies the alert; steps 2-6 ask the guide's questions (concurrently where they do not depend on
// each other) and turn the answers into signals; step 7 decides by the guide's rules; step 8 proposes the plan.
import type { Alert } from '../../detection/alert.js';
import type { AssetInventory, Connector, ProcessRef } from '../../connectors/types.js';
import type { TriageReport } from './report.js';
import { addMs, eventIdOf, HOUR, MINUTE } from './evidence.js';
import { readExport } from './export.js';
import { readLineage } from './lineage.js';
import { emptyResult, Investigation } from './investigation.js';
import { verifyAlert, sourceRef, type RuleMatcher } from './verify.js';
import { assessExport } from './step-export.js';
import { assessLineage, grandparentRef, resolveLineage, stoppableActor } from './step-lineage.js';
import { assessStaging } from './step-staging.js';
import { assessHost } from './step-host.js';
import { assessWorkflow } from './step-workflow.js';
import { assessRelated } from './step-related.js';
import { assessUserHistory } from './step-user.js';
import { scoreOf, toFactors } from './score.js';
import { credentialExposure, decide, exposureOf } from './decide.js';
import { buildPlan, justifiesIsolation } from './plan.js';
import { str } from './text.js';
import { closestWorkflow, type Workflow, type WorkflowField } from './workflows.js';

export type { QueryRecord } from './investigation.js';

export interface PlaybookOptions {
  /** Prior alerts a workflow must recur in (default 3). */
  minRecurrence?: number;
  /** How far back prior alerts of the rule are read for recurrence (default 30 days). */
  recurrenceLookbackMs?: number;
  /** Same-parent window when the parent has an entity id (default 1 h either side, as the guide's blocks). */
  lineageWindowMs?: number;
  /** Tight window for the host + parent pid fallback, where pids get reused (default 10 min). */
  pidWindowMs?: number;
  /** Related-alert lookback (default 48 h). */
  relatedWindowMs?: number;
  now?: () => Date;
}

export interface PlaybookDeps {
  connector: Connector;
  assets: AssetInventory;
  rule: RuleMatcher;
  workflows?: Workflow[];
  options?: PlaybookOptions;
}

/** Runs the whole guide for one alert and returns the report (without caseId; the worker adds it). */
export async function runHiveDumpPlaybook(alert: Alert, deps: PlaybookDeps): Promise<TriageReport> {
  const { connector, assets, rule } = deps;
  const workflows = deps.workflows ?? [];
  const opts = deps.options ?? {};
  const minRecurrence = opts.minRecurrence ?? 3;
  const lineageMs = opts.lineageWindowMs ?? HOUR;
  const pidMs = opts.pidWindowMs ?? 10 * MINUTE;
  const relatedMs = opts.relatedWindowMs ?? 48 * HOUR;
  const lookbackMs = opts.recurrenceLookbackMs ?? 30 * 24 * HOUR;
  const at = alert.originalTime;
  const inv = new Investigation(connector.vendor);

  // Step 1 runs alongside the questions that need only the host: the alert's host id is what we looked the
  // source event up by, so it is the one claim those questions may use.
  const hostWindow = { from: addMs(at, -relatedMs), to: addMs(at, HOUR) };
  const [verification, hostAlerts, ruleAlerts, asset] = await Promise.all([
    verifyAlert(alert, connector, rule),
    connector.getAlertsForHost(alert.hostId, hostWindow),
    connector.getAlertsForRule(rule.ruleId, { from: addMs(at, -lookbackMs), to: addMs(at, HOUR) }),
    assets.getAsset(alert.hostId),
  ]);
  inv.record('source_event', verification.result);
  inv.record('alerts_for_host', hostAlerts);
  inv.record('alerts_for_rule', ruleAlerts);
  if (verification.drift) inv.open(`rule drift: ${verification.drift}`);

  const base = {
    alertId: alert.id,
    ruleVersion: rule.version,
    verification: { verified: verification.verified, reason: verification.reason, drift: verification.drift },
    hostId: alert.hostId,
    hostName: asset?.['host.name'] ?? alert.hostName,
    hostRole: asset?.role ?? null,
    criticality: asset?.criticality ?? null,
    generatedAt: (opts.now?.() ?? new Date()).toISOString(),
  };

  if (!verification.verified || !verification.source) {
    inv.open(`verification failed: ${verification.reason}`);
    const plan = buildPlan({
      disposition: 'unverified',
      signals: [],
      alertId: alert.id,
      hostId: alert.hostId,
      asset,
      user: { id: null, name: null, reliable: false },
      process: { entityId: alert.process.entityId, pid: alert.process.pid, executable: null, commandLine: null },
      runningProcess: null,
      outputPaths: [],
      artifactPaths: [],
      preserve: { alertId: alert.id, sourceEventId: alert.sourceEventId, sourceIndex: alert.sourceIndex, lookup: verification.evidence },
    });
    return {
      ...base,
      hives: [],
      verb: null,
      outputPath: null,
      destinations: [],
      factors: [],
      score: 0,
      disposition: 'unverified',
      unresolved: inv.unresolved,
      plan,
      evidenceVersion: inv.evidenceVersion(),
      verificationEvidence: verification.evidence,
      queries: inv.queries,
    };
  }

  // From here on the source event is the truth; the alert payload is only a pointer to it.
  const source = verification.source;
  const sourceEvidence = verification.evidence;
  const srcRef: ProcessRef = sourceRef(alert);
  const sourceEntity = str(source, 'process.entity_id');
  const sourcePid = str(source, 'process.pid');
  if (sourceEntity) srcRef.entityId = sourceEntity;
  if (sourcePid !== null) srcRef.pid = Number(sourcePid);
  const facts = readExport(source);
  const closest = workflows.length > 0 ? closestWorkflow(source, workflows) : null;
  const matches = (field: WorkflowField) => closest?.dimensions[field].state === 'match';

  // Step 2: the export.
  assessExport(inv, facts, sourceEvidence, matches('process.command_line'));

  // Steps 3 and 4 ask their questions together.
  const userId = str(source, 'user.id');
  const userAsked = userId !== null && readLineage(source, null, null).userIdReliable;
  const parentEntityId = str(source, 'process.parent.entity_id');
  const parentPid = str(source, 'process.parent.pid');
  const parentRef: ProcessRef = { hostId: alert.hostId };
  if (parentEntityId) parentRef.entityId = parentEntityId;
  if (parentPid !== null) parentRef.pid = Number(parentPid);
  const siblingsAsked = parentRef.entityId !== undefined || parentRef.pid !== undefined;
  const near = parentEntityId ? lineageMs : pidMs;
  const siblingWindow = { from: addMs(at, -near), to: addMs(at, near) };
  const childWindow = { from: at, to: addMs(at, srcRef.entityId ? lineageMs : pidMs) };
  const [ancestry, siblings, children, files, network, userAlerts] = await Promise.all([
    connector.getAncestry(srcRef, 2, { from: addMs(at, -24 * HOUR), to: addMs(at, MINUTE) }),
    siblingsAsked ? connector.getSiblingProcesses(parentRef, siblingWindow) : Promise.resolve(emptyResult('(no parent entity id or pid on the source event)', siblingWindow, 'the source event names no parent')),
    connector.getChildProcesses(srcRef, childWindow),
    connector.getFileEvents(srcRef, childWindow),
    connector.getNetworkEvents(srcRef, childWindow),
    userAsked ? connector.getAlertsForUser(userId, hostWindow) : Promise.resolve(emptyResult(`(same-user pivot skipped for user.id ${userId ?? 'absent'})`, hostWindow, 'no reliable user.id')),
  ]);
  inv.record('ancestry', ancestry);
  inv.record('same_parent', siblings);
  inv.record('children', children);
  inv.record('file_activity', files);
  inv.record('network_activity', network);
  inv.record('alerts_for_user', userAlerts);

  // Step 3: lineage. Behind a generic wrapper the real actor is the grandparent: its other children are the staging.
  const resolved = resolveLineage(inv, source, ancestry, at, sourceEvidence);
  const { lineage } = resolved;
  let grandchildren = null;
  if (lineage.genericWrapper) {
    const gpRef = grandparentRef(alert.hostId, lineage);
    if (gpRef) {
      const span = gpRef.entityId ? lineageMs : pidMs;
      grandchildren = inv.record('grandparent_children', await connector.getChildProcesses(gpRef, { from: addMs(at, -span), to: addMs(at, span) }));
      const gp = lineage.grandparent!;
      inv.signal('lineage.wrapper_expanded', [...resolved.ancestryEvidence, inv.cite(grandchildren, grandchildren.events, 'children of the grandparent')], `parent ${lineage.parent.name ?? '?'} is a generic wrapper; ancestry expanded to ${gp.name ?? gp.executable ?? `pid ${gp.pid}`}`, false);
    } else {
      inv.open('the parent is a generic wrapper but its own parent could not be found; lineage stays unclear');
    }
  }
  assessLineage(inv, resolved, sourceEvidence, { parent: matches('process.parent.command_line'), user: matches('user.id') });
  const userHistory = assessUserHistory(inv, {
    alert,
    source,
    userId,
    userIdReliable: lineage.userIdReliable,
    alerts: [
      { name: 'alerts_for_rule', result: ruleAlerts },
      { name: 'alerts_for_host', result: hostAlerts },
    ],
    processes: [
      { name: 'ancestry', result: ancestry },
      { name: 'same_parent', result: siblings },
      ...(grandchildren ? [{ name: 'grandparent_children', result: grandchildren }] : []),
    ],
    explained: matches('user.id'),
    sourceEvidence,
  });

  // Step 4: same parent, the grandparent's other children, reg.exe's children, file and network activity.
  const staging = assessStaging(inv, { source, facts, lineage, parentStart: resolved.parentStart, siblings, siblingsAsked, children, grandchildren, files, network, workflows });

  // Host role (inventory only), recognised workflows, related alerts.
  const assetEvidence = assessHost(inv, asset, alert.hostId, hostWindow, matches('host.id'));
  const workflow = assessWorkflow(inv, { alert, source, ruleId: rule.ruleId, workflows, match: closest, ruleAlerts, minRecurrence, sourceEvidence, assetEvidence });
  assessRelated(inv, { alert, source, ruleId: rule.ruleId, workflows, hostAlerts, userAlerts, userAsked });

  // Step 7: decide.
  const hives = facts.hives;
  const decision = decide({ verified: true, hives, subkeys: facts.subkeys, signals: inv.signals, workflowBound: workflow.bound, incomplete: inv.incomplete });
  if (decision.disposition !== 'benign' && workflow.bound) {
    // The workflow matched, but other evidence contradicts it: it no longer lowers the score.
    inv.drop('workflow.recognised');
    inv.open(`workflow "${closest!.workflow.name}" matches every dimension, but other evidence contradicts it: ${decision.reason}`);
  }
  const factors = toFactors(inv.signals);
  const score = decision.disposition === 'benign' ? Math.min(scoreOf(factors), 20) : scoreOf(factors);

  // Step 8: plan.
  const artifactPaths = [...staging.artifactPaths];
  const plan = buildPlan({
    disposition: decision.disposition,
    signals: inv.signals,
    alertId: alert.id,
    hostId: alert.hostId,
    asset,
    user: { id: userId, name: lineage.userName, reliable: lineage.userIdReliable },
    process: { entityId: sourceEntity, pid: sourcePid === null ? null : Number(sourcePid), executable: facts.binary.executable, commandLine: str(source, 'process.command_line') },
    runningProcess: stoppableActor(lineage, [...children.events, ...ancestry.events]),
    outputPaths: artifactPaths.filter((p) => p.startsWith('\\\\') || p === facts.resolvedOutputPath),
    artifactPaths,
    preserve: {
      alertId: alert.id,
      sourceEventId: eventIdOf(source),
      processEntityId: sourceEntity,
      pid: sourcePid === null ? null : Number(sourcePid),
      commandLine: str(source, 'process.command_line'),
      parentCommandLine: lineage.parent.commandLine,
      outputPath: facts.resolvedOutputPath ?? facts.outputPath,
      siblingCommandLines: staging.processDocs.map((d) => str(d, 'process.command_line')).filter(Boolean).slice(0, 50),
      logonType: lineage.logonType,
      userId,
      userName: lineage.userName,
      hostId: alert.hostId,
    },
  });

  // An open question for a lead only when isolation is warranted; a benign case has nothing to isolate.
  if (asset && !asset.isolation_allowed && justifiesIsolation({ disposition: decision.disposition, signals: inv.signals, asset })) {
    inv.open(`the findings justify isolation, but the inventory forbids isolating ${asset['host.name']} (${asset.role}); containment stays below isolation until a lead decides`);
  }

  const exposed = credentialExposure({ hives, subkeys: facts.subkeys, signals: inv.signals }) || hives.length > 0;
  return {
    ...base,
    hives,
    verb: facts.verb,
    outputPath: facts.outputPath,
    resolvedOutputPath: facts.resolvedOutputPath,
    destinations: facts.destinations,
    factors,
    score,
    disposition: decision.disposition,
    dispositionReason: decision.reason,
    unresolved: inv.unresolved,
    plan,
    evidenceVersion: inv.evidenceVersion(),
    exposure: exposed ? exposureOf(hives, facts.subkeys, [...staging.companionHives]) : [],
    binary: facts.binary,
    lineage: {
      parent: lineage.parent,
      parentKind: lineage.parentKind,
      genericWrapper: lineage.genericWrapper,
      grandparent: lineage.grandparent,
      grandparentKind: lineage.grandparentKind,
      logonType: lineage.logonType,
      session: lineage.session,
      userId,
      userName: lineage.userName,
    },
    userHistory,
    workflow: workflow.report,
    candidateExceptions: workflow.candidates,
    queries: inv.queries,
  };
}
