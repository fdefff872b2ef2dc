// Guide step 3: the parent, the grandparent behind a generic wrapper, the session and the user.
import type { EcsEvent, ProcessRef, QueryResult } from '../../connectors/types.js';
import type { Investigation } from './investigation.js';
import { readLineage, type LineageFacts, type ParentKind } from './lineage.js';
import type { Evidence } from './report.js';
import type { FactorId } from './score.js';
import { str, strs } from './text.js';

const STRONG_LINEAGE: ParentKind[] = ['script_host', 'encoded_powershell', 'rmm_tool', 'remote_execution', 'office_or_browser', 'interactive_shell'];
const LINEAGE_FACTOR: Partial<Record<ParentKind, FactorId>> = {
  interactive_shell: 'lineage.interactive_shell',
  script_host: 'lineage.script_host',
  encoded_powershell: 'lineage.encoded_powershell',
  rmm_tool: 'lineage.rmm_tool',
  remote_execution: 'lineage.remote_execution',
  office_or_browser: 'lineage.office_or_browser',
};
/** Actors worth stopping after evidence capture; a shell is not one (closing it stops nothing). */
const STOPPABLE: ParentKind[] = ['script_host', 'encoded_powershell', 'rmm_tool', 'office_or_browser'];

export interface ResolvedLineage {
  lineage: LineageFacts;
  parentStart: EcsEvent | null;
  grandparentStart: EcsEvent | null;
  ancestryEvidence: Evidence[];
  /** The source event, plus the parent's start event when found. */
  evidence: Evidence[];
}

const startOf = (doc: EcsEvent): number => Date.parse(str(doc, 'process.start') ?? str(doc, '@timestamp') ?? '');

/** Picks the parent and grandparent start events out of the ancestry answer (nearest first). */
export function resolveLineage(inv: Investigation, source: EcsEvent, ancestry: QueryResult, at: string, sourceEvidence: Evidence[]): ResolvedLineage {
  const parentEntityId = str(source, 'process.parent.entity_id');
  const parentPid = str(source, 'process.parent.pid');
  const ancestors = ancestry.events.filter((e) => str(e, 'event.kind') !== 'signal');
  const atMs = Date.parse(at);
  const parentStart = ancestors.find((e) => (parentEntityId ? str(e, 'process.entity_id') === parentEntityId : str(e, 'process.pid') === parentPid && startOf(e) <= atMs)) ?? null;
  const gpEntity = parentStart ? str(parentStart, 'process.parent.entity_id') : null;
  const gpPid = parentStart ? str(parentStart, 'process.parent.pid') : null;
  const grandparentStart = ancestors.find((e) => e !== parentStart && (gpEntity ? str(e, 'process.entity_id') === gpEntity : gpPid !== null && str(e, 'process.pid') === gpPid)) ?? null;
  const ancestryEvidence = [inv.cite(ancestry, [parentStart, grandparentStart].filter((e): e is EcsEvent => e !== null), 'ancestry of reg.exe')];
  return {
    lineage: readLineage(source, parentStart, grandparentStart),
    parentStart,
    grandparentStart,
    ancestryEvidence,
    evidence: [...sourceEvidence, ...(parentStart ? ancestryEvidence : [])],
  };
}

/** The grandparent to read children of, when the parent is a generic wrapper. */
export function grandparentRef(hostId: string, lineage: LineageFacts): ProcessRef | null {
  const gp = lineage.grandparent;
  if (!lineage.genericWrapper || !gp || (!gp.entityId && gp.pid === null)) return null;
  const ref: ProcessRef = { hostId };
  if (gp.entityId) ref.entityId = gp.entityId;
  if (gp.pid !== null) ref.pid = gp.pid;
  return ref;
}

/** Who really started the export: the grandparent behind a generic wrapper, else the parent. */
export function actorOf(lineage: LineageFacts) {
  const behindWrapper = lineage.genericWrapper && lineage.grandparent !== null;
  // A wrapper is not itself an interactive shell: with its own parent unknown, so is the actor.
  return {
    process: behindWrapper ? lineage.grandparent! : lineage.parent,
    kind: lineage.genericWrapper ? (lineage.grandparentKind ?? 'unknown') : lineage.parentKind,
  };
}

/** The process to stop after evidence capture, if any still runs (no end event seen). */
export function stoppableActor(lineage: LineageFacts, seen: EcsEvent[]) {
  const { process, kind } = actorOf(lineage);
  if (!STOPPABLE.includes(kind)) return null;
  const ended = process.entityId !== null && seen.some((e) => str(e, 'process.entity_id') === process.entityId && strs(e, 'event.type').includes('end'));
  if (ended) return null;
  return { entityId: process.entityId, pid: process.pid, name: process.name, reason: `${kind.replace(/_/g, ' ')} ${process.name ?? ''} drove the export` };
}

export interface LineageExplained {
  /** The closest workflow's parent command line matches. */
  parent: boolean;
  /** The closest workflow's user.id matches. */
  user: boolean;
}

export function assessLineage(inv: Investigation, r: ResolvedLineage, sourceEvidence: Evidence[], explained: LineageExplained): void {
  const { lineage } = r;
  const { process: who, kind } = actorOf(lineage);
  const factor = LINEAGE_FACTOR[kind];
  if (factor) inv.signal(factor, r.evidence, `${kind.replace(/_/g, ' ')} started the export: ${who.commandLine ?? who.executable ?? who.name ?? '?'}`, STRONG_LINEAGE.includes(kind), explained.parent);
  // Behind an interactive shell the launcher still matters: an RMM tool, remote execution or a script host.
  const gpKind = lineage.grandparentKind;
  const gpFactor = gpKind && gpKind !== kind && gpKind !== 'interactive_shell' ? LINEAGE_FACTOR[gpKind] : undefined;
  if (gpFactor && lineage.grandparent) {
    const gp = lineage.grandparent;
    inv.signal(gpFactor, r.ancestryEvidence, `${gpKind!.replace(/_/g, ' ')} above the parent: ${gp.commandLine ?? gp.executable ?? gp.name ?? '?'}`, true, explained.parent);
  }
  if (kind === 'unknown' && !lineage.genericWrapper) inv.open('the parent process is unknown');
  if (lineage.session === 'remote_style') inv.signal('session.remote_style', sourceEvidence, `remote-style session (logon type ${lineage.logonType})`, true);
  if (lineage.session === 'unknown') inv.open('logon type unknown: the source does not carry process.Ext.session_info.logon_type', 'logon type unknown');
  if (lineage.serviceAccount) inv.signal('user.service_account', sourceEvidence, `service account ran the export (${lineage.userName ?? lineage.userId})`, true, explained.user);
  if (!lineage.userIdReliable) {
    inv.open(`user.id ${lineage.userId ?? ''} is the Sysmon service SID on every event; the same-user pivot is meaningless here (use user.name ${lineage.userName ?? '?'})`);
  } else if (!lineage.userId) inv.open('user.id is absent', 'user.id absent');
}
