// The hive-dump playbook: the rule's investigation guide, question by question, over one connector.
import { createHash } from 'node:crypto';
import type { Alert } from '../../detection/alert.js';
import type { Asset, AssetInventory, Connector, EcsEvent, ProcessRef, QueryResult, TimeWindow } from '../../connectors/types.js';
import type { Evidence, Hive, TriageReport } from './report.js';
import { addMs, cite, eventIdOf, HOUR, MINUTE } from './evidence.js';
import { readExport, type ExportFacts } from './export.js';
import { readLineage, type LineageFacts, type ParentKind } from './lineage.js';
import { classifyFileEvent, classifyStaging, type StagingFinding, type StagingKind } from './staging.js';
import { alertIdOf, categoriesOf, ruleIdOf, type RelatedCategory } from './related.js';
import { candidateExceptions, closestWorkflow, matchesWorkflow, type CandidateException, type Workflow, type WorkflowComparison, type WorkflowField } from './workflows.js';
import { verifyAlert, sourceRef, type RuleMatcher } from './verify.js';
import { scoreOf, toFactors, type FactorId, type Signal } from './score.js';
import { credentialExposure, decide, exposureOf } from './decide.js';
import { buildPlan } from './plan.js';
import { str, strs, wildcardMatch } from './text.js';
import { getField } from '../../detection/fields.js';

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

/** One question the playbook asked, for the audit trail (no event bodies: ids, counts, a digest). */
export interface QueryRecord {
  name: string;
  query: string;
  coverage: QueryResult['coverage'];
  events: number;
  window: TimeWindow;
  digest: string;
}

const PRIVILEGED_ROLES = new Set(['admin_workstation', 'jump_host', 'server', 'backup_node', 'domain_controller', 'management_platform']);
const STRONG_LINEAGE: ParentKind[] = ['script_host', 'encoded_powershell', 'rmm_tool', 'remote_execution', 'office_or_browser', 'interactive_shell'];
const LINEAGE_FACTOR: Partial<Record<ParentKind, FactorId>> = {
  interactive_shell: 'lineage.interactive_shell',
  script_host: 'lineage.script_host',
  encoded_powershell: 'lineage.encoded_powershell',
  rmm_tool: 'lineage.rmm_tool',
  remote_execution: 'lineage.remote_execution',
  office_or_browser: 'lineage.office_or_browser',
};
const RELATED_FACTOR: Record<Exclude<RelatedCategory, 'other'>, FactorId> = {
  credential_access: 'related.credential_access',
  archiving: 'related.archiving',
  privilege_escalation: 'related.privilege_escalation',
  persistence: 'related.persistence',
  lateral_movement: 'related.lateral_movement',
};

/** A 64-bit FNV-1a digest of the answer's event ids: cheap enough for ten queries an alert, stable across runs. */
function digest(result: QueryResult): string {
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  for (const doc of result.events) {
    const id = eventIdOf(doc);
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x01000193) ^ (h1 >>> 7);
    }
    h1 = Math.imul(h1 ^ 10, 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

function startOf(doc: EcsEvent): number {
  return Date.parse(str(doc, 'process.start') ?? str(doc, '@timestamp') ?? '');
}

function emptyResult(query: string, window: TimeWindow, note: string): QueryResult {
  return { events: [], coverage: 'none', query, window, note };
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
  const vendor = connector.vendor;
  const at = alert.originalTime;
  const queries: QueryRecord[] = [];
  const record = (name: string, result: QueryResult) => {
    queries.push({ name, query: result.query, coverage: result.coverage, events: result.events.length, window: result.window, digest: digest(result) });
    return result;
  };
  const unresolved: string[] = [];
  const incomplete: string[] = [];
  const signals: Signal[] = [];
  const signal = (id: FactorId, evidence: Evidence[], description: string, strong: boolean, explained = false) => {
    if (!signals.some((s) => s.id === id)) signals.push({ id, evidence, description, strong, explained });
  };

  // Step 1 runs alongside the questions that need only the host: the alert's host id is what we looked the
  // source event up by, so it is the one claim those questions may use.
  const hostWindow = { from: addMs(at, -relatedMs), to: addMs(at, HOUR) };
  const ruleWindow = { from: addMs(at, -lookbackMs), to: addMs(at, HOUR) };
  const [verification, hostAlerts, ruleAlerts, asset] = await Promise.all([
    verifyAlert(alert, connector, rule),
    connector.getAlertsForHost(alert.hostId, hostWindow),
    connector.getAlertsForRule(rule.ruleId, ruleWindow),
    assets.getAsset(alert.hostId),
  ]);
  record('source_event', verification.result);
  record('alerts_for_host', hostAlerts);
  record('alerts_for_rule', ruleAlerts);

  const base = {
    alertId: alert.id,
    ruleVersion: rule.version,
    verification: { verified: verification.verified, reason: verification.reason, drift: verification.drift },
    hostId: alert.hostId,
    hostName: asset?.['host.name'] ?? alert.hostName,
    hostRole: asset?.role ?? null,
    criticality: asset?.criticality ?? null,
    evidenceVersion: 0,
    generatedAt: (opts.now?.() ?? new Date()).toISOString(),
  };

  if (!verification.verified || !verification.source) {
    if (verification.drift) unresolved.push(`rule drift: ${verification.drift}`);
    unresolved.push(`verification failed: ${verification.reason}`);
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
      unresolved,
      plan,
      evidenceVersion: versionOf(queries),
      verificationEvidence: verification.evidence,
      queries,
    };
  }

  const source = verification.source;
  const srcRef: ProcessRef = { ...sourceRef(alert), ...(str(source, 'process.entity_id') ? { entityId: str(source, 'process.entity_id')! } : {}) };
  const sourcePid = str(source, 'process.pid');
  if (sourcePid !== null) srcRef.pid = Number(sourcePid);
  const facts: ExportFacts = readExport(source);
  const sourceEvidence = verification.evidence;
  if (verification.drift) unresolved.push(`rule drift: ${verification.drift}`);

  // Step 2: the export.
  for (const hive of facts.hives) {
    if (hive === 'SAM') signal('hive.sam', sourceEvidence, 'SAM exported: local account hashes', false);
    if (hive === 'SECURITY') signal('hive.security', sourceEvidence, 'SECURITY exported: LSA secrets and cached credentials', false);
  }
  if (facts.hives.includes('SYSTEM')) {
    if (facts.hives.length > 1) signal('hive.system_with_credential_hive', sourceEvidence, 'SYSTEM exported with SAM/SECURITY in one command', true);
    else signal('hive.system_only', sourceEvidence, 'SYSTEM exported: the boot key', false);
  }
  if (facts.subkeys.length > 0) signal('hive.credential_subkey', sourceEvidence, `credential hive subkey exported: ${facts.subkeys.join(', ')}`, false);
  const RISKY = ['temp', 'public_profile', 'admin_share', 'unc', 'removable_or_other_drive', 'deceptive_name'] as const;
  for (const cls of facts.destinations) {
    if ((RISKY as readonly string[]).includes(cls)) {
      signal(`destination.${cls}` as FactorId, sourceEvidence, `output ${facts.resolvedOutputPath ?? facts.outputPath} is ${cls.replace(/_/g, ' ')}`, true, dimOf(source, workflows, 'process.command_line'));
    }
  }
  if (!facts.outputPath) unresolved.push('the output path could not be read from the command line');
  if (!facts.binary.signer) incomplete.push('process.code_signature.subject_name is absent (the source does not carry code signatures)');
  if (facts.binary.anomalies.length > 0) signal('binary.anomaly', sourceEvidence, facts.binary.anomalies.join('; '), true);
  else signal('binary.identity_only', sourceEvidence, 'reg.exe identity looks genuine; identity alone never clears the export', false);

  // Step 3 and 4 questions run together.
  const userId = str(source, 'user.id');
  const parentEntityId = str(source, 'process.parent.entity_id');
  const parentPidRaw = str(source, 'process.parent.pid');
  const parentRef: ProcessRef = { hostId: alert.hostId };
  if (parentEntityId) parentRef.entityId = parentEntityId;
  if (parentPidRaw !== null) parentRef.pid = Number(parentPidRaw);
  const near = parentEntityId ? lineageMs : pidMs;
  const siblingWindow = { from: addMs(at, -near), to: addMs(at, near) };
  const childWindow = { from: at, to: addMs(at, srcRef.entityId ? lineageMs : pidMs) };
  const ancestryWindow = { from: addMs(at, -24 * HOUR), to: addMs(at, MINUTE) };
  const lineage0 = readLineage(source, null, null);
  const userReliable = lineage0.userIdReliable;
  const noParent = emptyResult('(no parent entity id or pid on the source event)', siblingWindow, 'the source event names no parent');
  const [ancestry, siblings, children, files, network, userAlerts] = await Promise.all([
    connector.getAncestry(srcRef, 2, ancestryWindow),
    parentRef.entityId || parentRef.pid !== undefined ? connector.getSiblingProcesses(parentRef, siblingWindow) : Promise.resolve(noParent),
    connector.getChildProcesses(srcRef, childWindow),
    connector.getFileEvents(srcRef, childWindow),
    connector.getNetworkEvents(srcRef, childWindow),
    userId && userReliable ? connector.getAlertsForUser(userId, hostWindow) : Promise.resolve(emptyResult(`(same-user pivot skipped for user.id ${userId ?? 'absent'})`, hostWindow, 'no reliable user.id')),
  ]);
  for (const [name, result] of [['ancestry', ancestry], ['same_parent', siblings], ['children', children], ['file_activity', files], ['network_activity', network], ['alerts_for_user', userAlerts]] as const) {
    record(name, result);
  }

  // Ancestors come nearest first; keep only process starts, and the parent must be the one the event names.
  const ancestors = ancestry.events.filter((e) => str(e, 'event.kind') !== 'signal');
  const parentStart =
    ancestors.find((e) => (parentEntityId ? str(e, 'process.entity_id') === parentEntityId : str(e, 'process.pid') === parentPidRaw && startOf(e) <= Date.parse(at))) ?? null;
  const parentStartEntity = parentStart ? str(parentStart, 'process.parent.entity_id') : null;
  const parentStartPpid = parentStart ? str(parentStart, 'process.parent.pid') : null;
  const grandparentStart =
    ancestors.find((e) => e !== parentStart && (parentStartEntity ? str(e, 'process.entity_id') === parentStartEntity : parentStartPpid !== null && str(e, 'process.pid') === parentStartPpid)) ?? null;
  const lineage: LineageFacts = readLineage(source, parentStart, grandparentStart);
  const ancestryEvidence = [cite(vendor, ancestry, [parentStart, grandparentStart].filter((e): e is EcsEvent => e !== null), 'ancestry of reg.exe')];
  const lineageEvidence = [...sourceEvidence, ...(parentStart ? ancestryEvidence : [])];

  // Behind a generic wrapper the real actor is the grandparent: its other children are the staging.
  let grandchildren: QueryResult | null = null;
  if (lineage.genericWrapper) {
    const gp = lineage.grandparent;
    if (gp && (gp.entityId || gp.pid !== null)) {
      const gpRef: ProcessRef = { hostId: alert.hostId };
      if (gp.entityId) gpRef.entityId = gp.entityId;
      if (gp.pid !== null) gpRef.pid = gp.pid;
      const span = gp.entityId ? lineageMs : pidMs;
      grandchildren = record('grandparent_children', await connector.getChildProcesses(gpRef, { from: addMs(at, -span), to: addMs(at, span) }));
      signal('lineage.wrapper_expanded', [...ancestryEvidence, cite(vendor, grandchildren, grandchildren.events, 'children of the grandparent')], `parent ${lineage.parent.name ?? '?'} is a generic wrapper; ancestry expanded to ${gp.name ?? gp.executable ?? `pid ${gp.pid}`}`, false);
    } else {
      unresolved.push('the parent is a generic wrapper but its own parent could not be found; lineage stays unclear');
    }
  }

  // Step 3: lineage and session.
  const effectiveKind = lineage.genericWrapper && lineage.grandparentKind ? lineage.grandparentKind : lineage.parentKind;
  const workflowMatch = workflows.length > 0 ? closestWorkflow(source, workflows) : null;
  const dim = (field: keyof WorkflowComparison['dimensions']) => workflowMatch?.dimensions[field].state === 'match';
  const lineageFactor = LINEAGE_FACTOR[effectiveKind];
  if (lineageFactor) {
    const who = lineage.genericWrapper && lineage.grandparent ? lineage.grandparent : lineage.parent;
    signal(lineageFactor, lineageEvidence, `${effectiveKind.replace(/_/g, ' ')} started the export: ${who.commandLine ?? who.executable ?? who.name ?? '?'}`, STRONG_LINEAGE.includes(effectiveKind), dim('process.parent.command_line'));
  }
  // Behind an interactive shell the launcher still matters: an RMM tool, remote execution or a script host.
  const gpKind = lineage.grandparentKind;
  const gpFactor = gpKind && gpKind !== effectiveKind && gpKind !== 'interactive_shell' ? LINEAGE_FACTOR[gpKind] : undefined;
  if (gpFactor && lineage.grandparent) {
    signal(gpFactor, ancestryEvidence, `${gpKind!.replace(/_/g, ' ')} above the parent: ${lineage.grandparent.commandLine ?? lineage.grandparent.executable ?? lineage.grandparent.name ?? '?'}`, true, dim('process.parent.command_line'));
  }
  if (effectiveKind === 'unknown') unresolved.push('the parent process is unknown');
  if (lineage.session === 'remote_style') signal('session.remote_style', sourceEvidence, `remote-style session (logon type ${lineage.logonType})`, true);
  if (lineage.session === 'unknown') {
    unresolved.push('logon type unknown: the source does not carry process.Ext.session_info.logon_type');
    incomplete.push('logon type unknown');
  }
  if (lineage.serviceAccount) signal('user.service_account', sourceEvidence, `service account ran the export (${lineage.userName ?? lineage.userId})`, true, dim('user.id'));
  if (!lineage.userIdReliable) unresolved.push(`user.id ${userId ?? ''} is the Sysmon service SID on every event; the same-user pivot is meaningless here (use user.name ${lineage.userName ?? '?'})`);
  else if (!userId) {
    unresolved.push('user.id is absent');
    incomplete.push('user.id absent');
  }

  // Step 4: same parent, grandparent's other children, reg.exe's children, file and network activity.
  const selfIds = new Set([eventIdOf(source)]);
  const selfEntities = new Set([str(source, 'process.entity_id'), lineage.parent.entityId].filter((v): v is string => v !== null));
  const nameOf = (p: { name: string | null; executable: string | null } | null) => (p?.name ?? p?.executable?.split('\\').pop() ?? '').toLowerCase();
  const related = (doc: EcsEvent, viaPid: boolean, parentName = nameOf(lineage.parent)) => {
    if (doc === source || doc === parentStart || selfIds.has(eventIdOf(doc))) return false;
    // Without entity ids the parent wrapper is recognised by its pid and start time.
    if (parentStart && str(doc, 'process.pid') === str(parentStart, 'process.pid') && str(doc, '@timestamp') === str(parentStart, '@timestamp')) return false;
    const entity = str(doc, 'process.entity_id');
    if (entity && selfEntities.has(entity)) return false;
    // The same execution seen by a second source (Sysmon and 4688 of one reg.exe) is not a sibling.
    if (str(doc, '@timestamp') === str(source, '@timestamp') && str(doc, 'process.command_line') === str(source, 'process.command_line')) return false;
    // A pid-only pivot must not pick up a different process that reused the parent's pid.
    if (viaPid && parentName) {
      const theirParent = (str(doc, 'process.parent.name') ?? (str(doc, 'process.parent.executable') ?? '').split('\\').pop() ?? '').toLowerCase();
      if (theirParent && theirParent !== parentName) return false;
    }
    return str(doc, 'event.kind') !== 'signal';
  };
  const stagingByKind = new Map<StagingKind, { findings: StagingFinding[]; events: EcsEvent[]; result: QueryResult; label: string }[]>();
  const addStaging = (result: QueryResult, label: string, docs: EcsEvent[], classify: (d: EcsEvent) => StagingFinding[]) => {
    for (const doc of docs) {
      for (const finding of classify(doc)) {
        const list = stagingByKind.get(finding.kind) ?? [];
        list.push({ findings: [finding], events: [doc], result, label });
        stagingByKind.set(finding.kind, list);
      }
    }
  };
  const viaPid = !parentEntityId;
  const siblingDocs = siblings.events.filter((d) => related(d, viaPid));
  addStaging(siblings, 'same parent', siblingDocs, classifyStaging);
  const childDocs = children.events.filter((d) => related(d, !srcRef.entityId, (facts.binary.name ?? 'reg.exe').toLowerCase()));
  addStaging(children, 'children of reg.exe', childDocs, classifyStaging);
  const gpDocs = grandchildren ? grandchildren.events.filter((d) => related(d, !lineage.grandparent?.entityId, nameOf(lineage.grandparent))) : [];
  if (grandchildren) addStaging(grandchildren, "grandparent's children", gpDocs, classifyStaging);
  // reg.exe writing its own output is the export itself (the destination classes cover it), not staging.
  const ownOutput = (facts.resolvedOutputPath ?? '').toLowerCase();
  const fileDocs = files.events.filter((d) => (str(d, 'file.path') ?? '').toLowerCase() !== ownOutput);
  addStaging(files, 'file activity of reg.exe and children', fileDocs, classifyFileEvent);
  for (const [name, result] of [['same-parent processes', siblings], ['child processes of reg.exe', children], ['file activity', files]] as const) {
    if (result === noParent) continue;
    if (result.coverage !== 'full') {
      unresolved.push(`${name}: coverage ${result.coverage}${result.note ? ` (${result.note})` : ''}`);
      incomplete.push(`${name} coverage ${result.coverage}`);
    }
  }
  if (siblings === noParent) {
    unresolved.push('same-parent processes: the source event names no parent');
    incomplete.push('no parent');
  }

  const companionHives = new Set<Hive>();
  const artifactPaths = new Set<string>();
  if (facts.resolvedOutputPath) artifactPaths.add(facts.resolvedOutputPath);
  for (const [kind, hits] of stagingByKind) {
    const factor = `staging.${kind}` as FactorId;
    const events: EcsEvent[] = [];
    const byResult = new Map<QueryResult, EcsEvent[]>();
    for (const h of hits) {
      events.push(...h.events);
      const list = byResult.get(h.result);
      if (list) list.push(...h.events);
      else byResult.set(h.result, [...h.events]);
    }
    const evidence = [...byResult].map(([result, docs]) => cite(vendor, result, docs, `${kind.replace(/_/g, ' ')}: ${docs.map((d) => str(d, 'process.command_line') ?? str(d, 'file.path') ?? '').filter(Boolean).slice(0, 3).join(' | ')}`));
    for (const h of hits) for (const f of h.findings) for (const hive of f.hives ?? []) companionHives.add(hive);
    // A companion export that itself matches a recognised workflow is part of that workflow, not staging.
    const explained = (kind === 'system_export' || kind === 'companion_export') && events.every((e) => sameJob(e, source, workflows));
    for (const e of events) {
      const out = readExport(e).resolvedOutputPath;
      if (out && (kind === 'system_export' || kind === 'companion_export')) artifactPaths.add(out);
      if (kind === 'archiving') {
        const archive = /(\S+\.(7z|rar|zip|cab))\b/i.exec(str(e, 'process.command_line') ?? str(e, 'file.path') ?? '');
        if (archive) artifactPaths.add(archive[1]!);
      }
    }
    signal(factor, evidence, `${kind.replace(/_/g, ' ')} near the export (${events.length} event${events.length === 1 ? '' : 's'})`, true, explained);
  }
  if (network.coverage === 'none') {
    unresolved.push(`network activity of reg.exe and children: no network telemetry${network.note ? ` (${network.note})` : ''}; unresolved, not benign`);
    incomplete.push('network telemetry missing');
  } else {
    if (network.coverage === 'partial') {
      unresolved.push(`network activity of reg.exe and children: partial coverage${network.note ? ` (${network.note})` : ''}`);
      incomplete.push('network telemetry partial');
    }
    if (network.events.length > 0) {
      signal('network.activity', [cite(vendor, network, network.events, 'network connections by reg.exe or its children')], `${network.events.length} network event(s) by reg.exe or its children`, true);
    }
  }

  // Step 5: host role from the inventory only.
  const assetEvidence: Evidence = { connector: 'assets', query: `asset inventory: host.id ${alert.hostId}`, eventIds: asset ? [asset['host.id']] : [], window: hostWindow, summary: asset ? `role ${asset.role}, criticality ${asset.criticality}, isolation ${asset.isolation_allowed ? 'allowed' : 'not allowed'}` : 'host not in the asset inventory' };
  if (!asset) {
    unresolved.push(`host ${alert.hostId} is not in the asset inventory: role unknown (never inferred from the host name)`);
    incomplete.push('host role unknown');
  } else {
    if (PRIVILEGED_ROLES.has(asset.role)) signal('host.privileged_role', [assetEvidence], `privileged host role from the inventory: ${asset.role}`, true, dim('host.id'));
    if (asset.criticality === 'critical' || asset.criticality === 'high') signal('host.critical', [assetEvidence], `host criticality ${asset.criticality}`, false, dim('host.id'));
    if (!asset.isolation_allowed) unresolved.push(`the inventory forbids isolating ${asset['host.name']} (${asset.role}); containment stays below isolation`);
  }

  // Workflows: every dimension, recurrence in prior alerts of this rule, no contradiction.
  const atMs = Date.parse(at);
  const priorRuleAlerts = ruleAlerts.events.filter((doc) => (ruleIdOf(doc) === rule.ruleId || ruleIdOf(doc) === null) && !isSameAlert(doc, alert, source) && startOfAlert(doc) <= atMs);
  let workflowBound = false;
  let recurrence = 0;
  const workflowReport: Record<string, unknown> = { considered: workflows.length };
  if (workflowMatch) {
    const recurring = priorRuleAlerts.filter((doc) => matchesWorkflow(doc, workflowMatch.workflow));
    recurrence = recurring.length;
    const recurrenceEvidence = cite(vendor, ruleAlerts, recurring, `prior alerts of rule ${rule.ruleId} matching workflow "${workflowMatch.workflow.name}"`);
    workflowReport.name = workflowMatch.workflow.name;
    workflowReport.dimensions = workflowMatch.dimensions;
    workflowReport.recurrence = recurrence;
    workflowReport.minRecurrence = minRecurrence;
    if (workflowMatch.contradicting.length > 0) {
      signal('workflow.contradiction', [...sourceEvidence, recurrenceEvidence], `workflow "${workflowMatch.workflow.name}" is contradicted on ${workflowMatch.contradicting.map((f) => `${f} (expected ${workflowMatch.dimensions[f].expected}, saw ${workflowMatch.dimensions[f].actual})`).join(', ')}`, false);
      if (workflowMatch.contradicting.includes('user.id')) signal('user.unexpected', sourceEvidence, `user ${userId} is not the workflow's user ${workflowMatch.workflow['user.id']}`, false);
    } else if (workflowMatch.unknown.length > 0) {
      unresolved.push(`workflow "${workflowMatch.workflow.name}" cannot be confirmed: ${workflowMatch.unknown.join(', ')} absent from the source event`);
      incomplete.push(`workflow dimensions unknown: ${workflowMatch.unknown.join(', ')}`);
    } else if (recurrence < minRecurrence) {
      unresolved.push(`workflow "${workflowMatch.workflow.name}" matches but recurs in only ${recurrence} prior alert(s) of this rule (needs ${minRecurrence})`);
    } else {
      workflowBound = true;
      signal('workflow.recognised', [...sourceEvidence, recurrenceEvidence, assetEvidence], `every guide dimension binds workflow "${workflowMatch.workflow.name}", seen in ${recurrence} prior alerts of this rule`, false);
    }
  }
  const candidates: CandidateException[] = candidateExceptions([...priorRuleAlerts, source], workflows, minRecurrence, (d) => alertIdOf(d) ?? eventIdOf(d));

  // Step 6: related alerts for the same user and host over 48 h.
  const relatedDocs = new Map<string, EcsEvent>();
  for (const doc of [...hostAlerts.events, ...userAlerts.events]) {
    if (isSameAlert(doc, alert, source)) continue;
    // Alerts of this rule that a recognised workflow (or this very job) accounts for are not related abuse.
    if (workflowMatch && ruleIdOf(doc) === rule.ruleId && (workflows.some((wf) => matchesWorkflow(doc, wf)) || sameJob(doc, source, workflows))) continue;
    // Earlier runs of this same job (same binary, signer, parent command line, user, host) are its history,
    // weighed as recurrence and candidate exceptions, not as separate abuse.
    if (ruleIdOf(doc) === rule.ruleId && sameJobFields(doc, source)) continue;
    relatedDocs.set(alertIdOf(doc) ?? eventIdOf(doc), doc);
  }
  const byCategory = new Map<RelatedCategory, EcsEvent[]>();
  for (const doc of relatedDocs.values()) for (const cat of categoriesOf(doc)) byCategory.set(cat, [...(byCategory.get(cat) ?? []), doc]);
  for (const [cat, docs] of byCategory) {
    if (cat === 'other') continue;
    const fromUser = docs.filter((d) => userAlerts.events.includes(d));
    const fromHost = docs.filter((d) => hostAlerts.events.includes(d));
    const evidence = [
      ...(fromHost.length ? [cite(vendor, hostAlerts, fromHost, `${cat.replace(/_/g, ' ')} alerts on the same host`)] : []),
      ...(fromUser.length ? [cite(vendor, userAlerts, fromUser, `${cat.replace(/_/g, ' ')} alerts for the same user`)] : []),
    ];
    signal(RELATED_FACTOR[cat], evidence, `${docs.length} related ${cat.replace(/_/g, ' ')} alert(s) within 48 h`, cat === 'credential_access' || cat === 'lateral_movement');
  }
  for (const [name, result] of [['alerts for the host', hostAlerts], ['alerts for the user', userAlerts]] as const) {
    if (result.coverage !== 'full' && !(name === 'alerts for the user' && !(userId && userReliable))) unresolved.push(`${name}: coverage ${result.coverage}${result.note ? ` (${result.note})` : ''}`);
  }

  // Step 7: decide.
  const hives = facts.hives;
  const decision = decide({ verified: true, hives, subkeys: facts.subkeys, signals, workflowBound, incomplete });
  if (decision.disposition !== 'benign' && workflowBound) {
    // The workflow matched, but other evidence contradicts it: it no longer lowers the score.
    signals.splice(signals.findIndex((s) => s.id === 'workflow.recognised'), 1);
    unresolved.push(`workflow "${workflowMatch!.workflow.name}" matches every dimension, but other evidence contradicts it: ${decision.reason}`);
  }
  const factors = toFactors(signals);
  const score = decision.disposition === 'benign' ? Math.min(scoreOf(factors), 20) : scoreOf(factors);

  // Step 8: plan. The process worth stopping is reg.exe if still running, else a script host behind it.
  const ended = (entity: string | null) => entity !== null && [...children.events, ...ancestry.events].some((e) => str(e, 'process.entity_id') === entity && strs(e, 'event.type').includes('end'));
  const actor = lineage.genericWrapper && lineage.grandparent ? lineage.grandparent : lineage.parent;
  const actorKind = lineage.genericWrapper && lineage.grandparentKind ? lineage.grandparentKind : lineage.parentKind;
  const runningProcess = ['script_host', 'encoded_powershell', 'rmm_tool', 'office_or_browser'].includes(actorKind) && !ended(actor.entityId)
    ? { entityId: actor.entityId, pid: actor.pid, name: actor.name, reason: `${actorKind.replace(/_/g, ' ')} ${actor.name ?? ''} drove the export` }
    : null;
  const plan = buildPlan({
    disposition: decision.disposition,
    signals,
    alertId: alert.id,
    hostId: alert.hostId,
    asset,
    user: { id: userId, name: lineage.userName, reliable: userReliable },
    process: { entityId: str(source, 'process.entity_id'), pid: sourcePid === null ? null : Number(sourcePid), executable: facts.binary.executable, commandLine: str(source, 'process.command_line') },
    runningProcess,
    outputPaths: [...artifactPaths].filter((p) => p.startsWith('\\\\') || p === facts.resolvedOutputPath),
    artifactPaths: [...artifactPaths],
    preserve: {
      alertId: alert.id,
      sourceEventId: eventIdOf(source),
      processEntityId: str(source, 'process.entity_id'),
      pid: sourcePid === null ? null : Number(sourcePid),
      commandLine: str(source, 'process.command_line'),
      parentCommandLine: lineage.parent.commandLine,
      outputPath: facts.resolvedOutputPath ?? facts.outputPath,
      siblingCommandLines: [...siblingDocs, ...gpDocs, ...childDocs].map((d) => str(d, 'process.command_line')).filter(Boolean).slice(0, 50),
      logonType: lineage.logonType,
      userId,
      userName: lineage.userName,
      hostId: alert.hostId,
    },
  });

  const exposure = credentialExposure({ hives, subkeys: facts.subkeys, signals }) || hives.length > 0 ? exposureOf(hives, facts.subkeys, [...companionHives]) : [];
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
    unresolved,
    plan,
    evidenceVersion: versionOf(queries),
    exposure,
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
    workflow: workflowReport,
    candidateExceptions: candidates,
    queries,
  };
}

const alertStartCache = new WeakMap<object, number>();

function startOfAlert(doc: EcsEvent): number {
  const hit = alertStartCache.get(doc);
  if (hit !== undefined) return hit;
  const t = Date.parse(str(doc, 'kibana.alert.original_time') ?? str(doc, 'signal.original_time') ?? str(doc, '@timestamp') ?? '');
  const out = Number.isFinite(t) ? t : 0;
  alertStartCache.set(doc, out);
  return out;
}

/** Whether the closest recognised workflow matches the source on one dimension. */
function dimOf(source: EcsEvent, workflows: Workflow[], field: WorkflowField): boolean {
  const match = workflows.length > 0 ? closestWorkflow(source, workflows) : null;
  return match?.dimensions[field].state === 'match';
}

const JOB_FIELDS = ['process.executable', 'process.code_signature.subject_name', 'process.parent.command_line', 'user.id', 'host.id'];

/** Another export of the same job run: same binary, signer, parent, user and host, and a command line a workflow names. */
const jobKeyCache = new WeakMap<object, string | null>();

/** The job identity of a document (binary, signer, parent command line, user, host), lower case; null when incomplete. */
function jobKey(doc: EcsEvent): string | null {
  const hit = jobKeyCache.get(doc);
  if (hit !== undefined) return hit;
  const parts: string[] = [];
  for (const field of JOB_FIELDS) {
    const value = str(doc, field);
    if (value === null) {
      jobKeyCache.set(doc, null);
      return null;
    }
    parts.push(value.toLowerCase());
  }
  const key = parts.join('\u0000');
  jobKeyCache.set(doc, key);
  return key;
}

function sameJobFields(doc: EcsEvent, source: EcsEvent): boolean {
  const key = jobKey(doc);
  return key !== null && key === jobKey(source);
}

function sameJob(doc: EcsEvent, source: EcsEvent, workflows: Workflow[]): boolean {
  if (workflows.length === 0 || !sameJobFields(doc, source)) return false;
  const commandLine = str(doc, 'process.command_line');
  return commandLine !== null && workflows.some((wf) => wildcardMatch(wf['process.command_line'], commandLine));
}

const ancestorCache = new WeakMap<object, string | null>();

/** The source event id an alert document names (`kibana.alert.ancestors[0].id`). */
function ancestorIdOf(doc: EcsEvent): string | null {
  const hit = ancestorCache.get(doc);
  if (hit !== undefined) return hit;
  const ancestors = getField(doc, 'kibana.alert.ancestors') ?? getField(doc, 'signal.ancestors');
  const first = Array.isArray(ancestors) ? (ancestors[0] as EcsEvent | undefined) : undefined;
  const id = first ? str(first, 'id') : null;
  ancestorCache.set(doc, id);
  return id;
}

/** The alert being triaged, as it may also appear among the connector's alerts. */
function isSameAlert(doc: EcsEvent, alert: Alert, source: EcsEvent): boolean {
  const id = alertIdOf(doc);
  if (id && id === alert.id) return true;
  const ancestor = ancestorIdOf(doc);
  if (ancestor && alert.sourceEventId && ancestor === alert.sourceEventId) return true;
  const entity = str(doc, 'process.entity_id');
  if (entity && entity === str(source, 'process.entity_id') && ruleIdOf(doc) === alert.ruleId) return true;
  // The same execution alerted from a second source (Sysmon and 4688).
  const when = str(doc, 'kibana.alert.original_time') ?? str(doc, 'signal.original_time');
  return when !== null && when === str(source, '@timestamp') && str(doc, 'process.command_line') === str(source, 'process.command_line');
}

/** A content version of the evidence: it changes when any query answers differently. */
function versionOf(queries: QueryRecord[]): number {
  const h = createHash('sha256');
  for (const q of [...queries].sort((a, b) => a.name.localeCompare(b.name))) h.update(`${q.name}\u0000${q.coverage}\u0000${q.digest}\n`);
  return parseInt(h.digest('hex').slice(0, 8), 16);
}
