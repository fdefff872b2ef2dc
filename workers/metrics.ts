// Prometheus metrics (prom-client) on a registry of our own, so tests can build several apps in one process.
// Queue depth is read from Redis at scrape time; latencies are observed where they happen.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queue } from 'bullmq';
import { connectorMetrics, type CallObserver } from '../connectors/http/metrics.js';

export interface Metrics {
  registry: Registry;
  /** Alerts answered by intake, by outcome: queued, duplicate, rejected. */
  alerts: Counter<'outcome'>;
  /** Jobs by queue and state, refreshed on every scrape. */
  queueDepth: Gauge<'queue' | 'state'>;
  /** Seconds from a job's creation to its completion or failure. */
  jobLatency: Histogram<'queue' | 'outcome'>;
  /** Seconds a worker spent processing a job. */
  jobDuration: Histogram<'queue' | 'outcome'>;
  httpLatency: Histogram<'method' | 'route' | 'status'>;
  /** Vendor API calls of the connectors built in this process (requests, latency, retries, breaker state). */
  connectors: CallObserver;
  /** Lets /metrics read depths from these queues. */
  watchQueues(queues: Queue[]): void;
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'waiting-children', 'prioritized'] as const;

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'hivewatch_' });
  let watched: Queue[] = [];
  const queueDepth = new Gauge({
    name: 'hivewatch_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      await Promise.all(
        watched.map(async (queue) => {
          try {
            const counts = await queue.getJobCounts(...JOB_STATES);
            for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          } catch {
            // Redis down: keep the last values; /readyz reports the outage.
          }
        }),
      );
    },
  });
  return {
    registry,
    alerts: new Counter({ name: 'hivewatch_alerts_total', help: 'Alerts answered by intake, by outcome', labelNames: ['outcome'] as const, registers: [registry] }),
    queueDepth,
    jobLatency: new Histogram({
      name: 'hivewatch_job_latency_seconds',
      help: 'Seconds from job creation to completion or failure',
      labelNames: ['queue', 'outcome'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'hivewatch_job_duration_seconds',
      help: 'Seconds a worker spent processing a job',
      labelNames: ['queue', 'outcome'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [registry],
    }),
    httpLatency: new Histogram({
      name: 'hivewatch_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    connectors: connectorMetrics(registry),
    watchQueues(queues) {
      watched = queues;
    },
  };
}
