// One link of the audit chain. `hash` is the SHA-256 of the canonical JSON of every other field,
// `prev` the hash of the record before it (GENESIS_HASH for the first).
import { z } from 'zod';
import { canonicalJson, sha256Hex } from './canonical.js';

export const auditRecordSchema = z.object({
  seq: z.number().int().positive(),
  ts: z.string(),
  type: z.string().min(1),
  caseId: z.string().nullable(),
  actor: z.object({ id: z.string(), role: z.string() }).nullable(),
  data: z.record(z.string(), z.unknown()),
  prev: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

export type AuditRecord = z.infer<typeof auditRecordSchema>;
export type UnsealedRecord = Omit<AuditRecord, 'hash'>;

/** The hash a record must carry: over its canonical JSON without the `hash` field. */
export function recordHash(record: UnsealedRecord | AuditRecord): string {
  const { hash: _ignored, ...body } = record as AuditRecord;
  return sha256Hex(canonicalJson(body));
}

export function sealRecord(record: UnsealedRecord): AuditRecord {
  return { ...record, hash: recordHash(record) };
}
