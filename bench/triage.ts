// Triage throughput: alerts triaged per second on the replay connector, in process (one core) and through
// the `triage` BullMQ queue with N workers on real Redis (127.0.0.1:6379, a unique key prefix, cleaned up).
//
//   npm run bench:triage                 # defaults: 3 s in process, 600 queued alerts, N = 1, 4, 8
//   node --import tsx bench/triage.ts --seconds 5 --queued 1000 --workers 1,2,4,8
//
// The alerts are those of the scenario datasets (test/scenarios/datasets), replayed round-robin: real
// Panache/Empire/DC01 telemetry, the backup workflows, 4688 pid reuse, the 40-alert storm, forgeries.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { parseAlert, type Alert } from '../detection/alert.js';
import { openDataset } from '../playbooks/hive-dump/dataset.js';
import { runHiveDumpPlaybook } from '../playbooks/hive-dump/playbook.js';
import type { TriageReport } from '../playbooks/hive-dump/report.js';
import { CaseStore } from '../workers/cases/store.js';
import { createRedis, deleteKeys, waitReady } from '../workers/redis.js';
import { createTriageProcessor, type TriageDeps } from '../workers/triage/processor.js';
import type { TriageJobData } from '../workers/triage/job.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const seconds = Number(arg('seconds', '3'));
const queued = Number(arg('queued', '600'));
const workerCounts = arg('workers', '1,4,8').split(',').map(Number);

const root = resolve(import.meta.dirname, '../test/scenarios/datasets');
const stateDir = mkdtempSync(join(tmpdir(), 'hw-bench-triage-'));

interface Loaded {
  name: string;
  dataset: Awaited<ReturnType<typeof openDataset>>;
  alerts: Alert[];
}

const loaded: Loaded[] = [];
for (const name of readdirSync(root).sort()) {
  const dir = join(root, name);
  const dataset = await openDataset(dir, { stateDir, ...(name === 'backup-too-broad-exception' ? { workflows: [] } : {}) });
  const raws = [JSON.parse(readFileSync(join(dir, 'alert.json'), 'utf8'))];
  if (existsSync(join(dir, 'alerts.ndjson'))) raws.push(...readFileSync(join(dir, 'alerts.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  loaded.push({ name, dataset, alerts: raws.map(parseAlert) });
}
const work = loaded.flatMap((l) => l.alerts.map((alert) => ({ l, alert })));
const triageOne = (i: number): Promise<TriageReport> => {
  const { l, alert } = work[i % work.length]!;
  return runHiveDumpPlaybook(alert, { connector: l.dataset.connector, assets: l.dataset.connector.assets, rule: l.dataset.rule, workflows: l.dataset.workflows });
};

// ---- in process -----------------------------------------------------------------------------------
for (let i = 0; i < work.length * 3; i++) await triageOne(i); // warm-up: JIT, rule compile, caches
for (const concurrency of [1, 16]) {
  let done = 0;
  const latencies: number[] = [];
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const until = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      for (let i = lane; performance.now() < until; i += concurrency) {
        const t = performance.now();
        await triageOne(i);
        latencies.push(performance.now() - t);
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(2);
  // The CPU figure is what one core sustains; the wall figure also shows how busy the machine was.
  console.log(
    `in process, ${concurrency} in flight: ${done} alerts in ${elapsed.toFixed(2)} s wall = ${(done / elapsed).toFixed(0)} alerts/s; ` +
      `${cpuSeconds.toFixed(2)} s CPU = ${(done / cpuSeconds).toFixed(0)} alerts per CPU-second (p50 ${p(0.5)} ms, p99 ${p(0.99)} ms; ${work.length} distinct alerts from ${loaded.length} datasets)`,
  );
}

// ---- through the triage queue on real Redis --------------------------------------------------------
const prefix = `hwbench:triage:${randomBytes(4).toString('hex')}`;
const producer = createRedis('redis://127.0.0.1:6379', 'producer', 'hwbench-producer');
await waitReady(producer);
const cases = new CaseStore(producer, { prefix, groupingWindowMinutes: 60, retentionDays: 1 });

// One dataset-agnostic processor: each job carries which dataset its alert belongs to in its case id.
const processors = new Map<string, ReturnType<typeof createTriageProcessor>>();
for (const l of loaded) {
  const deps: TriageDeps = { connector: l.dataset.connector, assets: l.dataset.connector.assets, rule: l.dataset.rule, workflows: l.dataset.workflows, cases, propose: async () => {} };
  processors.set(l.name, createTriageProcessor(deps));
}

for (const n of workerCounts) {
  const queueName = `triage-n${n}`;
  const connection = createRedis('redis://127.0.0.1:6379', 'worker', 'hwbench-worker');
  await waitReady(connection);
  const queue = new Queue<TriageJobData>(queueName, { connection: producer, prefix });
  const events = new QueueEvents(queueName, { connection: connection.duplicate(), prefix });
  await events.waitUntilReady();
  // Cases first (intake's part), so the measured span is the triage stage alone.
  const jobs: { name: string; data: TriageJobData; opts: { jobId: string } }[] = [];
  for (let i = 0; i < queued; i++) {
    const { l, alert } = work[i % work.length]!;
    const unique: Alert = { ...alert, id: `${alert.id}-${n}-${i}` };
    const admitted = await cases.admit(unique);
    jobs.push({ name: l.name, data: { caseId: admitted.caseId, alert: unique }, opts: { jobId: `t-${n}-${i}` } });
  }
  let completed = 0;
  let failed = 0;
  const finished = new Promise<void>((resolveAll) => {
    const tick = () => {
      if (completed + failed >= queued) resolveAll();
    };
    events.on('completed', () => {
      completed++;
      tick();
    });
    events.on('failed', ({ failedReason }) => {
      failed++;
      if (failed <= 3) console.error(`job failed: ${failedReason}`);
      tick();
    });
  });
  const start = performance.now();
  await queue.addBulk(jobs);
  const worker = new Worker<TriageJobData>(queueName, (job: Job<TriageJobData>) => processors.get(job.name)!(job), { connection, prefix, concurrency: n });
  await finished;
  const elapsed = (performance.now() - start) / 1000;
  console.log(`triage queue, ${n} worker${n === 1 ? '' : 's'} (concurrency ${n}, one process): ${completed} alerts in ${elapsed.toFixed(2)} s = ${(completed / elapsed).toFixed(0)} alerts/s${failed ? `, ${failed} failed` : ''} (report stored per case in Redis, response hand-off stubbed)`);
  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await connection.quit();
}

// Delete only this run's keys.
await deleteKeys(producer, `${prefix}:*`);
await producer.quit();
