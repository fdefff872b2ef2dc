// The BullMQ queues of the pipeline (intake → triage → response), their names, prefix and default job options.
// Job history is the working record a case is audited from, so finished jobs are kept by age (30 days default).
import { createHash } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { HivewatchConfig } from './config.js';

export const QUEUE_NAMES = {
  /** One job per received alert: links it to its case and starts triage. */
  alerts: 'alerts',
  /** One job per case: the hive-dump playbook (workers/triage/processor.ts). */
  triage: 'triage',
  /** Response steps awaiting approval and execution (workers/response/). */
  response: 'response',
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];
export const ALL_QUEUES: QueueName[] = Object.values(QUEUE_NAMES);

/** Job logs kept per job (job.log rows), enough for a playbook run's steps. */
export const KEEP_LOGS = 500;

/** Default options of every job hivewatch adds: retries with backoff, retention by age, bounded logs. */
export function defaultJobOptions(config: HivewatchConfig): JobsOptions {
  const age = config.queues.retentionDays * 24 * 3600;
  return {
    attempts: config.queues.attempts,
    backoff: { type: 'exponential', delay: config.queues.backoffMs, jitter: 0.2 },
    removeOnComplete: { age },
    removeOnFail: { age },
    keepLogs: KEEP_LOGS,
  };
}

/**
 * Makes a BullMQ job id from any string: ids must not contain ":" nor be all digits, so anything outside
 * [A-Za-z0-9_-] (or longer than 100 characters) is replaced by its sha256.
 */
export function safeJobId(kind: string, key: string): string {
  const body = /^[A-Za-z0-9_-]{1,100}$/.test(key) ? key : createHash('sha256').update(key).digest('hex');
  return `${kind}-${body}`;
}

/** The job id of an alert's intake job: stable, so a re-delivered alert cannot be queued twice. */
export function alertJobId(alertId: string): string {
  return safeJobId('alert', alertId);
}

/** The job id of a case's triage job. */
export function triageJobId(caseId: string): string {
  return safeJobId('triage', caseId);
}

/**
 * A queue on the configured prefix. Pass a producer connection (enableOfflineQueue: false) from the HTTP side
 * and a worker connection elsewhere; BullMQ reuses the given client.
 */
export function createQueue<Data = unknown>(name: QueueName, connection: Redis, config: HivewatchConfig): Queue<Data> {
  const queue = new Queue<Data>(name, {
    connection,
    prefix: config.redis.prefix,
    defaultJobOptions: defaultJobOptions(config),
  }) as Queue<Data>;
  // An unhandled 'error' event would crash the process; connection errors surface through the calls anyway.
  queue.on('error', () => undefined);
  return queue;
}

export interface Queues {
  alerts: Queue;
  triage: Queue;
  response: Queue;
  /** Every queue by name, for job-history lookups and metrics. */
  byName: Record<QueueName, Queue>;
  close(): Promise<void>;
}

export function createQueues(connection: Redis, config: HivewatchConfig): Queues {
  const alerts = createQueue(QUEUE_NAMES.alerts, connection, config);
  const triage = createQueue(QUEUE_NAMES.triage, connection, config);
  const response = createQueue(QUEUE_NAMES.response, connection, config);
  const byName = { alerts, triage, response } as Record<QueueName, Queue>;
  return {
    alerts,
    triage,
    response,
    byName,
    async close() {
      await Promise.all(Object.values(byName).map((queue) => queue.close()));
    },
  };
}
