// Builds the response stage from the loaded configuration: the audit chain, the step store, the service
// (decisions), the executor (connector calls), the BullMQ scheduler and the queue processor.
import { Worker, type Queue, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Connector } from '../../connectors/types.js';
import { RedisAuditLog } from '../audit/redis-log.js';
import type { CaseStore } from '../cases/store.js';
import type { HivewatchConfig } from '../config.js';
import { QUEUE_NAMES } from '../queues.js';
import { caseStatusUpdater } from './case-status.js';
import { parseResponseConfig, type ResponseConfig } from './config.js';
import { transitionObserver } from './metrics.js';
import { StepExecutor } from './executor.js';
import { BullResponseScheduler, createResponseProcessor } from './queue.js';
import type { ResponseScheduler } from './scheduler.js';
import { ResponseService, type ResponseServiceOptions } from './service.js';
import { StepStore } from './store.js';

export interface ResponseRuntimeDeps {
  config: HivewatchConfig;
  redis: Redis;
  /** The connector that executes actions (built once, reused). */
  connector: () => Promise<Connector>;
  /** The `response` queue; without it steps are decided but nothing is queued (read-only tools). */
  queue?: Queue;
  cases?: CaseStore;
  audit?: RedisAuditLog;
  onMoreEvidence?: ResponseServiceOptions['onMoreEvidence'];
  /** Prometheus registry for the stage's metrics (workers/metrics.ts). */
  metrics?: Registry;
  executeAttempts?: number;
  executeBackoffMs?: number;
  now?: () => Date;
}

export interface ResponseRuntime {
  config: ResponseConfig;
  audit: RedisAuditLog;
  store: StepStore;
  service: ResponseService;
  executor: StepExecutor;
  scheduler: ResponseScheduler | undefined;
  processor: ReturnType<typeof createResponseProcessor>;
  /** Starts a worker on the `response` queue (needs a worker connection: maxRetriesPerRequest null). */
  startWorker(connection: Redis, options?: Partial<WorkerOptions>): Worker;
}

/** The audit chain of a deployment: one stream under the configured key prefix. */
export function auditLogFor(config: HivewatchConfig, redis: Redis, now?: () => Date): RedisAuditLog {
  return new RedisAuditLog({ redis, prefix: `${config.redis.prefix}:`, deployment: 'main', now });
}

export function createResponseRuntime(deps: ResponseRuntimeDeps): ResponseRuntime {
  const config = parseResponseConfig(deps.config.response ?? {});
  const audit = deps.audit ?? auditLogFor(deps.config, deps.redis, deps.now);
  const store = new StepStore(deps.redis, deps.config.redis.prefix, deps.cases ? caseStatusUpdater(deps.cases) : undefined, deps.metrics ? transitionObserver(deps.metrics) : undefined);
  const scheduler = deps.queue
    ? new BullResponseScheduler(deps.queue, {
        cases: deps.cases,
        config,
        executeAttempts: deps.executeAttempts,
        executeBackoffMs: deps.executeBackoffMs,
        now: deps.now ? () => deps.now!().getTime() : undefined,
      })
    : undefined;
  const service = new ResponseService({
    store,
    audit,
    config,
    declarations: async () => (await deps.connector()).actions,
    scheduler,
    onMoreEvidence: deps.onMoreEvidence,
    now: deps.now,
  });
  const executor = new StepExecutor({ store, audit, config, service, connector: deps.connector, now: deps.now });
  const processor = createResponseProcessor({ service, executor, store, audit, config });
  return {
    config,
    audit,
    store,
    service,
    executor,
    scheduler,
    processor,
    startWorker(connection, options = {}) {
      const worker = new Worker(QUEUE_NAMES.response, processor, { connection, prefix: deps.config.redis.prefix, concurrency: 4, ...options });
      worker.on('error', () => undefined);
      return worker;
    },
  };
}

/** Memoizes a connector factory so every caller shares one instance. */
export function once<T>(factory: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => (value ??= factory());
}
