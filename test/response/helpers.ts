// Shared set-up of the response tests: real Redis under a unique prefix, the real audit chain, the replay
// connector recording actions in a temp folder, and a scheduler that records what the service asked for.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { buildDataset, ReplayConnector } from '../../connectors/replay/index.js';
import type { PlanStep, TriageReport } from '../../playbooks/hive-dump/report.js';
import { RedisAuditLog } from '../../workers/audit/redis-log.js';
import { parseResponseConfig, type ResponseConfigInput } from '../../workers/response/config.js';
import { StepExecutor } from '../../workers/response/executor.js';
import type { Principal } from '../../workers/response/identity.js';
import type { ResponseScheduler } from '../../workers/response/scheduler.js';
import { ResponseService } from '../../workers/response/service.js';
import { StepStore } from '../../workers/response/store.js';

export const alice: Principal = { id: 'alice', role: 'responder', via: 'token' };
export const bob: Principal = { id: 'bob', role: 'responder', via: 'token' };
export const lena: Principal = { id: 'lena', role: 'lead', via: 'token' };
export const victor: Principal = { id: 'victor', role: 'viewer', via: 'token' };

export function plan(overrides: Partial<Record<string, Partial<PlanStep>>> = {}): PlanStep[] {
  const steps: PlanStep[] = [
    { action: 'preserve_evidence', target: 'host-1', reversible: false, inverse: null, requiresApproval: true, reason: 'keep the hive copies', params: { paths: ['C:\\Users\\Public\\sam'] } },
    { action: 'terminate_process', target: 'proc-entity-1', reversible: false, inverse: null, requiresApproval: true, reason: 'stop reg.exe', params: { hostId: 'host-1', pid: 4242 } },
    { action: 'isolate_host', target: 'host-1', reversible: true, inverse: 'release_host', requiresApproval: true, reason: 'hives staged for exfiltration' },
  ];
  return steps.map((step) => ({ ...step, ...(overrides[step.action] ?? {}) }));
}

export function report(caseId: string, extra: Partial<TriageReport> = {}): TriageReport {
  return {
    caseId,
    alertId: `alert-${caseId}`,
    ruleVersion: '111',
    verification: { verified: true, reason: 'EQL matched the original event' },
    hives: ['SAM', 'SYSTEM'],
    verb: 'save',
    outputPath: 'C:\\Users\\Public\\sam',
    destinations: ['public_profile'],
    hostId: 'host-1',
    hostRole: 'workstation',
    criticality: 'medium',
    factors: [{ id: 'public_profile_destination', weight: 25, evidence: [] }],
    score: 80,
    disposition: 'malicious',
    unresolved: [],
    plan: plan(),
    evidenceVersion: 1,
    generatedAt: '2026-11-25T12:00:00.000Z',
    ...extra,
  };
}

export class Clock {
  constructor(public ms = Date.parse('2026-11-25T12:00:00.000Z')) {}
  now = (): Date => new Date(this.ms);
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export interface Harness {
  redis: Redis;
  prefix: string;
  audit: RedisAuditLog;
  store: StepStore;
  service: ResponseService;
  executor: StepExecutor;
  connector: ReplayConnector;
  clock: Clock;
  asked: { execute: string[]; timeout: string[]; notify: string[] };
  close(): Promise<void>;
}

export async function harness(config: ResponseConfigInput = {}): Promise<Harness> {
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  const prefix = `hwtest:response:${randomBytes(4).toString('hex')}`;
  const stateDir = mkdtempSync(path.join(tmpdir(), 'hw-response-'));
  const clock = new Clock();
  const audit = new RedisAuditLog({ redis, prefix: `${prefix}:`, deployment: 'test', now: clock.now });
  const store = new StepStore(redis, prefix);
  const connector = new ReplayConnector(buildDataset([]), { stateDir, now: clock.now });
  const parsed = parseResponseConfig({ pollIntervalMs: 10, pollAttempts: 5, ...config });
  const asked = { execute: [] as string[], timeout: [] as string[], notify: [] as string[] };
  const scheduler: ResponseScheduler = {
    async execute(caseId, stepId, attempt) {
      asked.execute.push(`${caseId}/${stepId}/${attempt}`);
    },
    async timeout(caseId, stepId) {
      asked.timeout.push(`${caseId}/${stepId}`);
    },
    async notify(caseId, stepId) {
      asked.notify.push(`${caseId}/${stepId}`);
    },
  };
  const service = new ResponseService({ store, audit, config: parsed, declarations: async () => connector.actions, scheduler, now: clock.now });
  const executor = new StepExecutor({ store, audit, config: parsed, service, connector: async () => connector, now: clock.now, sleep: async () => undefined });
  return {
    redis,
    prefix,
    audit,
    store,
    service,
    executor,
    connector,
    clock,
    asked,
    async close() {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Finds a step of a case by its plan action. */
export async function stepOf(h: Harness, caseId: string, action: string) {
  const steps = await h.store.list(caseId);
  const step = steps.find((candidate) => candidate.action === action);
  if (!step) throw new Error(`no ${action} step in ${caseId}`);
  return step;
}
