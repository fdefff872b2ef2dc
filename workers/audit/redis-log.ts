// The append-only, hash-chained audit log in a Redis stream. Appends are compare-and-set on the head
// (a Lua script), so concurrent writers from several processes still form one unbroken chain.
import type { Redis } from 'ioredis';
import { canonicalJson, GENESIS_HASH, normalize } from './canonical.js';
import { auditKeys, type AuditKeys } from './keys.js';
import { auditRecordSchema, sealRecord, type AuditRecord } from './record.js';
import { redactSecrets } from './redact.js';
import type { AuditEntry, AuditSink } from './types.js';

// KEYS: stream, head, case index (or '' when none). ARGV: expected head, new head, record json, hash, has case.
const APPEND_SCRIPT = `
local head = redis.call('GET', KEYS[2]) or ''
if head ~= ARGV[1] then return false end
local id = redis.call('XADD', KEYS[1], '*', 'r', ARGV[3], 'h', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2])
if ARGV[5] == '1' then redis.call('RPUSH', KEYS[3], id) end
return id
`;

export class AuditError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface RedisAuditLogOptions {
  redis: Redis;
  /** Key prefix of the deployment's Redis keys, e.g. `hw:`. */
  prefix?: string;
  /** One chain per deployment. */
  deployment?: string;
  now?: () => Date;
}

export interface StoredRecord {
  id: string;
  record: AuditRecord;
}

interface Head {
  seq: number;
  hash: string;
}

/** The head value stored after `record`: `<seq> <hash>`. */
export function headOf(record: AuditRecord): string {
  return `${record.seq} ${record.hash}`;
}

export const contended = () => new AuditError('HW_ERR_AUDIT_CONTENDED', 'audit append: the chain head kept moving; retry the operation');

function parseHead(raw: string | null): Head {
  if (!raw) return { seq: 0, hash: GENESIS_HASH };
  const [seq, hash] = raw.split(' ');
  return { seq: Number(seq), hash: hash ?? GENESIS_HASH };
}

export class RedisAuditLog implements AuditSink {
  readonly keys: AuditKeys;
  private readonly redis: Redis;
  private readonly now: () => Date;

  constructor(options: RedisAuditLogOptions) {
    this.redis = options.redis;
    this.keys = auditKeys(options.prefix ?? 'hw:', options.deployment ?? 'default');
    this.now = options.now ?? (() => new Date());
  }

  async append(entry: AuditEntry): Promise<void> {
    await this.appendRecord(entry);
  }

  /** Appends and returns the stored record (stream id, seq, hash). */
  async appendRecord(entry: AuditEntry): Promise<StoredRecord> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const headRaw = await this.redis.get(this.keys.head);
      const [record] = this.seal([entry], headRaw);
      const caseKey = entry.caseId ? this.keys.caseIndex(entry.caseId) : this.keys.head;
      const id = (await this.redis.eval(
        APPEND_SCRIPT,
        3,
        this.keys.stream,
        this.keys.head,
        caseKey,
        headRaw ?? '',
        headOf(record!),
        canonicalJson(record),
        record!.hash,
        entry.caseId ? '1' : '0',
      )) as string | null;
      if (id) return { id, record: record! };
      // Another writer appended first: re-read the head and link to it.
    }
    throw contended();
  }

  /**
   * Seals entries as the next links after the head `headRaw` (as read from Redis): what a script that
   * compare-and-sets the head writes. Secrets are redacted and values normalized exactly as append does.
   */
  seal(entries: readonly AuditEntry[], headRaw: string | null): AuditRecord[] {
    let head = parseHead(headRaw);
    const ts = this.now().toISOString();
    return entries.map((entry) => {
      const record = sealRecord({
        seq: head.seq + 1,
        ts,
        type: entry.type,
        caseId: entry.caseId ?? null,
        actor: entry.actor ? { id: entry.actor.id, role: entry.actor.role } : null,
        data: normalize(redactSecrets(entry.data ?? {})) as Record<string, unknown>,
        prev: head.hash,
      });
      head = { seq: record.seq, hash: record.hash };
      return record;
    });
  }

  /** The connection the chain lives on (a script writing state and audit together must use it). */
  get connection(): Redis {
    return this.redis;
  }

  /** Records of one case, in order (one pipelined round trip per 500 records). */
  async caseRecords(caseId: string): Promise<StoredRecord[]> {
    const ids = await this.redis.lrange(this.keys.caseIndex(caseId), 0, -1);
    const out: StoredRecord[] = [];
    for (let start = 0; start < ids.length; start += 500) {
      const pipeline = this.redis.pipeline();
      for (const id of ids.slice(start, start + 500)) pipeline.xrange(this.keys.stream, id, id);
      for (const [err, rows] of (await pipeline.exec()) ?? []) {
        const row = !err ? (rows as [string, string[]][])[0] : undefined;
        if (!row) continue;
        const stored = parseRow(row);
        if (stored.record) out.push({ id: stored.id, record: stored.record });
      }
    }
    return out;
  }

  /** Walks the whole stream in pages, oldest first. */
  async *scan(pageSize = 500): AsyncGenerator<RawRow> {
    let start = '-';
    for (;;) {
      const rows = await this.redis.xrange(this.keys.stream, start, '+', 'COUNT', pageSize);
      for (const row of rows) yield parseRow(row);
      if (rows.length < pageSize) return;
      const lastId = rows[rows.length - 1]![0];
      start = `(${lastId}`;
    }
  }

  async head(): Promise<Head> {
    return parseHead(await this.redis.get(this.keys.head));
  }
}

export interface RawRow {
  id: string;
  /** The stored JSON text, as written. */
  raw: string | null;
  /** The `h` field stored beside it. */
  storedHash: string | null;
  /** The parsed record, or null when the text is not a valid record. */
  record: AuditRecord | null;
}

function parseRow(row: [string, string[]]): RawRow {
  const [id, fields] = row;
  let raw: string | null = null;
  let storedHash: string | null = null;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'r') raw = fields[i + 1]!;
    if (fields[i] === 'h') storedHash = fields[i + 1]!;
  }
  let record: AuditRecord | null = null;
  if (raw !== null) {
    try {
      const parsed = auditRecordSchema.safeParse(JSON.parse(raw));
      record = parsed.success ? parsed.data : null;
    } catch {
      record = null;
    }
  }
  return { id, raw, storedHash, record };
}
