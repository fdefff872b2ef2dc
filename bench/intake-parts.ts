// Intake's own work on 100-alert batches, without HTTP and without the BullMQ job: body extraction, then
// extraction + validation + case admission (admitItems with a queue that stores nothing). This is what intake
// adds on top of raw addBulk (bench/intake.ts compares the two end to end, where the machine's noise is
// larger than most changes). Prints CPU per alert of this process (user, system), its page faults and Redis's
// CPU; asserts nothing.
//
//   npm run bench:intake-parts -- [--batches 600] [--rounds 3]
//
// Works under a throw-away key prefix on REDIS_URL (default 127.0.0.1:6379) and deletes it at the end.
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { alertJson } from './alert-template.js';
import { admitItems } from '../workers/intake/admit.js';
import { extractAlerts } from '../workers/intake/extract.js';
import { CaseStore } from '../workers/cases/store.js';
import { createRedis, deleteKeys, waitReady } from '../workers/redis.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const batches = flag('batches', 600);
const rounds = flag('rounds', 3);
const IN_FLIGHT = 4;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `hwbench-parts:${randomBytes(4).toString('hex')}`;

const redis = createRedis(redisUrl, 'producer', 'hivewatch-bench-parts');
const probe = createRedis(redisUrl, 'producer', 'hivewatch-bench-probe');
await Promise.all([waitReady(redis), waitReady(probe)]);
const cases = new CaseStore(redis, { prefix, groupingWindowMinutes: 15, retentionDays: 30 });
// The queue is left out on purpose: its cost is raw addBulk's, which bench/intake.ts measures.
const queue = { add: async () => undefined, addBulk: async () => [] } as unknown as Queue;
const deps = { cases, alertsQueue: queue, acceptedRuleIds: [] };

async function redisCpuUs(): Promise<number> {
  const info = await probe.info('cpu');
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (read('used_cpu_user') + read('used_cpu_sys')) * 1e6;
}

const makeBodies = (count: number) => Array.from({ length: count }, () => Buffer.from(`{"alerts":[${Array.from({ length: 100 }, alertJson).join(',')}]}`));

/** Runs `work` over fresh bodies, IN_FLIGHT at a time, and returns the figures per alert. */
async function measure(work: (body: Buffer) => Promise<unknown>) {
  const bodies = makeBodies(batches);
  const alerts = batches * 100;
  const usage0 = process.resourceUsage();
  const redis0 = await redisCpuUs();
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < bodies.length) await work(bodies[next++]!);
  }));
  const seconds = (performance.now() - start) / 1000;
  const usage = process.resourceUsage();
  return {
    alertsPerSec: alerts / seconds,
    userUs: (usage.userCPUTime - usage0.userCPUTime) / alerts,
    systemUs: (usage.systemCPUTime - usage0.systemCPUTime) / alerts,
    faults: (usage.minorPageFault - usage0.minorPageFault) / alerts,
    redisUs: ((await redisCpuUs()) - redis0) / alerts,
  };
}

const phases: [string, (body: Buffer) => Promise<unknown>][] = [
  ['extract', async (body) => extractAlerts(body, 'application/json')],
  ['extract + validate + admit', (body) => admitItems(extractAlerts(body, 'application/json'), 'bench', deps)],
];

try {
  console.log(`intake parts: ${batches} batches of 100 alerts per phase and round, ${rounds} rounds, ${IN_FLIGHT} in flight, prefix ${prefix}`);
  await measure(phases[1]![1]); // warm-up: JIT, connections, scripts
  console.log('\nphase                          alerts/s   user us/alert   sys us/alert   faults/alert   Redis us/alert');
  for (let round = 0; round < rounds; round++) {
    for (const [label, work] of phases) {
      const f = await measure(work);
      console.log(`${label.padEnd(28)} ${f.alertsPerSec.toFixed(0).padStart(10)} ${f.userUs.toFixed(1).padStart(15)} ${f.systemUs.toFixed(1).padStart(14)} ${f.faults.toFixed(2).padStart(14)} ${f.redisUs.toFixed(1).padStart(16)}`);
    }
  }
} finally {
  await deleteKeys(probe, `${prefix}:*`);
  redis.disconnect();
  probe.disconnect();
}
