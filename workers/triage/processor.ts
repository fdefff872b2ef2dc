// The `triage` queue processor: runs the hive-dump playbook for a case's first alert, writes what it asked and
// decided to the audit trail, stores the report with the case (GET /v1/cases/:id returns it) and hands the
// plan to the response stage. A retried job whose report is already stored does not triage again: it only
// re-proposes the stored plan (the response stage's proposal is idempotent).
//
// Settings: `config.connector` and `config.triage` (workers/triage/settings.ts: rule version, workflows file,
// asset inventory file or CMDB URL; env overrides HIVEWATCH_RULE_VERSION, HIVEWATCH_WORKFLOWS_FILE,
// HIVEWATCH_ASSETS_FILE, HIVEWATCH_ASSETS_URL).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Job, Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { parseConnectorConfig } from '../../connectors/config.js';
import type { CallObserver } from '../../connectors/http/metrics.js';
import { createConnector } from '../../connectors/registry.js';
import type { AssetInventory, Connector } from '../../connectors/types.js';
import { runHiveDumpPlaybook, type PlaybookOptions, type QueryRecord } from '../../playbooks/hive-dump/playbook.js';
import type { TriageReport } from '../../playbooks/hive-dump/report.js';
import { loadHiveDumpRule } from '../../playbooks/hive-dump/rule.js';
import type { RuleMatcher } from '../../playbooks/hive-dump/verify.js';
import { loadWorkflows, type Workflow } from '../../playbooks/hive-dump/workflows.js';
import type { AuditSink } from '../audit/types.js';
import { CaseStore } from '../cases/store.js';
import { ConfigError, loadConfig, type HivewatchConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import { createRedis, waitReady } from '../redis.js';
import { proposePlan } from '../response/propose.js';
import { auditLogFor } from '../response/runtime.js';
import type { TriageJobData } from './job.js';
import { assetInventoryFor } from './settings.js';

export interface TriageDeps {
  connector: Connector;
  assets: AssetInventory;
  rule: RuleMatcher;
  workflows: Workflow[];
  cases: Pick<CaseStore, 'saveReport' | 'getReport'>;
  audit?: AuditSink;
  /** The response hand-off; default workers/response/propose.ts. */
  propose?: (caseId: string, report: TriageReport) => Promise<void>;
  playbook?: PlaybookOptions;
}

export interface TriageJobResult {
  caseId: string;
  disposition: TriageReport['disposition'];
  score: number;
  /** True when a stored report was reused (a retried job). */
  reused: boolean;
}

const ACTOR = { id: 'hivewatch-triage', role: 'system' };

/** The audit entries of one triage: what was asked (ids, counts, digests; never event bodies), decided and proposed. */
export function auditEntriesOf(caseId: string, report: TriageReport) {
  const queries = (report.queries as QueryRecord[] | undefined) ?? [];
  return [
    { type: 'triage.verification', caseId, actor: ACTOR, data: { alertId: report.alertId, ruleVersion: report.ruleVersion, verified: report.verification.verified, reason: report.verification.reason, drift: report.verification.drift ?? null } },
    ...queries.map((q) => ({ type: 'triage.query', caseId, actor: ACTOR, data: { alertId: report.alertId, name: q.name, query: q.query, coverage: q.coverage, events: q.events, window: q.window, digest: q.digest } })),
    {
      type: 'triage.score',
      caseId,
      actor: ACTOR,
      data: { alertId: report.alertId, score: report.score, disposition: report.disposition, reason: report.dispositionReason ?? null, factors: report.factors.map((f) => ({ id: f.id, weight: f.weight, events: f.evidence.reduce((n, e) => n + e.eventIds.length, 0) })), unresolved: report.unresolved.length },
    },
    { type: 'triage.plan', caseId, actor: ACTOR, data: { alertId: report.alertId, evidenceVersion: report.evidenceVersion, steps: report.plan.map((s) => ({ action: s.action, target: s.target, reversible: s.reversible, requiresApproval: s.requiresApproval })) } },
  ];
}

/** Whether a stored report already answers this job: a plain retry, or a retry of the same evidence request. */
function answers(stored: TriageReport | null, data: TriageJobData): boolean {
  if (!stored || stored.alertId !== data.alert.id) return false;
  if (!data.evidenceRequest) return true;
  const served = (stored.evidenceRequest as TriageJobData['evidenceRequest'] | undefined)?.evidenceVersion;
  // A newer request already ran too: an older one retried late must not overwrite it.
  return served !== undefined && served >= data.evidenceRequest.evidenceVersion;
}

export function createTriageProcessor(deps: TriageDeps): Processor<TriageJobData, TriageJobResult> {
  const propose = deps.propose ?? ((caseId: string, report: TriageReport) => proposePlan(caseId, report));
  return async function processTriage(job: Job<TriageJobData>): Promise<TriageJobResult> {
    const { caseId, alert, evidenceRequest } = job.data;
    const stored = await deps.cases.getReport(caseId);
    if (stored && answers(stored, job.data)) {
      await job.log?.(`report already stored (${stored.disposition}); re-proposing its plan only`);
      await propose(caseId, stored);
      return { caseId, disposition: stored.disposition, score: stored.score, reused: true };
    }
    const report = await runHiveDumpPlaybook(alert, {
      connector: deps.connector,
      assets: deps.assets,
      rule: deps.rule,
      workflows: deps.workflows,
      ...(deps.playbook ? { options: deps.playbook } : {}),
    });
    report.caseId = caseId;
    for (const step of report.plan) if (step.action === 'preserve_evidence' && step.target === report.alertId) step.target = caseId;
    if (evidenceRequest) {
      // A responder asked for more evidence: the fresh investigation carries the version the response stage
      // bumped to, so approvals given on the older evidence stay void and new ones bind to this report.
      report.evidenceContentVersion = report.evidenceVersion;
      report.evidenceVersion = evidenceRequest.evidenceVersion;
      report.evidenceRequest = evidenceRequest;
      if (stored) report.previousEvidenceVersion = stored.evidenceVersion;
      await deps.audit?.append({
        type: 'triage.evidence_rerun',
        caseId,
        actor: ACTOR,
        data: { alertId: report.alertId, stepId: evidenceRequest.stepId, question: evidenceRequest.question, evidenceVersion: evidenceRequest.evidenceVersion, previousEvidenceVersion: stored?.evidenceVersion ?? null },
      });
    }
    for (const entry of auditEntriesOf(caseId, report)) await deps.audit?.append(entry);
    await deps.cases.saveReport(caseId, report);
    await job.log?.(`triaged${evidenceRequest ? ` again for more evidence (v${evidenceRequest.evidenceVersion})` : ''}: ${report.disposition} (score ${report.score}), ${report.plan.length} step(s) proposed`);
    await propose(caseId, report);
    return { caseId, disposition: report.disposition, score: report.score, reused: false };
  };
}

/**
 * The processor for a worker process that already holds its config, Redis connection and case store
 * (workers/worker.ts's WorkerContext): `triageProcessor: triageProcessorFor(context)`. Dependencies are built
 * on the first job, so a worker starts even while the EDR is unreachable.
 */
export function triageProcessorFor(context: { config: HivewatchConfig; connection: Redis; cases?: CaseStore; audit?: AuditSink; metrics?: Metrics; logger?: Logger }): Processor<TriageJobData, TriageJobResult> {
  let ready: Promise<Processor<TriageJobData, TriageJobResult>> | null = null;
  return async (job) => {
    ready ??= triageDepsFromConfig(context.config, context.connection, process.env, { ...(context.metrics ? { metrics: context.metrics.connectors } : {}), ...(context.logger ? { logger: context.logger } : {}) }).then((deps) =>
      createTriageProcessor({ ...deps, ...(context.cases ? { cases: context.cases } : {}), ...(context.audit ? { audit: context.audit } : {}) }),
    );
    ready.catch(() => {
      ready = null; // retried by the next job, not cached
    });
    return (await ready)(job);
  };
}

/** What the worker process adds to the config when it builds the triage dependencies. */
export interface TriageBuildOptions {
  /** Vendor-call metrics of the connector (workers/metrics.ts `metrics.connectors`), shown on /metrics. */
  metrics?: CallObserver;
  logger?: Logger;
}

/** The recognised-workflows file: `triage.workflowsFile`, else the replay dataset's workflows.json, else none. */
export function workflowsFileFor(config: HivewatchConfig): string | undefined {
  const settings = config.triage;
  if (settings.workflowsFile && !existsSync(settings.workflowsFile)) {
    throw new ConfigError('triage.workflowsFile (HIVEWATCH_WORKFLOWS_FILE)', `${settings.workflowsFile} does not exist; fix the path or remove the setting`);
  }
  const connector = config.connector as { kind?: string; datasetDir?: string } | undefined;
  const datasetDir = connector?.kind === 'replay' ? connector.datasetDir : undefined;
  return settings.workflowsFile ?? (datasetDir ? join(datasetDir, 'workflows.json') : undefined);
}

/**
 * Builds the processor's dependencies from the config: the connector through the registry, the asset inventory,
 * rule and workflows from `config.triage` (whose env overrides the config loader already applied); `_env` only
 * supplies the CMDB token variable (HIVEWATCH_ASSETS_TOKEN or the one `triage.assets.token.env` names).
 */
export async function triageDepsFromConfig(config: HivewatchConfig, redis: Redis, _env: NodeJS.ProcessEnv = process.env, extra: TriageBuildOptions = {}): Promise<TriageDeps> {
  if (config.connector === undefined) {
    throw Object.assign(new Error('HW_ERR_CONNECTOR_UNSET: no connector configured; set connector.kind (replay, elastic, crowdstrike, defender, sentinelone) in the config file'), { code: 'HW_ERR_CONNECTOR_UNSET' });
  }
  const connectorConfig = parseConnectorConfig(config.connector);
  const connector = await createConnector(connectorConfig, { redis, redisPrefix: config.redis.prefix, ...(extra.metrics ? { metrics: extra.metrics } : {}), ...(extra.logger ? { logger: extra.logger } : {}) });
  const settings = config.triage;
  const assets: AssetInventory = assetInventoryFor(settings, connector, _env) ?? { getAsset: async () => null };
  const workflowsFile = workflowsFileFor(config);
  const workflows = workflowsFile ? await loadWorkflows(workflowsFile) : [];
  const rule = loadHiveDumpRule(String(settings.ruleVersion));
  const cases = new CaseStore(redis, { prefix: config.redis.prefix, ...config.cases });
  const audit = auditLogFor(config, redis);
  return { connector, assets, rule, workflows, cases, audit };
}

let fromConfig: Promise<Processor<TriageJobData, TriageJobResult>> | null = null;

/**
 * The default processor `hivewatch worker` runs when it passes no context: builds its dependencies from the
 * config that `loadConfig()` finds (HIVEWATCH_CONFIG and the environment) on the first job.
 */
export async function processTriage(job: Job<TriageJobData>): Promise<TriageJobResult> {
  fromConfig ??= (async () => {
    const config = loadConfig();
    const redis = createRedis(config.redis, 'producer', 'hivewatch-triage');
    await waitReady(redis);
    return createTriageProcessor(await triageDepsFromConfig(config, redis));
  })();
  fromConfig.catch(() => {
    fromConfig = null; // a bad config or an unreachable Redis is retried by the next job, not cached
  });
  return (await fromConfig)(job);
}
