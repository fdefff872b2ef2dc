// Approval-to-action latency and decision throughput of the response stage, on real Redis and BullMQ with
// the replay connector (no vendor latency): how long from an approval being accepted until the step is
// done, and how many approvals per second the hash-chained audit + Lua state machine sustain.
//   node --import tsx bench/response.ts [cases=200]
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { buildDataset, ReplayConnector } from '../connectors/replay/index.js';
import type { TriageReport } from '../playbooks/hive-dump/report.js';
import { verifyAuditLog } from '../workers/audit/verify.js';
import { loadConfig } from '../workers/config.js';
import { createQueues } from '../workers/queues.js';
import { createResponseRuntime } from '../workers/response/runtime.js';

const cases = Number(process.argv[2] ?? 200);
const prefix = `hwbench-response-${randomBytes(3).toString('hex')}`;
const stateDir = mkdtempSync(path.join(tmpdir(), 'hw-bench-response-'));
const redis = new Redis({ host: '127.0.0.1', port: 6379 });
const workerRedis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
const config = loadConfig({}, undefined, { redis: { prefix }, response: { pollIntervalMs: 10 } });
const queues = createQueues(redis, config);
const connector = new ReplayConnector(buildDataset([]), { stateDir });
const runtime = createResponseRuntime({ config, redis, connector: async () => connector, queue: queues.response });
const worker = runtime.startWorker(workerRedis, { concurrency: 8 });

const report = (caseId: string): TriageReport => ({
  caseId,
  alertId: `a-${caseId}`,
  ruleVersion: '318',
  verification: { verified: true, reason: 'bench' },
  hives: ['SAM'],
  verb: 'save',
  outputPath: 'C:\\Users\\Public\\s',
  destinations: ['public_profile'],
  hostId: `host-${caseId}`,
  hostRole: 'workstation',
  criticality: 'medium',
  factors: [],
  score: 80,
  disposition: 'malicious',
  unresolved: [],
  plan: [{ action: 'terminate_process', target: `proc-${caseId}`, reversible: false, inverse: null, requiresApproval: true, reason: 'bench', params: { hostId: `host-${caseId}`, pid: 1 } }],
  evidenceVersion: 1,
  generatedAt: new Date().toISOString(),
});

const approvedAt = new Map<string, number>();
const latencies: number[] = [];
const finished = new Promise<void>((resolve) => {
  worker.on('completed', (job) => {
    const start = approvedAt.get(job.data.caseId);
    if (job.name !== 'execute-step' || start === undefined) return;
    latencies.push(performance.now() - start);
    if (latencies.length === cases) resolve();
  });
});
await worker.waitUntilReady();

const proposeStart = performance.now();
for (let i = 0; i < cases; i++) await runtime.service.proposePlan(`bench-${i}`, report(`bench-${i}`));
const proposeMs = performance.now() - proposeStart;

const approver = { id: 'bench-approver', role: 'responder' as const, via: 'token' as const };
const approveStart = performance.now();
for (let i = 0; i < cases; i++) {
  const caseId = `bench-${i}`;
  const [step] = await runtime.store.list(caseId);
  approvedAt.set(caseId, performance.now());
  await runtime.service.approve(caseId, step!.stepId, approver, step!.hash);
}
const approveMs = performance.now() - approveStart;
await finished;
const totalMs = performance.now() - approveStart;
const verifyStart = performance.now();
const verified = await verifyAuditLog(runtime.audit);
const verifyMs = performance.now() - verifyStart;

latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
console.log(`response bench: ${cases} cases, 1 step each, replay connector, worker concurrency 8, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`  propose:  ${(cases / (proposeMs / 1000)).toFixed(0)} plans/s (${proposeMs.toFixed(0)} ms)`);
console.log(`  approve:  ${(cases / (approveMs / 1000)).toFixed(0)} approvals/s (sequential, each audited)`);
console.log(`  approval -> done latency ms: p50 ${pct(50)}  p95 ${pct(95)}  p99 ${pct(99)}  max ${latencies.at(-1)!.toFixed(1)}`);
console.log(`  all ${cases} steps done ${totalMs.toFixed(0)} ms after the first approval`);
console.log(`  audit verify: ${verified.records} records in ${verifyMs.toFixed(0)} ms (${verified.ok ? 'ok' : 'BROKEN'})`);

await worker.close();
await queues.close();
const keys = await redis.keys(`${prefix}:*`);
if (keys.length) await redis.del(...keys);
redis.disconnect();
workerRedis.disconnect();
rmSync(stateDir, { recursive: true, force: true });
