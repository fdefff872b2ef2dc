// Cases in Redis. An alert is admitted once (dedup by alert id, for the case retention, far longer than job
// retention); alerts of the same host and parent process within the grouping window join one case, so a storm
// pages a responder once. The record is small and read back through zod; full alert documents live in the
// alerts jobs, the triage report in its own key.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Alert } from '../../detection/alert.js';
import type { TriageReport } from '../../playbooks/hive-dump/report.js';
import { caseKeys, type CaseKeys } from './keys.js';
import { ADMIT_ALERTS, ADMIT_COMMAND, MARK_PROCESSED, SET_STATUS } from './scripts.js';
import { alertJobId, QUEUE_NAMES } from '../queues.js';

/** Lifecycle of a case. The response stage moves it past `triaged`. */
export const CASE_STATUSES = ['open', 'triaging', 'triaged', 'awaiting_approval', 'responding', 'contained', 'closed'] as const;
export const caseStatusSchema = z.enum(CASE_STATUSES);
export type CaseStatus = z.infer<typeof caseStatusSchema>;

const nullable = z.string().transform((value) => (value === '' ? null : value));
const millis = z.coerce.number().int().nonnegative();

/** A case as stored (Redis hash) and as the API returns it. */
export const caseRecordSchema = z.object({
  id: z.string().min(1),
  status: caseStatusSchema,
  hostId: z.string().min(1),
  hostName: nullable,
  userId: nullable,
  userName: nullable,
  /** `entity:<parent entity id>` or `pid:<parent pid>`; null when the alert named no parent. */
  parentKey: nullable,
  createdAt: millis,
  updatedAt: millis,
  /** Source-event times of the earliest and latest alert of the case. */
  firstAlertAt: z.string(),
  lastAlertAt: z.string(),
  alertCount: z.coerce.number().int().positive(),
  firstAlertId: z.string().min(1),
  reportAt: millis.optional(),
  disposition: z.string().optional(),
  score: z.coerce.number().optional(),
});
export type CaseRecord = z.infer<typeof caseRecordSchema>;

/**
 * Admission writes a new case without the fields that follow from others (ADMIT_ALERTS): its id is in its key,
 * and until a second alert joins, it was updated when created and its last alert is its first. Records written
 * before that hold them all.
 */
function withDerivedFields(caseId: string, hash: Record<string, string>): Record<string, string> {
  return { id: caseId, updatedAt: hash.createdAt!, lastAlertAt: hash.firstAlertAt!, alertCount: '1', ...hash };
}

export type AdmitOutcome = 'created' | 'joined' | 'duplicate';

export interface AdmitResult {
  outcome: AdmitOutcome;
  caseId: string;
  /** For a duplicate: true once its intake job was processed. False: re-add the job under its fixed id (a no-op if it exists). */
  queued: boolean;
}

export interface CaseJobRef {
  queue: string;
  jobId: string;
  addedAt: number;
}

export interface CaseFilter {
  hostId?: string;
  userId?: string;
  status?: CaseStatus;
  limit?: number;
  offset?: number;
}

export interface CaseStoreOptions {
  /** Redis key prefix (config.redis.prefix). */
  prefix: string;
  groupingWindowMinutes: number;
  retentionDays: number;
  now?: () => number;
  /** Admission drops expired cases from the indexes on its first call, then after this many alerts (default 1,000) or an hour, whichever comes first. */
  trimEveryAlerts?: number;
}

export class CaseNotFoundError extends Error {
  readonly code = 'HW_ERR_CASE_NOT_FOUND';
  constructor(readonly caseId: string) {
    super(`HW_ERR_CASE_NOT_FOUND: no case "${caseId}"; list cases with GET /v1/cases`);
  }
}

/** The parent process identity cases group on: entity id when the EDR gives one, else the pid. */
export function parentKeyOf(alert: Alert): string | null {
  if (alert.process.parent.entityId) return `entity:${alert.process.parent.entityId}`;
  if (alert.process.parent.pid !== null) return `pid:${alert.process.parent.pid}`;
  return null;
}

const processTag = randomBytes(3).toString('hex');
/** Alerts per admission call: bounds how long one script holds Redis. */
const ADMIT_CHUNK = 200;
const TRIM_EVERY_MS = 3600_000;
/**
 * A host or user index expires this long after its case retention, from when this process last renewed its
 * expiry; so the process renews it at most once in this time and its writes in between are still covered.
 */
const INDEX_RENEW_MS = 3600_000;
/** Indexes whose renewal time a store remembers; past this it forgets them all (they are renewed again). */
const RENEWALS_KEPT = 100_000;

let sequence = 0;

/**
 * The `index:` keys whose expired cases admission drops now and then: every status index, and `all`, the index
 * of every case that landings before the status-only indexes wrote (it empties, and so disappears, within one
 * retention period).
 */
const TRIMMED_INDEXES = [...CASE_STATUSES.map((status) => `status:${status}`), 'all'].join(',');

/**
 * One alert's values for ADMIT_ALERTS. Lone surrogates become U+FFFD, as ioredis's UTF-8 encoding of a plain
 * argument would make them (Lua's cjson refuses them).
 */
function admissionRow(alert: Alert, caseId: string, renew: boolean): string[] {
  const row = [alert.id, caseId, alert.hostId, alert.hostName ?? '', alert.userId ?? '', alert.userName ?? '', alert.originalTime, parentKeyOf(alert) ?? '', renew ? '1' : '0'];
  for (let i = 0; i < row.length; i++) if (!row[i]!.isWellFormed()) row[i] = row[i]!.toWellFormed();
  return row;
}

/** The names under which a store remembers renewing an alert's host and user indexes. */
const renewalNames = (alert: Alert): string[] => (alert.userId === null ? [`h:${alert.hostId}`] : [`h:${alert.hostId}`, `u:${alert.userId}`]);

/** Time-sortable, unique across processes (random tag + counter), URL-safe, valid in a BullMQ job id. */
export function newCaseId(now = Date.now()): string {
  sequence = (sequence + 1) % 1_679_616; // 36^4
  return `case-${now.toString(36)}${processTag}${sequence.toString(36).padStart(4, '0')}`;
}

type ScriptedRedis = Redis & {
  [ADMIT_COMMAND](openIndex: string, base: string, now: number, windowMs: number, retentionMs: number, trim: string, alerts: string, indexTtlMs: number): Promise<string[]>;
  hwCaseProcessed(alertKey: string): Promise<number>;
  hwCaseSetStatus(recordKey: string, ...args: (string | number)[]): Promise<[string, number] | null>;
};

export class CaseStore {
  readonly keys: CaseKeys;
  private readonly redis: ScriptedRedis;
  private readonly now: () => number;
  /** Alerts admitted since the last trimming call, and when that was (0: never). */
  private untrimmed = 0;
  private trimmedAt = 0;
  /** renewalNames -> when this store last renewed that index's expiry. */
  private readonly renewedAt = new Map<string, number>();

  constructor(
    redis: Redis,
    private readonly options: CaseStoreOptions,
  ) {
    this.keys = caseKeys(options.prefix);
    this.now = options.now ?? Date.now;
    const scripted = redis as ScriptedRedis;
    if (typeof scripted[ADMIT_COMMAND] !== 'function') redis.defineCommand(ADMIT_COMMAND, { numberOfKeys: 1, lua: ADMIT_ALERTS });
    if (typeof scripted.hwCaseSetStatus !== 'function') redis.defineCommand('hwCaseSetStatus', { numberOfKeys: 1, lua: SET_STATUS });
    if (typeof scripted.hwCaseProcessed !== 'function') redis.defineCommand('hwCaseProcessed', { numberOfKeys: 1, lua: MARK_PROCESSED });
    this.redis = scripted;
  }

  private get retentionMs(): number {
    return this.options.retentionDays * 24 * 3600 * 1000;
  }

  /**
   * Admits alerts in order, one script call per ADMIT_CHUNK: each is a duplicate (already admitted: its case),
   * joins the open case of its host and parent process, or creates a case. The intake job of an alert is
   * `alertJobId(alert.id)` on the alerts queue; the case's job history finds it from the case's alerts.
   */
  async admitMany(alerts: Alert[]): Promise<AdmitResult[]> {
    const calls: Promise<string[]>[] = [];
    for (let i = 0; i < alerts.length; i += ADMIT_CHUNK) {
      const now = this.now();
      const chunk = alerts.slice(i, i + ADMIT_CHUNK);
      const renewals = new Set<string>();
      const rows = chunk.map((alert) => admissionRow(alert, newCaseId(now), this.renewDue(alert, now, renewals)));
      const trim = this.trimDue(now, rows.length) ? TRIMMED_INDEXES : '';
      const call = this.redis[ADMIT_COMMAND](this.keys.indexStatus('open'), this.keys.base, now, this.options.groupingWindowMinutes * 60_000, this.retentionMs, trim, JSON.stringify(rows), this.retentionMs + INDEX_RENEW_MS);
      calls.push(call.then((reply) => (this.noteRenewed(chunk, reply, renewals, now), reply)));
    }
    const flat = (await Promise.all(calls)).flat();
    return alerts.map((_, i) => ({ outcome: flat[3 * i] as AdmitOutcome, caseId: flat[3 * i + 1]!, queued: flat[3 * i + 2] === '1' }));
  }

  /** Whether this alert's host or user index is due a renewed expiry; adds the due ones to `renewals`. */
  private renewDue(alert: Alert, now: number, renewals: Set<string>): boolean {
    let due = false;
    for (const name of renewalNames(alert)) {
      if (renewals.has(name)) {
        due = true;
      } else if (now - (this.renewedAt.get(name) ?? -Infinity) >= INDEX_RENEW_MS) {
        renewals.add(name);
        due = true;
      }
    }
    return due;
  }

  /**
   * Remembers the renewals the call made: the host and user indexes of the cases it created (an alert that
   * was a duplicate or joined a case wrote no host index, so it renewed nothing). A failed call leaves them due.
   */
  private noteRenewed(chunk: Alert[], reply: string[], renewals: Set<string>, now: number): void {
    if (this.renewedAt.size + renewals.size > RENEWALS_KEPT) this.renewedAt.clear();
    chunk.forEach((alert, i) => {
      if (reply[3 * i] !== 'created') return;
      for (const name of renewalNames(alert)) if (renewals.has(name)) this.renewedAt.set(name, now);
    });
  }

  /**
   * Whether this admission call also drops expired cases. Not every call: a trimming call touches every index
   * of its alerts' hosts and users, which on 100-alert batches cost about 1 µs of Redis per alert.
   */
  private trimDue(now: number, alerts: number): boolean {
    this.untrimmed += alerts;
    if (this.untrimmed < (this.options.trimEveryAlerts ?? 1000) && now - this.trimmedAt < TRIM_EVERY_MS) return false;
    this.untrimmed = 0;
    this.trimmedAt = now;
    return true;
  }

  async admit(alert: Alert): Promise<AdmitResult> {
    const [result] = await this.admitMany([alert]);
    return result!;
  }

  /** Records that the intake jobs of these alerts were processed (see AdmitResult.queued). */
  async markQueued(alertIds: string[]): Promise<void> {
    await Promise.all(alertIds.map((id) => this.redis.hwCaseProcessed(this.keys.alert(id))));
  }

  /** The case an alert id was admitted to, if any. */
  async caseOfAlert(alertId: string): Promise<string | null> {
    const value = await this.redis.get(this.keys.alert(alertId));
    return value === null ? null : value.split('|')[0]!;
  }

  /** True once the intake worker processed the alert. */
  async alertProcessed(alertId: string): Promise<boolean> {
    return (await this.redis.get(this.keys.alert(alertId)))?.endsWith('|1') ?? false;
  }

  async get(caseId: string): Promise<CaseRecord | null> {
    const hash = await this.redis.hgetall(this.keys.record(caseId));
    // A report written after its case expired leaves a hash without status: no case.
    if (!hash.status) return null;
    return caseRecordSchema.parse(withDerivedFields(caseId, hash));
  }

  async require(caseId: string): Promise<CaseRecord> {
    const record = await this.get(caseId);
    if (!record) throw new CaseNotFoundError(caseId);
    return record;
  }

  /** Cases newest first, filtered by host, user and status together. */
  async list(filter: CaseFilter = {}): Promise<CaseRecord[]> {
    const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
    const offset = Math.max(filter.offset ?? 0, 0);
    const indexes: string[] = [];
    if (filter.hostId) indexes.push(this.keys.indexHost(filter.hostId));
    if (filter.userId) indexes.push(this.keys.indexUser(filter.userId));
    if (filter.status) indexes.push(this.keys.indexStatus(filter.status));
    let ids: string[];
    if (indexes.length === 1) {
      ids = await this.redis.zrange(indexes[0]!, offset, offset + limit - 1, 'REV');
    } else if (indexes.length === 0) {
      ids = (await this.newestOfEveryStatus(offset + limit)).slice(offset);
    } else {
      // ZINTER returns ascending by summed score; the scores are identical (createdAt), so order is creation order.
      const all = (await this.redis.call('ZINTER', indexes.length, ...indexes, 'AGGREGATE', 'MIN')) as string[];
      ids = all.reverse().slice(offset, offset + limit);
    }
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((record): record is CaseRecord => record !== null);
  }

  /**
   * The `count` newest cases whatever their status. Every case is in exactly one status index, so there is no
   * index of all cases for admission to write: the newest `count` of each status index, merged by creation time.
   */
  private async newestOfEveryStatus(count: number): Promise<string[]> {
    const pipeline = this.redis.pipeline();
    for (const status of CASE_STATUSES) pipeline.zrange(this.keys.indexStatus(status), 0, count - 1, 'REV', 'WITHSCORES');
    const merged: { id: string; createdAt: number }[] = [];
    for (const [err, reply] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      const flat = reply as string[];
      for (let i = 0; i < flat.length; i += 2) merged.push({ id: flat[i]!, createdAt: Number(flat[i + 1]) });
    }
    // Newest first; ties in reverse id order, as ZRANGE REV orders one index.
    merged.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return merged.slice(0, count).map((entry) => entry.id);
  }

  /** Alert ids of the case, in admission order: the first alert, then those that joined. */
  async alertIds(caseId: string): Promise<string[]> {
    const [first, joined] = await Promise.all([this.redis.hget(this.keys.record(caseId), 'firstAlertId'), this.redis.lrange(this.keys.alerts(caseId), 0, -1)]);
    // Cases admitted by the first landing listed their first alert too.
    return first === null || joined[0] === first ? joined : [first, ...joined];
  }

  /** Links a job (any queue) to the case, for its job history. Idempotent. */
  async addJob(caseId: string, queue: string, jobId: string): Promise<void> {
    await this.redis
      .multi()
      .hsetnx(this.keys.jobs(caseId), `${queue}/${jobId}`, String(this.now()))
      .pexpire(this.keys.jobs(caseId), this.retentionMs)
      .exec();
  }

  /** The jobs of the case: the intake job of each alert, then the jobs other stages linked (addJob). */
  async jobs(caseId: string): Promise<CaseJobRef[]> {
    const [alertIds, hash] = await Promise.all([this.alertIds(caseId), this.redis.hgetall(this.keys.jobs(caseId))]);
    const intake = alertIds.map((id) => ({ queue: QUEUE_NAMES.alerts as string, jobId: alertJobId(id), addedAt: 0 }));
    const linked = Object.entries(hash)
      .map(([field, addedAt]) => {
        const slash = field.indexOf('/');
        return { queue: field.slice(0, slash), jobId: field.slice(slash + 1), addedAt: Number(addedAt) };
      })
      .sort((a, b) => a.addedAt - b.addedAt);
    return [...intake, ...linked];
  }

  /**
   * Sets the status; with `expected`, only when the current status is one of them (returns false otherwise).
   * Throws CaseNotFoundError for an unknown case.
   */
  async setStatus(caseId: string, status: CaseStatus, expected: CaseStatus[] = []): Promise<boolean> {
    caseStatusSchema.parse(status);
    const reply = await this.redis.hwCaseSetStatus(this.keys.record(caseId), this.keys.base, caseId, status, this.now(), expected.join(','));
    if (reply === null) throw new CaseNotFoundError(caseId);
    return Number(reply[1]) === 1;
  }

  /** Stores the triage report with the case and moves an open or triaging case to `triaged`. */
  async saveReport(caseId: string, report: TriageReport): Promise<void> {
    await this.require(caseId);
    await this.redis
      .multi()
      .set(this.keys.report(caseId), JSON.stringify(report), 'PX', this.retentionMs)
      .hset(this.keys.record(caseId), 'reportAt', String(this.now()), 'disposition', report.disposition, 'score', String(report.score))
      .exec();
    await this.setStatus(caseId, 'triaged', ['open', 'triaging']);
  }

  async getReport(caseId: string): Promise<TriageReport | null> {
    const text = await this.redis.get(this.keys.report(caseId));
    return text === null ? null : (JSON.parse(text) as TriageReport);
  }
}
