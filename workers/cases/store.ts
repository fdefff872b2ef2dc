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
import { ADMIT_ALERT, SET_STATUS } from './scripts.js';

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

/** Time-sortable, URL-safe, valid as part of a BullMQ job id. */
export function newCaseId(now = Date.now()): string {
  return `case-${now.toString(36)}${randomBytes(5).toString('hex')}`;
}

type ScriptedRedis = Redis & {
  hwCaseAdmit(alertKey: string, groupKey: string, ...args: (string | number)[]): Promise<[string, string, string]>;
  hwCaseSetStatus(recordKey: string, ...args: (string | number)[]): Promise<[string, number] | null>;
};

export class CaseStore {
  readonly keys: CaseKeys;
  private readonly redis: ScriptedRedis;
  private readonly now: () => number;

  constructor(
    redis: Redis,
    private readonly options: CaseStoreOptions,
  ) {
    this.keys = caseKeys(options.prefix);
    this.now = options.now ?? Date.now;
    const scripted = redis as ScriptedRedis;
    if (typeof scripted.hwCaseAdmit !== 'function') redis.defineCommand('hwCaseAdmit', { numberOfKeys: 2, lua: ADMIT_ALERT });
    if (typeof scripted.hwCaseSetStatus !== 'function') redis.defineCommand('hwCaseSetStatus', { numberOfKeys: 1, lua: SET_STATUS });
    this.redis = scripted;
  }

  private get retentionMs(): number {
    return this.options.retentionDays * 24 * 3600 * 1000;
  }

  private admitArgs(alert: Alert, jobField: string): [string, string, ...(string | number)[]] {
    const parentKey = parentKeyOf(alert) ?? '';
    const groupKey = parentKey ? this.keys.group(alert.hostId, parentKey) : `${this.keys.base}group:none`;
    const now = this.now();
    return [
      this.keys.alert(alert.id),
      groupKey,
      this.keys.base,
      newCaseId(now),
      now,
      this.options.groupingWindowMinutes * 60_000,
      this.retentionMs,
      alert.id,
      alert.hostId,
      alert.hostName ?? '',
      alert.userId ?? '',
      alert.userName ?? '',
      alert.originalTime,
      parentKey,
      jobField,
    ];
  }

  /**
   * Admits alerts in order, in one round trip: each is a duplicate (already admitted: its case), joins the open
   * case of its host and parent process, or creates a case. `jobIds[i]` is the intake job that will carry alert i.
   */
  async admitMany(alerts: { alert: Alert; queue: string; jobId: string }[]): Promise<AdmitResult[]> {
    if (alerts.length === 0) return [];
    if (alerts.length === 1) {
      // One alert (Kibana's per-alert action): a direct call, no pipeline object.
      const { alert, queue, jobId } = alerts[0]!;
      const [outcome, caseId, queued] = await this.redis.hwCaseAdmit(...this.admitArgs(alert, `${queue}/${jobId}`));
      return [{ outcome: outcome as AdmitOutcome, caseId, queued: queued === '1' }];
    }
    const pipeline = this.redis.pipeline() as unknown as { hwCaseAdmit(...args: unknown[]): void; exec(): Promise<[Error | null, unknown][] | null> };
    for (const { alert, queue, jobId } of alerts) pipeline.hwCaseAdmit(...this.admitArgs(alert, `${queue}/${jobId}`));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, reply]) => {
      if (err) throw err;
      const [outcome, caseId, queued] = reply as [AdmitOutcome, string, string];
      return { outcome, caseId, queued: queued === '1' };
    });
  }

  async admit(alert: Alert, queue: string, jobId: string): Promise<AdmitResult> {
    const [result] = await this.admitMany([{ alert, queue, jobId }]);
    return result!;
  }

  /** Records that the intake jobs of these alerts were processed (see AdmitResult.queued). */
  async markQueued(alertIds: string[]): Promise<void> {
    if (alertIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const id of alertIds) pipeline.hset(this.keys.alert(id), 'queued', '1');
    await pipeline.exec();
  }

  /** The case an alert id was admitted to, if any. */
  async caseOfAlert(alertId: string): Promise<string | null> {
    return this.redis.hget(this.keys.alert(alertId), 'case');
  }

  async get(caseId: string): Promise<CaseRecord | null> {
    const hash = await this.redis.hgetall(this.keys.record(caseId));
    if (!hash.id) return null;
    return caseRecordSchema.parse(hash);
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
    if (indexes.length <= 1) {
      ids = await this.redis.zrange(indexes[0] ?? this.keys.indexAll, offset, offset + limit - 1, 'REV');
    } else {
      // ZINTER returns ascending by summed score; the scores are identical (createdAt), so order is creation order.
      const all = (await this.redis.call('ZINTER', indexes.length, ...indexes, 'AGGREGATE', 'MIN')) as string[];
      ids = all.reverse().slice(offset, offset + limit);
    }
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((record): record is CaseRecord => record !== null);
  }

  /** Alert ids of the case, in admission order. */
  async alertIds(caseId: string): Promise<string[]> {
    return this.redis.lrange(this.keys.alerts(caseId), 0, -1);
  }

  /** Links a job (any queue) to the case, for its job history. Idempotent. */
  async addJob(caseId: string, queue: string, jobId: string): Promise<void> {
    await this.redis
      .multi()
      .hsetnx(this.keys.jobs(caseId), `${queue}/${jobId}`, String(this.now()))
      .pexpire(this.keys.jobs(caseId), this.retentionMs)
      .exec();
  }

  /** The jobs linked to the case, oldest first. */
  async jobs(caseId: string): Promise<CaseJobRef[]> {
    const hash = await this.redis.hgetall(this.keys.jobs(caseId));
    return Object.entries(hash)
      .map(([field, addedAt]) => {
        const slash = field.indexOf('/');
        return { queue: field.slice(0, slash), jobId: field.slice(slash + 1), addedAt: Number(addedAt) };
      })
      .sort((a, b) => a.addedAt - b.addedAt);
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
