// Step 1: re-verify. The alert payload is a claim; the source event, fetched through the connector and
// run through our own EQL engine, is the evidence.
import type { Alert } from '../../detection/alert.js';
import type { Connector, EcsEvent, ProcessRef, QueryResult } from '../../connectors/types.js';
import type { Evidence } from './report.js';
import { addMs, cite, MINUTE } from './evidence.js';
import { str, strs } from './text.js';

/** The rule as our engine runs it. Built from the rule TOML by rule.ts. */
export interface RuleMatcher {
  ruleId: string;
  version: string;
  query: string;
  matches(event: EcsEvent): boolean;
  /** The query in a canonical form (parsed and printed), for drift comparison; null when it does not parse. */
  canonical(query: string): string | null;
  /** Other known versions of the rule, to name which one an alert's query equals. */
  known?: { version: string; canonical: string }[];
}

export interface Verification {
  verified: boolean;
  reason: string;
  drift: string | null;
  source: EcsEvent | null;
  evidence: Evidence[];
  result: QueryResult;
}

/** Window around the source event's time in which we look it up. */
const LOOKUP_MS = 2 * MINUTE;

export function sourceRef(alert: Alert): ProcessRef {
  const ref: ProcessRef = { hostId: alert.hostId };
  if (alert.process.entityId) ref.entityId = alert.process.entityId;
  if (alert.process.pid !== null) ref.pid = alert.process.pid;
  ref.startTime = alert.process.start ?? alert.originalTime;
  return ref;
}

function isProcessStart(doc: EcsEvent): boolean {
  const categories = strs(doc, 'event.category');
  const types = strs(doc, 'event.type');
  if (categories.length > 0 && !categories.includes('process')) return false;
  if (types.length > 0 && !types.includes('start')) return false;
  return str(doc, 'event.kind') !== 'signal';
}

/**
 * Picks the source event among what the connector returned. With an entity id it must match; with only a
 * pid (4688) the OS may have reused it, so the start closest to the alert's time wins, within the window.
 */
export function pickSource(events: EcsEvent[], alert: Alert): EcsEvent | null {
  const target = Date.parse(alert.process.start ?? alert.originalTime);
  let best: EcsEvent | null = null;
  let bestDelta = Infinity;
  for (const doc of events) {
    if (!isProcessStart(doc)) continue;
    if (str(doc, 'host.id') !== null && str(doc, 'host.id') !== alert.hostId) continue;
    if (alert.process.entityId) {
      if (str(doc, 'process.entity_id') !== alert.process.entityId) continue;
    } else if (alert.process.pid !== null && str(doc, 'process.pid') !== String(alert.process.pid)) continue;
    const ts = Date.parse(str(doc, 'process.start') ?? str(doc, '@timestamp') ?? '');
    const delta = Number.isFinite(ts) && Number.isFinite(target) ? Math.abs(ts - target) : LOOKUP_MS;
    if (delta < bestDelta) {
      best = doc;
      bestDelta = delta;
    }
  }
  return best;
}

const COMPARED: string[] = ['process.command_line', 'process.executable', 'process.name', 'process.pid', 'process.entity_id'];

/** Fields where the alert payload contradicts its own source event (an edited alert). */
export function payloadDifferences(alertDoc: EcsEvent, source: EcsEvent): string[] {
  const diffs: string[] = [];
  for (const field of COMPARED) {
    const claimed = str(alertDoc, field);
    const actual = str(source, field);
    if (claimed !== null && actual !== null && claimed !== actual) diffs.push(field);
  }
  const claimedArgs = strs(alertDoc, 'process.args');
  const actualArgs = strs(source, 'process.args');
  if (claimedArgs.length > 0 && actualArgs.length > 0 && claimedArgs.join('\u0000') !== actualArgs.join('\u0000')) diffs.push('process.args');
  return diffs;
}

export function driftOf(alert: Alert, rule: RuleMatcher): string | null {
  if (!alert.ruleQuery) return null;
  const ours = rule.canonical(rule.query);
  const theirs = rule.canonical(alert.ruleQuery);
  const squash = (q: string) => q.replace(/\s+/g, ' ').trim();
  const same = ours !== null && theirs !== null ? ours === theirs : squash(alert.ruleQuery) === squash(rule.query);
  if (same) return null;
  const twin = theirs === null ? undefined : rule.known?.find((k) => k.canonical === theirs);
  const which = twin ? `it equals rule version ${twin.version}` : theirs === null ? 'it does not parse as EQL' : 'it matches no version we know';
  return `the alert's kibana.alert.rule.parameters.query differs from ours (version ${rule.version}); ${which}. Verified against version ${rule.version}.`;
}

export async function verifyAlert(alert: Alert, connector: Connector, rule: RuleMatcher): Promise<Verification> {
  const at = alert.process.start ?? alert.originalTime;
  const window = { from: addMs(at, -LOOKUP_MS), to: addMs(at, LOOKUP_MS) };
  const result = await connector.getProcessEvent(sourceRef(alert), window);
  const drift = driftOf(alert, rule);
  const source = result.coverage === 'none' ? null : pickSource(result.events, alert);
  if (!source) {
    const why = result.coverage === 'none' ? `the connector has no process telemetry for it${result.note ? ` (${result.note})` : ''}` : 'no matching process start event was found';
    return {
      verified: false,
      reason: `source event not found through ${connector.vendor}: ${why}; the alert payload alone is not trusted`,
      drift,
      source: null,
      evidence: [cite(connector.vendor, result, result.events, 'source event lookup')],
      result,
    };
  }
  const evidence = [cite(connector.vendor, result, [source], 'the alert\'s source event')];
  if (!rule.matches(source)) {
    return { verified: false, reason: `the source event does not match rule ${rule.ruleId} version ${rule.version}: the alert is forged or edited`, drift, source, evidence, result };
  }
  const diffs = payloadDifferences(alert.document, source);
  if (diffs.length > 0) {
    return { verified: false, reason: `the alert payload differs from its source event in ${diffs.join(', ')}: the alert was edited`, drift, source, evidence, result };
  }
  return { verified: true, reason: `the source event matches rule version ${rule.version} in our engine`, drift, source, evidence, result };
}
