// Walks the audit chain and names the first record that does not hold: a changed body, a hash that
// does not match, a broken link to the previous record, a gap in the sequence, or a truncated tail.
import { canonicalJson, GENESIS_HASH } from './canonical.js';
import { recordHash } from './record.js';
import type { RedisAuditLog } from './redis-log.js';

export interface BrokenLink {
  /** The Redis stream id of the record. */
  id: string;
  seq: number | null;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  lastSeq: number;
  lastHash: string;
  broken: BrokenLink | null;
}

export async function verifyAuditLog(log: RedisAuditLog): Promise<VerifyResult> {
  let prevHash = GENESIS_HASH;
  let prevSeq = 0;
  let count = 0;
  const fail = (broken: BrokenLink): VerifyResult => ({ ok: false, records: count, lastSeq: prevSeq, lastHash: prevHash, broken });
  for await (const row of log.scan()) {
    const { record } = row;
    if (!record || row.raw === null) {
      return fail({ id: row.id, seq: null, reason: 'the record is not valid audit JSON (edited or truncated)' });
    }
    if (canonicalJson(record) !== row.raw) {
      return fail({ id: row.id, seq: record.seq, reason: 'the stored text is not the canonical encoding (edited by hand)' });
    }
    const expected = recordHash(record);
    if (expected !== record.hash) {
      return fail({ id: row.id, seq: record.seq, reason: `content hash mismatch: computed ${expected}, record says ${record.hash}` });
    }
    if (row.storedHash !== record.hash) {
      return fail({ id: row.id, seq: record.seq, reason: 'the stream field h differs from the record hash' });
    }
    if (record.prev !== prevHash) {
      return fail({ id: row.id, seq: record.seq, reason: `broken link: prev ${record.prev} but the previous record hashes to ${prevHash}` });
    }
    if (record.seq !== prevSeq + 1) {
      return fail({ id: row.id, seq: record.seq, reason: `sequence gap: expected seq ${prevSeq + 1}, found ${record.seq}` });
    }
    prevHash = record.hash;
    prevSeq = record.seq;
    count++;
  }
  const head = await log.head();
  if (head.seq !== prevSeq || head.hash !== prevHash) {
    return fail({
      id: '(head)',
      seq: head.seq,
      reason: `the chain ends at seq ${prevSeq} but the head records seq ${head.seq}: records were removed from the tail`,
    });
  }
  return { ok: true, records: count, lastSeq: prevSeq, lastHash: prevHash, broken: null };
}
