// A case's job history across queues: state, attempts, timings, failures and logs of every job linked to it.
// Jobs past the queue retention are reported as `removed` (the case record still lists them).
import type { Queue } from 'bullmq';
import type { CaseJobRef, CaseStore } from './store.js';

export interface JobHistoryEntry {
  queue: string;
  jobId: string;
  name: string | null;
  state: string;
  attemptsMade: number;
  attemptsStarted: number;
  /** Epoch milliseconds. */
  createdAt: number | null;
  processedAt: number | null;
  finishedAt: number | null;
  failedReason: string | null;
  /** Stack traces of failed attempts, newest last (first line only: the message). */
  failures: string[];
  logs: string[];
  returnValue: unknown;
}

const MAX_LOG_ROWS = 200;

async function entryOf(ref: CaseJobRef, queues: Record<string, Queue>): Promise<JobHistoryEntry> {
  const removed: JobHistoryEntry = {
    queue: ref.queue,
    jobId: ref.jobId,
    name: null,
    state: 'removed',
    attemptsMade: 0,
    attemptsStarted: 0,
    createdAt: ref.addedAt,
    processedAt: null,
    finishedAt: null,
    failedReason: null,
    failures: [],
    logs: [],
    returnValue: null,
  };
  const queue = queues[ref.queue];
  if (!queue) return { ...removed, state: 'unknown-queue' };
  const job = await queue.getJob(ref.jobId);
  if (!job) return removed;
  const [state, logs] = await Promise.all([job.getState(), queue.getJobLogs(ref.jobId, 0, MAX_LOG_ROWS - 1, true)]);
  return {
    queue: ref.queue,
    jobId: ref.jobId,
    name: job.name,
    state: String(state),
    attemptsMade: job.attemptsMade,
    attemptsStarted: job.attemptsStarted ?? job.attemptsMade,
    createdAt: job.timestamp ?? null,
    processedAt: job.processedOn ?? null,
    finishedAt: job.finishedOn ?? null,
    failedReason: job.failedReason ?? null,
    failures: (job.stacktrace ?? []).map((trace) => trace.split('\n')[0] ?? trace),
    logs: logs.logs,
    returnValue: job.returnvalue ?? null,
  };
}

export async function caseJobHistory(cases: CaseStore, queues: Record<string, Queue>, caseId: string): Promise<JobHistoryEntry[]> {
  const refs = await cases.jobs(caseId);
  const entries = await Promise.all(refs.map((ref) => entryOf(ref, queues)));
  // Job creation times come from one clock (BullMQ's); stable sort keeps link order on ties.
  return entries.sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
}
