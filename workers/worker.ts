// Starts the queue workers: `alerts` (intake -> case -> triage), `triage` (the playbook) and the stages other
// engineers add (response). Graceful shutdown: stop taking work, give active jobs the grace period, then hand
// the rest back (they become stalled and are re-run by the next worker), close connections.
import { hostname } from 'node:os';
import { Worker, type Job, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AuditSink } from './audit/types.js';
import { CaseStore } from './cases/store.js';
import type { HivewatchConfig } from './config.js';
import { startHeartbeat } from './heartbeat.js';
import type { AlertJobData } from './intake/job.js';
import { createIntakeProcessor } from './intake/processor.js';
import type { Metrics } from './metrics.js';
import { createQueues, QUEUE_NAMES, type Queues } from './queues.js';
import { createRedis, waitReady } from './redis.js';
import type { TriageJobData } from './triage/job.js';
import { createTriageProcessor, triageDepsFromConfig } from './triage/processor.js';
import { assetSourceWarning } from './triage/settings.js';
import { responseStage } from './response/stage.js';
import { auditLogFor } from './response/runtime.js';

/** What a stage's worker factory receives. */
export interface WorkerContext {
  config: HivewatchConfig;
  /** Worker connection (maxRetriesPerRequest: null); BullMQ duplicates it for blocking reads. */
  connection: Redis;
  queues: Queues;
  cases: CaseStore;
  logger?: Logger;
  metrics?: Metrics;
  audit?: AuditSink;
  /** Name of this worker process (host:pid), stored on the jobs it runs. */
  name: string;
}

/** Starts one stage's workers. Return them so shutdown closes them with the others. */
export type StageWorkerFactory = (context: WorkerContext) => Worker | Worker[] | Promise<Worker | Worker[]>;

/**
 * Stages started by every `hivewatch worker` besides alerts and triage.
 * Response engineer: add your factory here (e.g. `(ctx) => createResponseRuntime({...}).startWorker(ctx.connection)`),
 * or pass it as `startWorkers({ stages: [...] })`.
 */
export const DEFAULT_STAGES: StageWorkerFactory[] = [responseStage];

export interface StartWorkersOptions {
  config: HivewatchConfig;
  logger?: Logger;
  metrics?: Metrics;
  audit?: AuditSink;
  /** Reuse a worker connection (tests); otherwise one is opened from config.redis.url and closed on shutdown. */
  connection?: Redis;
  /** Override the triage processor (default: the playbook, workers/triage/processor.ts, built from `config`). */
  triageProcessor?: Processor<TriageJobData>;
  /** Extra stage workers; default DEFAULT_STAGES. */
  stages?: StageWorkerFactory[];
  /** Run only these of the built-in queues (default both). */
  only?: ('alerts' | 'triage')[];
  name?: string;
}

export interface RunningWorkers {
  workers: Worker[];
  context: WorkerContext;
  /** Stops taking work, waits up to the grace period for active jobs, hands the rest back, closes connections. */
  close(): Promise<void>;
}

function observe(worker: Worker, queue: string, metrics: Metrics | undefined, logger: Logger | undefined): void {
  worker.on('error', (err) => logger?.error({ queue, err: { message: err.message } }, 'worker error'));
  worker.on('failed', (job: Job | undefined, err: Error) => {
    logger?.warn({ queue, jobId: job?.id, attemptsMade: job?.attemptsMade, err: { message: err.message } }, 'job failed');
    if (job && metrics) record(metrics, queue, job, 'failed');
  });
  worker.on('completed', (job: Job) => {
    if (metrics) record(metrics, queue, job, 'completed');
  });
}

function record(metrics: Metrics, queue: string, job: Job, outcome: string): void {
  const finished = job.finishedOn ?? Date.now();
  metrics.jobLatency.observe({ queue, outcome }, Math.max(0, finished - job.timestamp) / 1000);
  if (job.processedOn) metrics.jobDuration.observe({ queue, outcome }, Math.max(0, finished - job.processedOn) / 1000);
}

/**
 * The playbook processor built from this process's config (so `--config` applies), on the first job, with the
 * process's metrics observer on its connector (vendor calls appear on /metrics); a failure
 * (bad connector config, EDR unreachable at start) is retried by the next job instead of being cached.
 */
function triageFromConfig(config: HivewatchConfig, connection: Redis, metrics: Metrics | undefined, logger: Logger | undefined): Processor<TriageJobData> {
  let built: Promise<Processor<TriageJobData>> | null = null;
  return async (job, token, signal) => {
    const pending = (built ??= triageDepsFromConfig(config, connection, process.env, { ...(metrics ? { metrics: metrics.connectors } : {}), ...(logger ? { logger } : {}) }).then((deps) => createTriageProcessor(deps) as Processor<TriageJobData>));
    pending.catch(() => {
      if (built === pending) built = null;
    });
    return (await pending)(job, token, signal);
  };
}

function connectorKindOf(config: HivewatchConfig): string | undefined {
  const kind = (config.connector as { kind?: unknown } | undefined)?.kind;
  return typeof kind === 'string' ? kind : undefined;
}

export async function startWorkers(options: StartWorkersOptions): Promise<RunningWorkers> {
  const { config, logger, metrics } = options;
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const ownConnection = !options.connection;
  const connection = options.connection ?? createRedis(config.redis, 'worker', `hivewatch-worker-${name}`);
  await waitReady(connection);
  // Every stage writes to the deployment's hash-chained audit log unless the caller brings its own sink.
  const audit = options.audit ?? auditLogFor(config, connection);
  const queues = createQueues(connection, config);
  const cases = new CaseStore(connection, { prefix: config.redis.prefix, ...config.cases });
  const context: WorkerContext = { config, connection, queues, cases, logger, metrics, audit, name };
  const only = new Set(options.only ?? ['alerts', 'triage']);
  const common = { connection, prefix: config.redis.prefix, name, removeOnComplete: { age: config.queues.retentionDays * 86400 }, removeOnFail: { age: config.queues.retentionDays * 86400 } };

  const workers: Worker[] = [];
  if (only.has('alerts')) {
    const intake = createIntakeProcessor({ cases, triageQueue: queues.triage, audit });
    const worker = new Worker<AlertJobData>(QUEUE_NAMES.alerts, intake, { ...common, concurrency: config.queues.alertsConcurrency });
    observe(worker, QUEUE_NAMES.alerts, metrics, logger);
    workers.push(worker);
  }
  if (only.has('triage')) {
    const warning = options.triageProcessor ? null : assetSourceWarning(config.triage, connectorKindOf(config));
    if (warning) logger?.warn(warning);
    const worker = new Worker<TriageJobData>(QUEUE_NAMES.triage, options.triageProcessor ?? triageFromConfig(config, connection, metrics, logger), { ...common, concurrency: config.queues.triageConcurrency });
    observe(worker, QUEUE_NAMES.triage, metrics, logger);
    workers.push(worker);
  }
  for (const stage of options.stages ?? DEFAULT_STAGES) {
    const started = await stage(context);
    for (const worker of Array.isArray(started) ? started : [started]) {
      observe(worker, worker.name, metrics, logger);
      workers.push(worker);
    }
  }
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  const heartbeat = startHeartbeat(connection, config.redis.prefix, name, config.workers.heartbeatSeconds);
  logger?.info({ queues: workers.map((worker) => worker.name), worker: name }, 'workers started');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      logger?.info({ graceSeconds: config.queues.shutdownGraceSeconds }, 'workers stopping: no new jobs, finishing active ones');
      await heartbeat.stop();
      // pause() stops fetching at once and resolves when the active jobs are done; close() is then quick.
      const graceful = Promise.all(workers.map((worker) => worker.pause()));
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), config.queues.shutdownGraceSeconds * 1000);
      });
      const outcome = await Promise.race([graceful.then(() => 'done' as const), expired]);
      clearTimeout(timer);
      if (outcome === 'expired') {
        // Hand back: abort cooperative processors, stop renewing locks; the stalled-job check of the next
        // worker re-queues what was still running.
        logger?.warn('grace period over: handing active jobs back to the queue');
        for (const worker of workers) worker.cancelAllJobs('worker shutting down');
      }
      await Promise.all(workers.map((worker) => worker.close(outcome === 'expired')));
      await queues.close();
      if (ownConnection) await connection.quit().catch(() => undefined);
      logger?.info('workers stopped');
    })());
  return { workers, context, close };
}
