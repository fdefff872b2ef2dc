// What every stage hands to the audit trail. The Redis hash-chained log implements AuditSink;
// the CLI's Redis-free triage uses an in-memory sink.

export interface AuditActor {
  id: string;
  role: string;
}

export interface AuditEntry {
  /** e.g. `alert.received`, `triage.verification`, `triage.query`, `triage.score`, `triage.plan`, `step.approved`. */
  type: string;
  caseId?: string;
  actor?: AuditActor;
  /** Never secrets: hashes of results, ids, decisions. */
  data: Record<string, unknown>;
}

export interface AuditSink {
  append(entry: AuditEntry): Promise<void>;
}

/** Keeps entries in memory: for the CLI's triage and for tests of the stages that write audit entries. */
export class MemoryAuditSink implements AuditSink {
  readonly entries: AuditEntry[] = [];
  async append(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
  }
}
