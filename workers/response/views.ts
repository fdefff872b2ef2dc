// What the API, the CLI and the console show of steps and of a case's history.
import type { Queue } from 'bullmq';
import { caseJobHistory, type JobHistoryEntry } from '../cases/history.js';
import type { CaseStore } from '../cases/store.js';
import type { RedisAuditLog } from '../audit/redis-log.js';
import type { CaseStep } from './step.js';

export interface StepView extends CaseStep {
  /** How the step is undone: a connector action, a manual undo, or null when it cannot be undone. */
  undo: string | null;
  manual: boolean;
  approvalsMissing: number;
  /** What a person can do with it now. */
  actions: ('approve' | 'deny' | 'revert' | 'complete' | 'retry' | 'evidence')[];
}

export function stepView(step: CaseStep): StepView {
  const actions: StepView['actions'] = [];
  if (step.state === 'proposed') actions.push('approve', 'deny', 'evidence');
  if (step.state === 'approved') actions.push('deny');
  if (step.state === 'running' && step.connectorAction === null) actions.push('complete');
  if (step.state === 'done' && step.reversible) actions.push('revert');
  if (step.state === 'failed') actions.push('retry');
  return {
    ...step,
    undo: step.reversible ? (step.inverseConnectorAction ?? `manual: ${step.inverse ?? `undo ${step.action} by hand`}`) : null,
    manual: step.connectorAction === null,
    approvalsMissing: step.state === 'proposed' ? Math.max(0, step.approvalsRequired - step.approvals.length) : 0,
    actions,
  };
}

export interface TimelineEntry {
  at: string;
  source: 'audit' | 'job';
  type: string;
  actor: { id: string; role: string } | null;
  summary: string;
  data: Record<string, unknown>;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function jobEntries(job: JobHistoryEntry): TimelineEntry[] {
  const base = { source: 'job' as const, actor: { id: `queue:${job.queue}`, role: 'system' } };
  const data = { queue: job.queue, jobId: job.jobId, name: job.name, state: job.state, attemptsMade: job.attemptsMade, attemptsStarted: job.attemptsStarted };
  const out: TimelineEntry[] = [];
  const created = iso(job.createdAt);
  if (created) out.push({ ...base, at: created, type: 'job.created', summary: `${job.queue} job ${job.name ?? job.jobId} added`, data });
  const processed = iso(job.processedAt);
  if (processed) out.push({ ...base, at: processed, type: 'job.started', summary: `${job.queue} job ${job.name ?? job.jobId} started (attempt ${job.attemptsStarted || job.attemptsMade || 1})`, data });
  const finished = iso(job.finishedAt);
  if (finished) {
    out.push({
      ...base,
      at: finished,
      type: job.state === 'failed' ? 'job.failed' : 'job.finished',
      summary: `${job.queue} job ${job.name ?? job.jobId} ${job.state}${job.failedReason ? `: ${job.failedReason}` : ''}`,
      data: { ...data, failures: job.failures, logs: job.logs, returnValue: job.returnValue },
    });
  } else if (job.logs.length || job.failures.length) {
    out.push({ ...base, at: processed ?? created ?? new Date(0).toISOString(), type: `job.${job.state}`, summary: `${job.queue} job ${job.name ?? job.jobId} is ${job.state}`, data: { ...data, failures: job.failures, logs: job.logs } });
  }
  return out;
}

function auditSummary(type: string, data: Record<string, unknown>): string {
  const step = typeof data.stepId === 'string' ? `step ${data.stepId} ` : '';
  const extra = ['reason', 'state', 'detail', 'default', 'hash'].map((key) => (typeof data[key] === 'string' ? `${key}=${String(data[key]).slice(0, 80)}` : null)).filter(Boolean);
  return `${step}${type}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

/** One timeline of a case: BullMQ jobs (attempts, logs, failures) and audit records, oldest first. */
export async function caseTimeline(caseId: string, audit: RedisAuditLog, cases: CaseStore | undefined, queues: Record<string, Queue> | undefined): Promise<TimelineEntry[]> {
  const records = await audit.caseRecords(caseId);
  const entries: TimelineEntry[] = records.map(({ record }) => ({
    at: record.ts,
    source: 'audit',
    type: record.type,
    actor: record.actor,
    summary: auditSummary(record.type, record.data),
    data: { ...record.data, seq: record.seq, hash: record.hash },
  }));
  if (cases && queues) {
    for (const job of await caseJobHistory(cases, queues, caseId)) entries.push(...jobEntries(job));
  }
  // Stable: equal times keep audit order (seq) ahead of job events.
  return entries.map((entry, index) => ({ entry, index })).sort((a, b) => a.entry.at.localeCompare(b.entry.at) || a.index - b.index).map(({ entry }) => entry);
}
