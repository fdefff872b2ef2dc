// What one triage accumulates while it walks the guide: the questions asked (for the audit trail), the
// signals found, and what stays open. Each step module adds to it; the playbook decides from it.
import { createHash } from 'node:crypto';
import type { EcsEvent, QueryResult, TimeWindow } from '../../connectors/types.js';
import type { Evidence } from './report.js';
import { cite, eventIdOf } from './evidence.js';
import type { FactorId, Signal } from './score.js';

/** One question the playbook asked, for the audit trail (no event bodies: ids, counts, a digest). */
export interface QueryRecord {
  name: string;
  query: string;
  coverage: QueryResult['coverage'];
  events: number;
  window: TimeWindow;
  digest: string;
}

/** A 64-bit FNV-1a digest of the answer's event ids: cheap enough for ten queries an alert, stable across runs. */
export function digestOf(result: QueryResult): string {
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

/** A question that could not be asked (no parent, no reliable user id): recorded as "no telemetry". */
export function emptyResult(query: string, window: TimeWindow, note: string): QueryResult {
  return { events: [], coverage: 'none', query, window, note };
}

export class Investigation {
  readonly signals: Signal[] = [];
  readonly unresolved: string[] = [];
  /** What keeps telemetry from being complete; any entry blocks `benign`. */
  readonly incomplete: string[] = [];
  readonly queries: QueryRecord[] = [];

  constructor(readonly vendor: string) {}

  record(name: string, result: QueryResult): QueryResult {
    this.queries.push({ name, query: result.query, coverage: result.coverage, events: result.events.length, window: result.window, digest: digestOf(result) });
    return result;
  }

  /** Adds a signal once per id (the first finding of a kind carries the evidence). */
  signal(id: FactorId, evidence: Evidence[], description: string, strong: boolean, explained = false): void {
    if (!this.signals.some((s) => s.id === id)) this.signals.push({ id, evidence, description, strong, explained });
  }

  has(id: FactorId): boolean {
    return this.signals.some((s) => s.id === id);
  }

  drop(id: FactorId): void {
    const at = this.signals.findIndex((s) => s.id === id);
    if (at !== -1) this.signals.splice(at, 1);
  }

  /** An open question; with `incomplete`, also a gap in telemetry that keeps the case from closing. */
  open(question: string, incomplete?: string): void {
    this.unresolved.push(question);
    if (incomplete) this.incomplete.push(incomplete);
  }

  cite(result: Pick<QueryResult, 'query' | 'window'>, events: EcsEvent[], summary: string): Evidence {
    return cite(this.vendor, result, events, summary);
  }

  /** A content version of the evidence: it changes when any query answers differently. */
  evidenceVersion(): number {
    const h = createHash('sha256');
    for (const q of [...this.queries].sort((a, b) => a.name.localeCompare(b.name))) h.update(`${q.name}\u0000${q.coverage}\u0000${q.digest}\n`);
    return parseInt(h.digest('hex').slice(0, 8), 16);
  }
}
