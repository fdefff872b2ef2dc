// `npm run demo`: the main job on embedded defaults. It starts the API and the workers in one process on the
// replay connector over the bundled datasets in data/, posts each dataset's alert to the webhook as a SIEM
// would, waits for triage, prints each case, then walks one containment step through four-eyes approval to
// done and verifies the audit chain. Everything lives under a fresh Redis prefix that is removed at the end.
// Without a reachable Redis it falls back to triage in process, which needs no service.
import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig, type HivewatchConfig } from './config.js';
import { createLogger } from './logger.js';
import { deleteKeys } from './redis.js';
import { serve } from './commands/serve.js';
import { auditLogFor } from './response/runtime.js';
import { verifyAuditLog } from './audit/verify.js';
import { openDataset } from '../playbooks/hive-dump/dataset.js';
import { renderMarkdown } from '../playbooks/hive-dump/markdown.js';
import type { TriageReport } from '../playbooks/hive-dump/report.js';

export interface DemoOptions {
  dataRoot: string;
  redisUrl: string;
  out: (line: string) => void;
  /** Give up waiting for a case after this long. */
  timeoutMs: number;
}

interface DemoStep {
  stepId: string;
  state: string;
  action: string;
  target: string;
  hash: string;
  approvalsRequired: number;
  connectorAction?: string | null;
}

/** The bundled datasets: folders of data/ that hold an alert.json. */
export async function bundledDatasets(dataRoot: string): Promise<string[]> {
  const names = (await readdir(dataRoot, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  return names.filter((name) => existsSync(join(dataRoot, name, 'alert.json'))).sort().map((name) => join(dataRoot, name));
}

/** One replay dataset holding every bundled one, as a deployment's single EDR would. */
async function mergeDatasets(dirs: string[], into: string): Promise<void> {
  const events: string[] = [];
  const assets = new Map<string, unknown>();
  const workflows: unknown[] = [];
  for (const dir of dirs) {
    events.push((await readFile(join(dir, 'events.ndjson'), 'utf8')).trimEnd());
    for (const asset of JSON.parse(await readFile(join(dir, 'assets.json'), 'utf8')) as { 'host.id': string }[]) assets.set(asset['host.id'], asset);
    if (existsSync(join(dir, 'workflows.json'))) workflows.push(...(JSON.parse(await readFile(join(dir, 'workflows.json'), 'utf8')) as unknown[]));
  }
  await writeFile(join(into, 'events.ndjson'), `${events.join('\n')}\n`);
  await writeFile(join(into, 'assets.json'), JSON.stringify([...assets.values()], null, 2));
  await writeFile(join(into, 'workflows.json'), JSON.stringify(workflows, null, 2));
}

async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 1500, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

const token = () => randomBytes(24).toString('base64url');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function summary(name: string, caseId: string, report: TriageReport, steps: DemoStep[]): string[] {
  const lines = [
    `── ${name}  case ${caseId}`,
    `   verified ${report.verification.verified} (${report.verification.reason})`,
    `   hives ${report.hives.join('+') || '-'}  destination ${report.destinations.join(', ') || '-'}  host role ${report.hostRole ?? 'unknown'}`,
    `   score ${report.score}  disposition ${report.disposition.toUpperCase()}`,
    `   factors: ${[...report.factors].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)).slice(0, 5).map((f) => `${f.id} (${f.weight > 0 ? '+' : ''}${f.weight})`).join(', ')}`,
  ];
  if (report.unresolved.length) lines.push(`   unresolved: ${report.unresolved.join('; ')}`);
  lines.push('   proposed steps (each waits for a responder):');
  for (const step of steps) lines.push(`     ${step.stepId} ${step.action} → ${step.target} [${step.state}, ${step.approvalsRequired} approver(s)${step.connectorAction ? `, ${step.connectorAction}` : ', manual'}]`);
  return lines;
}

/** The Redis-free fallback: every bundled dataset triaged in process. */
async function offlineDemo(dirs: string[], out: (line: string) => void): Promise<void> {
  out('Redis is not answering, so this demo triages the bundled datasets in process (no queue, no approvals).');
  out('Start Redis on 127.0.0.1:6379 (or set REDIS_URL) to see the full pipeline.\n');
  const state = await mkdtemp(join(tmpdir(), 'hivewatch-demo-'));
  try {
    for (const dir of dirs) {
      const dataset = await openDataset(dir, { stateDir: state });
      out(renderMarkdown(await dataset.triage(JSON.parse(await readFile(join(dir, 'alert.json'), 'utf8')))));
      out('---\n');
    }
  } finally {
    await rm(state, { recursive: true, force: true });
  }
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const { out } = options;
  const dirs = await bundledDatasets(options.dataRoot);
  if (dirs.length === 0) throw new Error(`no datasets with an alert.json under ${options.dataRoot}`);
  if (!(await redisAnswers(options.redisUrl))) return offlineDemo(dirs, out);

  const work = await mkdtemp(join(tmpdir(), 'hivewatch-demo-'));
  const prefix = `hwdemo:${Date.now()}-${process.pid}`;
  const webhookToken = token();
  const responders = { alice: token(), bob: token() };
  await mergeDatasets(dirs, work);
  const config: HivewatchConfig = loadConfig({ REDIS_URL: options.redisUrl }, undefined, {
    redis: { prefix },
    http: { host: '127.0.0.1', port: 0 },
    auth: { bearerTokens: [webhookToken] },
    log: { level: 'warn' },
    connector: { kind: 'replay', datasetDir: work, stateDir: join(work, 'state') },
    response: {
      identities: [
        { id: 'alice', role: 'responder', tokenSha256: sha256(responders.alice) },
        { id: 'bob', role: 'lead', tokenSha256: sha256(responders.bob) },
      ],
      pollIntervalMs: 100,
    },
  } as never);
  const running = await serve({ config, withWorkers: true, logger: createLogger({ level: 'warn' }) });
  const call = async (path: string, init: { method?: string; body?: unknown; bearer: string }) => {
    const response = await fetch(`${running.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.bearer}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status >= 400) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
  const waitFor = async <T>(what: string, probe: () => Promise<T | null>): Promise<T> => {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const value = await probe().catch(() => null);
      if (value !== null) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  };

  try {
    out(`hivewatch demo: API and workers on ${running.url}, replay connector over ${dirs.length} bundled datasets, Redis prefix ${prefix}\n`);
    const cases: { name: string; caseId: string; report: TriageReport; steps: DemoStep[] }[] = [];
    for (const dir of dirs) {
      const name = dir.split('/').pop()!;
      const alert = JSON.parse(await readFile(join(dir, 'alert.json'), 'utf8'));
      const posted = await call('/v1/alerts/elastic', { method: 'POST', body: alert, bearer: webhookToken });
      const result = (posted.results as { status: string; caseId?: string; reason?: string }[])[0]!;
      out(`POST /v1/alerts/elastic (${name}) → ${result.status}${result.caseId ? ` case ${result.caseId}` : ''}${result.reason ? `: ${result.reason}` : ''}`);
      if (!result.caseId) continue;
      const caseId = result.caseId;
      const report = await waitFor(`the triage of ${name}`, async () => ((await call(`/v1/cases/${caseId}`, { bearer: webhookToken })).report as TriageReport | undefined) ?? null);
      // The steps route answers once the response stage has taken the plan (a benign case may have none).
      const steps = await waitFor(`the steps of ${name}`, async () => (await call(`/v1/cases/${caseId}/steps`, { bearer: responders.alice })).steps as DemoStep[]);
      cases.push({ name, caseId, report, steps });
    }
    out('');
    for (const item of cases) out(`${summary(item.name, item.caseId, item.report, item.steps).join('\n')}\n`);

    // One high-impact step end to end: alice approves, bob (a different person) gives the second approval.
    const target = cases.flatMap((item) => item.steps.filter((step) => step.action === 'isolate_host').map((step) => ({ item, step })))[0];
    if (target) {
      const { item, step } = target;
      out(`Approving ${step.stepId} (${step.action} ${step.target}) of case ${item.caseId}: high impact, so two people must approve.`);
      await call(`/v1/cases/${item.caseId}/steps/${step.stepId}/approve`, { method: 'POST', body: { hash: step.hash }, bearer: responders.alice });
      out('  alice (responder) approved; waiting for a second approver');
      await call(`/v1/cases/${item.caseId}/steps/${step.stepId}/approve`, { method: 'POST', body: { hash: step.hash }, bearer: responders.bob });
      out('  bob (lead) approved; the response worker runs it through the replay connector');
      const done = await waitFor('the isolation to finish', async () => {
        const listed = (await call(`/v1/cases/${item.caseId}/steps`, { bearer: responders.alice })).steps as DemoStep[];
        const now = listed.find((candidate) => candidate.stepId === step.stepId);
        return now && ['done', 'failed'].includes(now.state) ? now : null;
      });
      out(`  ${step.stepId} is ${done.state}; the replay connector recorded the action in ${join(work, 'state', 'actions.ndjson')}\n`);
    }

    const redis = new Redis(options.redisUrl, { lazyConnect: true });
    await redis.connect();
    try {
      const verified = await verifyAuditLog(auditLogFor(config, redis));
      out(`Audit trail: ${verified.ok ? `hash chain intact over ${verified.records} records` : `BROKEN at ${JSON.stringify(verified.broken)}`}`);
    } finally {
      redis.disconnect();
    }
  } finally {
    await running.stop();
    await removePrefix(options.redisUrl, prefix);
    await rm(work, { recursive: true, force: true });
  }
}

/** The demo leaves nothing behind in Redis. */
async function removePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    await deleteKeys(redis, `${prefix}*`);
  } finally {
    redis.disconnect();
  }
}

export const DEFAULT_DATA_ROOT = resolve(import.meta.dirname, '..', 'data');
