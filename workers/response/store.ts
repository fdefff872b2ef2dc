// Step records in Redis. Every write is a compare-and-set in Lua: the step's revision and its state must
// still be what the caller read, so two responders (or a responder and a worker) never both win.
// A write that carries audit entries is one script with the audit append: the step changes only if its
// hash-chained records are appended in the same atomic unit, so no decision exists without its record.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { canonicalJson } from '../audit/canonical.js';
import { contended, headOf, RedisAuditLog } from '../audit/redis-log.js';
import type { AuditEntry, AuditSink } from '../audit/types.js';
import { notFound, ResponseError, wrongState } from './errors.js';
import { responseKeys, type ResponseKeys } from './keys.js';
import { canTransition, OPEN_STATES, type CaseStep } from './step.js';

// The step's compare-and-set check. KEYS[1]: step. ARGV: expected rev, new json, allowed from-states (comma list).
const CAS_CHECK = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {err = 'NOSTEP'} end
local cur = cjson.decode(raw)
if tostring(cur.rev) ~= ARGV[1] then return 'REV:' .. tostring(cur.rev) .. ':' .. cur.state end
local ok = false
for s in string.gmatch(ARGV[3], '[^,]+') do if s == cur.state then ok = true end end
if not ok then return 'STATE:' .. cur.state end
`;

/**
 * Lua that appends `count` sealed audit records (pairs of record json and hash in ARGV, from slot `first`) to the
 * audit stream and the case index, then moves the chain head. Every audited script appends the same way; the
 * arguments are Lua expressions naming that script's KEYS and ARGV slots.
 */
function appendRecords(slots: { stream: string; index: string; head: string; newHead: string; count: string; first: string }): string {
  return `
for i = 0, ${slots.count} - 1 do
  local id = redis.call('XADD', ${slots.stream}, '*', 'r', ARGV[${slots.first} + 2 * i], 'h', ARGV[${slots.first} + 1 + 2 * i])
  redis.call('RPUSH', ${slots.index}, id)
end
if ${slots.count} > 0 then redis.call('SET', ${slots.head}, ${slots.newHead}) end`;
}

const CAS_SCRIPT = `${CAS_CHECK}
redis.call('SET', KEYS[1], ARGV[2])
return 'OK'
`;

// The same compare-and-set, plus the audit append under the chain head's compare-and-set. The audit records
// are written first: Redis does not roll a script back, so a failing append must leave the step untouched.
// KEYS: step, audit stream, audit head, audit case index.
// ARGV: expected rev, new json, allowed from-states, expected head, new head, n, then n pairs (record json, hash).
const CAS_AUDITED_SCRIPT = `${CAS_CHECK}
if (redis.call('GET', KEYS[3]) or '') ~= ARGV[4] then return 'HEAD' end
local n = tonumber(ARGV[6])${appendRecords({ stream: 'KEYS[2]', index: 'KEYS[4]', head: 'KEYS[3]', newHead: 'ARGV[5]', count: 'n', first: '7' })}
redis.call('SET', KEYS[1], ARGV[2])
return 'OK'
`;

// Creates a step together with its audit records. KEYS: step, step list, audit stream, head, case index.
// ARGV: step json, step id, expected head, new head, n, then n pairs (record json, hash).
const CREATE_AUDITED_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 'EXISTS' end
if (redis.call('GET', KEYS[4]) or '') ~= ARGV[3] then return 'HEAD' end
local n = tonumber(ARGV[5])${appendRecords({ stream: 'KEYS[3]', index: 'KEYS[5]', head: 'KEYS[4]', newHead: 'ARGV[4]', count: 'n', first: '6' })}
redis.call('SET', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[2])
return 'OK'
`;

// Several step writes of one case (created steps, compare-and-set updates), the case meta and their audit
// records as one atomic unit: a plan proposal with its `response.proposed` record, a revert claim with the
// revert step and its record. Every check runs before any write (Redis does not roll a script back), and
// the audit records are appended before the state, so a failing append leaves every step untouched.
// KEYS: audit stream, audit head, audit case index, step list, meta, then the update steps, then the created.
// ARGV: expected head ('-' = no records), new head, nUpdates, nCreates, meta json ('' = unchanged), nRecords,
// then per update (expected rev, expected state, new json), per create (json, step id), per record (json, hash).
const BATCH_AUDITED_SCRIPT = `
local nu = tonumber(ARGV[3])
local nc = tonumber(ARGV[4])
local nr = tonumber(ARGV[6])
local a = 7
for i = 1, nu do
  local raw = redis.call('GET', KEYS[5 + i])
  if not raw then return 'GONE:' .. KEYS[5 + i] end
  local cur = cjson.decode(raw)
  if tostring(cur.rev) ~= ARGV[a] then return 'REV:' .. tostring(cur.rev) .. ':' .. cur.state end
  if cur.state ~= ARGV[a + 1] then return 'STATE:' .. cur.state end
  a = a + 3
end
for i = 1, nc do
  if redis.call('EXISTS', KEYS[5 + nu + i]) == 1 then return 'EXISTS:' .. KEYS[5 + nu + i] end
end
if ARGV[1] ~= '-' and (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 'HEAD' end
local r = 7 + 3 * nu + 2 * nc${appendRecords({ stream: 'KEYS[1]', index: 'KEYS[3]', head: 'KEYS[2]', newHead: 'ARGV[2]', count: 'nr', first: 'r' })}
a = 7
for i = 1, nu do
  redis.call('SET', KEYS[5 + i], ARGV[a + 2])
  a = a + 3
end
for i = 1, nc do
  redis.call('SET', KEYS[5 + nu + i], ARGV[a])
  redis.call('RPUSH', KEYS[4], ARGV[a + 1])
  a = a + 2
end
if ARGV[5] ~= '' then redis.call('SET', KEYS[5], ARGV[5]) end
return 'OK'
`;

/** One atomic multi-step write of a case (see BATCH_AUDITED_SCRIPT). */
export interface CaseBatch {
  /** New steps (refused as a whole if any id exists). */
  creates?: CaseStep[];
  /** Compare-and-set updates: `current` is what the caller read; `next` is written with rev + 1. */
  updates?: { current: CaseStep; next: CaseStep }[];
  /** The case meta to store with the steps. */
  meta?: CaseMeta;
}

/** The audit records a step write carries: built from the step as it will be stored. */
export interface Audited {
  sink: AuditSink;
  entries(after: CaseStep, before: CaseStep | null): AuditEntry[];
}

/**
 * True when the sink is the Redis chain on the same server and database as the steps, so one script can
 * write both. Any other sink (the in-memory one of Redis-free runs) is appended after the state write.
 */
function sameServer(redis: Redis, sink: AuditSink): sink is RedisAuditLog {
  if (!(sink instanceof RedisAuditLog)) return false;
  const a = redis.options;
  const b = sink.connection.options;
  return (a.host ?? 'localhost') === (b.host ?? 'localhost') && (a.port ?? 6379) === (b.port ?? 6379) && (a.db ?? 0) === (b.db ?? 0) && a.path === b.path;
}

export interface CaseMeta {
  planHash: string;
  planVersion: number;
  evidenceVersion: number;
  evidenceHash: string;
  disposition: string | null;
  hostId: string | null;
  criticality: string | null;
  alertId: string | null;
  exceptionCandidate: string | null;
}

export class ConcurrentUpdate extends Error {
  constructor(readonly currentState: string) {
    super('step changed while we wrote it');
  }
}

export class StepStore {
  readonly keys: ResponseKeys;

  constructor(
    readonly redis: Redis,
    prefix: string,
    /** Told after every write with all steps of the case (e.g. to keep the case status current). */
    private readonly onCaseChange?: (caseId: string, steps: CaseStep[]) => Promise<void>,
    /** Told of every state change that was written (metrics). */
    private readonly onTransition?: (before: CaseStep, after: CaseStep) => void,
  ) {
    this.keys = responseKeys(prefix);
  }

  async get(caseId: string, stepId: string): Promise<CaseStep | null> {
    const raw = await this.redis.get(this.keys.step(caseId, stepId));
    return raw ? (JSON.parse(raw) as CaseStep) : null;
  }

  async mustGet(caseId: string, stepId: string): Promise<CaseStep> {
    const step = await this.get(caseId, stepId);
    if (!step) throw notFound(`step ${stepId} of case ${caseId}`);
    return step;
  }

  async list(caseId: string): Promise<CaseStep[]> {
    const ids = await this.redis.lrange(this.keys.steps(caseId), 0, -1);
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.keys.step(caseId, id)));
    return raws.filter((raw): raw is string => raw !== null).map((raw) => JSON.parse(raw) as CaseStep);
  }

  /** The next step id of a case (`s1`, `s2`, ...), unique even when a proposal and a revert race. */
  async nextStepId(caseId: string): Promise<string> {
    return `s${await this.redis.incr(this.keys.seq(caseId))}`;
  }

  /** Creates a step; refuses an id that exists (plan proposals are idempotent by construction). */
  async create(step: CaseStep, audited?: Audited): Promise<boolean> {
    const entries = audited?.entries(step, null) ?? [];
    if (audited && entries.length > 0 && sameServer(this.redis, audited.sink)) {
      const log = audited.sink;
      const reply = await this.withHead(log, entries, (headRaw, newHead, records) =>
        this.redis.eval(CREATE_AUDITED_SCRIPT, 5, this.keys.step(step.caseId, step.stepId), this.keys.steps(step.caseId), log.keys.stream, log.keys.head, log.keys.caseIndex(step.caseId), JSON.stringify(step), step.stepId, headRaw ?? '', newHead, String(records.length / 2), ...records),
      );
      if (reply !== 'OK') return false;
    } else {
      const created = await this.redis.set(this.keys.step(step.caseId, step.stepId), JSON.stringify(step), 'NX');
      if (created !== 'OK') return false;
      await this.redis.rpush(this.keys.steps(step.caseId), step.stepId);
      for (const entry of entries) await audited!.sink.append(entry);
    }
    await this.touchCase(step.caseId);
    return true;
  }

  /** Seals the entries after the current head and runs `write` until the head did not move meanwhile. */
  private async withHead(log: RedisAuditLog, entries: AuditEntry[], write: (headRaw: string | null, newHead: string, records: string[]) => Promise<unknown>): Promise<string> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const headRaw = await this.redis.get(log.keys.head);
      const sealed = log.seal(entries, headRaw);
      const args = sealed.flatMap((record) => [canonicalJson(record), record.hash]);
      const reply = String(await write(headRaw, headOf(sealed[sealed.length - 1]!), args));
      if (reply !== 'HEAD') return reply;
      // Another writer appended to the chain first: link to its record instead.
    }
    throw contended();
  }

  /**
   * Writes `next` if the stored step still has `current.rev` and `current.state`, and the state change is
   * legal. Throws ConcurrentUpdate when someone else wrote first (callers re-read and re-decide).
   */
  async transition(current: CaseStep, next: CaseStep, audited?: Audited): Promise<CaseStep> {
    if (!canTransition(current.state, next.state)) throw wrongState(current.stepId, current.state, `one of ${legalFrom(next.state)}`);
    const written: CaseStep = { ...next, rev: current.rev + 1, updatedAt: new Date().toISOString() };
    const entries = audited?.entries(written, current) ?? [];
    const stepKey = this.keys.step(current.caseId, current.stepId);
    const atomic = audited !== undefined && entries.length > 0 && sameServer(this.redis, audited.sink);
    let reply: string;
    try {
      if (atomic) {
        const log = audited.sink as RedisAuditLog;
        reply = await this.withHead(log, entries, (headRaw, newHead, records) =>
          this.redis.eval(CAS_AUDITED_SCRIPT, 4, stepKey, log.keys.stream, log.keys.head, log.keys.caseIndex(current.caseId), String(current.rev), JSON.stringify(written), current.state, headRaw ?? '', newHead, String(records.length / 2), ...records),
        );
      } else {
        reply = (await this.redis.eval(CAS_SCRIPT, 1, stepKey, String(current.rev), JSON.stringify(written), current.state)) as string;
      }
    } catch (err) {
      if (String(err).includes('NOSTEP')) throw notFound(`step ${current.stepId} of case ${current.caseId}`);
      throw err;
    }
    if (reply !== 'OK') throw new ConcurrentUpdate(reply.split(':').pop() ?? 'unknown');
    if (!atomic) for (const entry of entries) await audited!.sink.append(entry);
    this.onTransition?.(current, written);
    await this.touchCase(current.caseId);
    return written;
  }

  /** Re-reads and re-applies `change` until the compare-and-set wins (bounded). */
  async update(caseId: string, stepId: string, change: (step: CaseStep) => CaseStep | Promise<CaseStep>, audited?: Audited): Promise<{ before: CaseStep; after: CaseStep }> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const before = await this.mustGet(caseId, stepId);
      const next = await change(before);
      try {
        const after = await this.transition(before, next, audited);
        return { before, after };
      } catch (err) {
        if (!(err instanceof ConcurrentUpdate)) throw err;
      }
    }
    throw new ResponseError('HW_ERR_CONTENDED', 409, `step ${stepId} kept changing while we updated it; retry`);
  }

  /**
   * Writes a batch of step creations and updates, the meta and the audit records of a case in one atomic
   * unit. Throws ConcurrentUpdate when a step changed or a created id exists (callers re-read and re-decide).
   * `entries` is built from the steps as they will be stored.
   */
  async writeBatch(caseId: string, batch: CaseBatch, sink: AuditSink | undefined, entries: (written: { created: CaseStep[]; updated: CaseStep[] }) => AuditEntry[]): Promise<{ created: CaseStep[]; updated: CaseStep[] }> {
    const creates = batch.creates ?? [];
    const stamp = new Date().toISOString();
    const updates = (batch.updates ?? []).map(({ current, next }) => {
      if (current.caseId !== caseId || next.stepId !== current.stepId) throw new Error(`writeBatch: step ${current.stepId} is not an update of case ${caseId}`);
      if (!canTransition(current.state, next.state)) throw wrongState(current.stepId, current.state, `one of ${legalFrom(next.state)}`);
      return { current, written: { ...next, rev: current.rev + 1, updatedAt: stamp } as CaseStep };
    });
    const written = { created: creates, updated: updates.map((u) => u.written) };
    const records = sink ? entries(written) : [];
    const log = sink && records.length > 0 && sameServer(this.redis, sink) ? sink : null;
    const keys = [
      log?.keys.stream ?? '-', log?.keys.head ?? '-', log?.keys.caseIndex(caseId) ?? '-', this.keys.steps(caseId), this.keys.meta(caseId),
      ...updates.map((u) => this.keys.step(caseId, u.current.stepId)),
      ...creates.map((step) => this.keys.step(caseId, step.stepId)),
    ];
    const stepArgs = [
      ...updates.flatMap((u) => [String(u.current.rev), u.current.state, JSON.stringify(u.written)]),
      ...creates.flatMap((step) => [JSON.stringify(step), step.stepId]),
    ];
    const run = (headRaw: string, newHead: string, sealed: string[]) =>
      this.redis.eval(BATCH_AUDITED_SCRIPT, keys.length, ...keys, headRaw, newHead, String(updates.length), String(creates.length), batch.meta ? JSON.stringify(batch.meta) : '', String(sealed.length / 2), ...stepArgs, ...sealed);
    const reply = log
      ? await this.withHead(log, records, (headRaw, newHead, sealed) => run(headRaw ?? '', newHead, sealed))
      : String(await run('-', '', []));
    if (reply !== 'OK') throw new ConcurrentUpdate(reply.split(':').pop() ?? 'unknown');
    // A sink that is not the Redis chain (Redis-free runs) is appended after the state write.
    if (sink && !log) for (const entry of records) await sink.append(entry);
    for (const u of updates) this.onTransition?.(u.current, u.written);
    if (creates.length > 0 || updates.length > 0) await this.touchCase(caseId);
    return written;
  }

  async getMeta(caseId: string): Promise<CaseMeta | null> {
    const raw = await this.redis.get(this.keys.meta(caseId));
    return raw ? (JSON.parse(raw) as CaseMeta) : null;
  }

  async setMeta(caseId: string, meta: CaseMeta): Promise<void> {
    await this.redis.set(this.keys.meta(caseId), JSON.stringify(meta));
  }

  /** A short per-case lock for multi-step writes (plan proposal); returns a release function. */
  async lock(caseId: string, ttlMs = 15_000): Promise<() => Promise<void>> {
    const token = randomUUID();
    const key = this.keys.lock(caseId);
    for (let i = 0; i < 300; i++) {
      if ((await this.redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK') {
        return async () => {
          await this.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, key, token);
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new ResponseError('HW_ERR_CONTENDED', 409, `case ${caseId} is being updated by another process; retry`);
  }

  /** Keeps the case indexes current: every case with steps, and those waiting for a person. */
  async touchCase(caseId: string): Promise<void> {
    const steps = await this.list(caseId);
    const now = Date.now();
    await this.redis.zadd(this.keys.cases, now, caseId);
    if (steps.some((step) => OPEN_STATES.includes(step.state))) await this.redis.zadd(this.keys.open, now, caseId);
    else await this.redis.zrem(this.keys.open, caseId);
    await this.onCaseChange?.(caseId, steps);
  }

  async listCases(openOnly: boolean, limit = 200): Promise<string[]> {
    return this.redis.zrevrange(openOnly ? this.keys.open : this.keys.cases, 0, limit - 1);
  }
}

function legalFrom(to: string): string {
  return `a state that may become ${to}`;
}
