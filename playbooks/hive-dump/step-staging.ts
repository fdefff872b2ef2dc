// Guide step 4: what the same parent (or, behind a wrapper, the grandparent) and reg.exe's children did,
// and the file and network activity of reg.exe and its children.
import type { EcsEvent, QueryResult } from '../../connectors/types.js';
import { sameJob } from './alert-docs.js';
import { eventIdOf } from './evidence.js';
import { readExport, type ExportFacts } from './export.js';
import type { Investigation } from './investigation.js';
import type { LineageFacts } from './lineage.js';
import type { Hive } from './report.js';
import type { FactorId } from './score.js';
import { classifyFileEvent, classifyStaging, type StagingFinding, type StagingKind } from './staging.js';
import { str } from './text.js';
import type { Workflow } from './workflows.js';

export interface StagingInput {
  source: EcsEvent;
  facts: ExportFacts;
  lineage: LineageFacts;
  parentStart: EcsEvent | null;
  siblings: QueryResult;
  /** False when the source event names no parent (the sibling question could not be asked). */
  siblingsAsked: boolean;
  children: QueryResult;
  grandchildren: QueryResult | null;
  files: QueryResult;
  network: QueryResult;
  workflows: Workflow[];
}

export interface StagingOutcome {
  /** Hives exported next to this one (SYSTEM beside SAM, ...). */
  companionHives: Set<Hive>;
  /** Output paths and archives found: what cleanup would remove. */
  artifactPaths: Set<string>;
  /** The process events weighed (for the preservation step). */
  processDocs: EcsEvent[];
}

const nameOf = (p: { name: string | null; executable: string | null } | null) => (p?.name ?? p?.executable?.split('\\').pop() ?? '').toLowerCase();

export function assessStaging(inv: Investigation, input: StagingInput): StagingOutcome {
  const { source, facts, lineage, parentStart, workflows } = input;
  const selfIds = new Set([eventIdOf(source)]);
  const selfEntities = new Set([str(source, 'process.entity_id'), lineage.parent.entityId].filter((v): v is string => v !== null));
  // Which answers describe other processes: not reg.exe itself, not its wrapper, not a reused pid's process.
  const other = (doc: EcsEvent, viaPid: boolean, parentName: string) => {
    if (doc === source || doc === parentStart || selfIds.has(eventIdOf(doc))) return false;
    // Without entity ids the parent wrapper is recognised by its pid and start time.
    if (parentStart && str(doc, 'process.pid') === str(parentStart, 'process.pid') && str(doc, '@timestamp') === str(parentStart, '@timestamp')) return false;
    const entity = str(doc, 'process.entity_id');
    if (entity && selfEntities.has(entity)) return false;
    // The same execution seen by a second source (Sysmon and 4688 of one reg.exe) is not a sibling.
    if (str(doc, '@timestamp') === str(source, '@timestamp') && str(doc, 'process.command_line') === str(source, 'process.command_line')) return false;
    // A pid-only pivot must not pick up a different process that reused the queried pid.
    if (viaPid && parentName) {
      const theirParent = (str(doc, 'process.parent.name') ?? (str(doc, 'process.parent.executable') ?? '').split('\\').pop() ?? '').toLowerCase();
      if (theirParent && theirParent !== parentName) return false;
    }
    return str(doc, 'event.kind') !== 'signal';
  };

  const byKind = new Map<StagingKind, { finding: StagingFinding; doc: EcsEvent; result: QueryResult }[]>();
  const add = (result: QueryResult, docs: EcsEvent[], classify: (d: EcsEvent) => StagingFinding[]) => {
    for (const doc of docs) {
      for (const finding of classify(doc)) {
        const list = byKind.get(finding.kind);
        if (list) list.push({ finding, doc, result });
        else byKind.set(finding.kind, [{ finding, doc, result }]);
      }
    }
  };
  const siblingDocs = input.siblings.events.filter((d) => other(d, !str(source, 'process.parent.entity_id'), nameOf(lineage.parent)));
  add(input.siblings, siblingDocs, classifyStaging);
  const childDocs = input.children.events.filter((d) => other(d, !str(source, 'process.entity_id'), (facts.binary.name ?? 'reg.exe').toLowerCase()));
  add(input.children, childDocs, classifyStaging);
  const gpDocs = input.grandchildren ? input.grandchildren.events.filter((d) => other(d, !lineage.grandparent?.entityId, nameOf(lineage.grandparent))) : [];
  if (input.grandchildren) add(input.grandchildren, gpDocs, classifyStaging);
  // reg.exe writing its own output is the export itself (the destination classes cover it), not staging.
  const ownOutput = (facts.resolvedOutputPath ?? '').toLowerCase();
  add(input.files, input.files.events.filter((d) => (str(d, 'file.path') ?? '').toLowerCase() !== ownOutput), classifyFileEvent);

  for (const [name, result, asked] of [['same-parent processes', input.siblings, input.siblingsAsked], ['child processes of reg.exe', input.children, true], ['file activity', input.files, true]] as const) {
    if (!asked) inv.open(`${name}: the source event names no parent`, 'no parent');
    else if (result.coverage !== 'full') inv.open(`${name}: coverage ${result.coverage}${result.note ? ` (${result.note})` : ''}`, `${name} coverage ${result.coverage}`);
  }

  const companionHives = new Set<Hive>();
  const artifactPaths = new Set<string>();
  if (facts.resolvedOutputPath) artifactPaths.add(facts.resolvedOutputPath);
  for (const [kind, hits] of byKind) {
    const events: EcsEvent[] = [];
    const byResult = new Map<QueryResult, EcsEvent[]>();
    for (const h of hits) {
      events.push(h.doc);
      const list = byResult.get(h.result);
      if (list) list.push(h.doc);
      else byResult.set(h.result, [h.doc]);
      for (const hive of h.finding.hives ?? []) companionHives.add(hive);
    }
    const label = kind.replace(/_/g, ' ');
    const evidence = [...byResult].map(([result, docs]) => inv.cite(result, docs, `${label}: ${docs.map((d) => str(d, 'process.command_line') ?? str(d, 'file.path') ?? '').filter(Boolean).slice(0, 3).join(' | ')}`));
    const exportKind = kind === 'system_export' || kind === 'companion_export';
    // A companion export of the same job run, with a command line a recognised workflow names, is that workflow.
    const explained = exportKind && events.every((e) => sameJob(e, source, workflows));
    for (const e of events) {
      const out = readExport(e).resolvedOutputPath;
      if (out && exportKind) artifactPaths.add(out);
      if (kind === 'archiving') {
        const archive = /(\S+\.(7z|rar|zip|cab))\b/i.exec(str(e, 'process.command_line') ?? str(e, 'file.path') ?? '');
        if (archive) artifactPaths.add(archive[1]!);
      }
    }
    inv.signal(`staging.${kind}` as FactorId, evidence, `${label} near the export (${events.length} event${events.length === 1 ? '' : 's'})`, true, explained);
  }

  const network = input.network;
  if (network.coverage === 'none') {
    inv.open(`network activity of reg.exe and children: no network telemetry${network.note ? ` (${network.note})` : ''}; unresolved, not benign`, 'network telemetry missing');
  } else {
    if (network.coverage === 'partial') inv.open(`network activity of reg.exe and children: partial coverage${network.note ? ` (${network.note})` : ''}`, 'network telemetry partial');
    if (network.events.length > 0) {
      inv.signal('network.activity', [inv.cite(network, network.events, 'network connections by reg.exe or its children')], `${network.events.length} network event(s) by reg.exe or its children`, true);
    }
  }
  return { companionHives, artifactPaths, processDocs: [...siblingDocs, ...gpDocs, ...childDocs] };
}
