// The `response` BullMQ queue: execute approved steps, apply step timeouts at their deadline, and send
// approval notifications with retries. Job ids are derived from the case, step and attempt (or deadline,
// or hash), so asking twice queues once. Job data holds ids only, never secrets.
import type { Job, Queue } from 'bullmq';
import type { AuditSink } from '../audit/types.js';
import type { CaseStore } from '../cases/store.js';
import { QUEUE_NAMES, safeJobId } from '../queues.js';
import { canonicalHash } from '../audit/canonical.js';
import type { ResponseConfig } from './config.js';
import { WORKER_ACTOR, type StepExecutor } from './executor.js';
import { notificationBody, postNotification } from './notify.js';
import type { ResponseScheduler } from './scheduler.js';
import type { ResponseService } from './service.js';
import type { StepStore } from './store.js';

export const RESPONSE_JOBS = { execute: 'execute-step', timeout: 'step-timeout', notify: 'notify-approval' } as const;

export interface StepJobData {
  caseId: string;
  stepId: string;
  attempt?: number;
  deadline?: string;
  hash?: string;
  reason?: string;
}

export interface BullSchedulerOptions {
  cases?: CaseStore;
  config: ResponseConfig;
  /** Retries of an execute job (vendor errors, action still pending). */
  executeAttempts?: number;
  executeBackoffMs?: number;
  now?: () => number;
}

export class BullResponseScheduler implements ResponseScheduler {
  constructor(
    private readonly queue: Queue,
    private readonly options: BullSchedulerOptions,
  ) {}

  private async link(caseId: string, jobId: string): Promise<void> {
    await this.options.cases?.addJob(caseId, QUEUE_NAMES.response, jobId);
  }

  async execute(caseId: string, stepId: string, attempt: number): Promise<void> {
    const jobId = safeJobId('exec', `${caseId}-${stepId}-a${attempt}`);
    await this.queue.add(RESPONSE_JOBS.execute, { caseId, stepId, attempt }, {
      jobId,
      attempts: this.options.executeAttempts ?? 10,
      backoff: { type: 'exponential', delay: this.options.executeBackoffMs ?? 2_000, jitter: 0.2 },
    });
    await this.link(caseId, jobId);
  }

  async timeout(caseId: string, stepId: string, deadline: Date): Promise<void> {
    const jobId = safeJobId('timeout', `${caseId}-${stepId}-${deadline.getTime()}`);
    const delay = Math.max(0, deadline.getTime() - (this.options.now ?? Date.now)());
    await this.queue.add(RESPONSE_JOBS.timeout, { caseId, stepId, deadline: deadline.toISOString() }, { jobId, delay, attempts: 5 });
    await this.link(caseId, jobId);
  }

  async notify(caseId: string, stepId: string, hash: string, reason: string): Promise<void> {
    const notify = this.options.config.notify;
    if (!notify) return;
    const jobId = safeJobId('notify', `${caseId}-${stepId}-${canonicalHash({ hash, reason }).slice(0, 24)}`);
    await this.queue.add(RESPONSE_JOBS.notify, { caseId, stepId, hash, reason }, {
      jobId,
      attempts: notify.attempts,
      backoff: { type: 'exponential', delay: notify.backoffMs, jitter: 0.2 },
    });
    await this.link(caseId, jobId);
  }
}

export interface ProcessorDeps {
  service: ResponseService;
  executor: StepExecutor;
  store: StepStore;
  audit: AuditSink;
  config: ResponseConfig;
}

type Handler = (job: Job<StepJobData>, deps: ProcessorDeps) => Promise<unknown>;

const handlers: Record<string, Handler> = {
  async [RESPONSE_JOBS.execute](job, { executor, store }) {
    const { caseId, stepId, attempt = 1 } = job.data;
    try {
      const outcome = await executor.run(caseId, stepId, attempt);
      await job.log(`${stepId}: ${outcome.state} (${outcome.note})`);
      return outcome;
    } catch (err) {
      const message = (err as Error).message;
      await job.log(`${stepId}: attempt ${job.attemptsMade + 1} failed: ${message}`);
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const step = await store.get(caseId, stepId);
      if (last && step?.state === 'running') {
        return executor.finish(step, 'failed', step.actionId, `gave up after ${job.attemptsMade + 1} attempts: ${message}`);
      }
      throw err;
    }
  },
  async [RESPONSE_JOBS.timeout](job, { service }) {
    const step = await service.applyTimeout(job.data.caseId, job.data.stepId);
    await job.log(`${step.stepId}: ${step.state}${step.escalated ? ' (escalated)' : ''}`);
    return { stepId: step.stepId, state: step.state, escalated: step.escalated, timedOutAt: step.timedOutAt };
  },
  async [RESPONSE_JOBS.notify](job, { store, audit, config }) {
    const notify = config.notify;
    const step = await store.get(job.data.caseId, job.data.stepId);
    if (!notify || !step) return { sent: false, why: 'no notify config or no step' };
    if (step.state !== 'proposed' || step.hash !== job.data.hash) return { sent: false, why: `step is ${step.state} now` };
    const attempt = job.attemptsMade + 1;
    try {
      const status = await postNotification(notify, notificationBody(step, job.data.reason ?? 'waiting for approval', notify.consoleUrl));
      await audit.append({ type: 'notify.sent', caseId: step.caseId, actor: WORKER_ACTOR, data: { stepId: step.stepId, hash: step.hash, status, attempt, url: new URL(notify.url).origin } });
      return { sent: true, status, attempt };
    } catch (err) {
      await audit.append({ type: 'notify.failed', caseId: step.caseId, actor: WORKER_ACTOR, data: { stepId: step.stepId, attempt, error: (err as Error).message } });
      throw err;
    }
  },
};

/** The processor of the `response` queue. */
export function createResponseProcessor(deps: ProcessorDeps): (job: Job<StepJobData>) => Promise<unknown> {
  return async (job) => {
    const handler = handlers[job.name];
    if (!handler) throw new Error(`HW_ERR_RESPONSE_JOB: unknown job name ${job.name}; expected one of ${Object.values(RESPONSE_JOBS).join(', ')}`);
    return handler(job, deps);
  };
}
