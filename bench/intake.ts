// Intake throughput: drives a running `hivewatch serve` over loopback, single-alert requests (max rate, then a
// fixed 1,000 alerts/s for latency) and 100-alert batches, and in the same run measures raw `queue.addBulk` of
// the same alerts. Prints figures; asserts nothing (performance lives here, not in tests).
//
//   npm run bench:intake -- [--duration 5] [--connections 32] [--phases single,rate,batched] [--in-flight 4]
//                           [--client lean|autocannon] [--external http://127.0.0.1:8080 --token T]
//
// Without --external it starts the server itself as a child process (`node bin/hivewatch.js serve`, with the
// Node flags of that file's shebang, or those of HW_SERVER_NODE_ARGS when it is set, even empty) on a throw-away key prefix, and deletes that prefix's keys at the end. No workers run: this measures intake only. --in-flight sets both the batched
// connections and the raw addBulk calls in flight, so the two sides always run at the same concurrency.
// The load generator shares the two cores with the server and Redis, so by default it is the lean driver of
// bench/http-load.ts; `--client autocannon` runs the same load through autocannon, which costs several times
// more CPU per request. The table prints the load generator's own CPU per alert.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { alertJson } from './alert-template.js';
import { nodeFlagsOf } from './node-flags.js';
import { runLoad, type LoadResult } from './http-load.js';
import { parseAlert } from '../detection/alert.js';
import { loadConfig } from '../workers/config.js';
import { alertJobId, createQueue, QUEUE_NAMES } from '../workers/queues.js';
import { createRedis, deleteKeys, waitReady } from '../workers/redis.js';
import type { Redis } from 'ioredis';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] ? args[at + 1]! : fallback;
};
const duration = Number(flag('duration', '5'));
const connections = Number(flag('connections', '32'));
const external = flag('external', '');
const token = flag('token', `bench-${randomBytes(8).toString('hex')}`);
const inFlight = Number(flag('in-flight', '4'));
const client = flag('client', 'lean');
const phases = new Set(flag('phases', 'single,rate,batched').split(','));
const prefix = flag('prefix', `hwbench:${randomBytes(4).toString('hex')}`);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const root = resolve(import.meta.dirname, '..');
const PATH = '/v1/alerts/elastic';

/** The Node flags of bin/hivewatch.js's shebang, as `npx hivewatch serve` runs it; HW_SERVER_NODE_ARGS, even empty, replaces them. */
function serverNodeArgs(): string[] {
  const flags = process.env.HW_SERVER_NODE_ARGS ?? nodeFlagsOf(readFileSync(resolve(root, 'bin/hivewatch.js'), 'utf8'));
  return flags.split(' ').filter(Boolean);
}

async function startServer(): Promise<{ url: string; child: ChildProcess | null }> {
  if (external) return { url: external, child: null };
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [...serverNodeArgs(), resolve(root, 'bin/hivewatch.js'), 'serve'], {
    cwd: root,
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      HIVEWATCH_PREFIX: prefix,
      HIVEWATCH_PORT: String(port),
      HIVEWATCH_BEARER_TOKENS: token,
      HIVEWATCH_RATE_LIMIT_MAX: '100000000',
      HIVEWATCH_BODY_LIMIT: String(20 * 1024 * 1024),
      HIVEWATCH_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, child };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error('the server did not start');
}

interface Figures {
  label: string;
  /** CPU spent per alert (µs) by the Node process doing the work (the API; for raw addBulk, this bench) and by Redis. */
  serverCpuUs?: number;
  redisCpuUs?: number;
  /** CPU per alert of the load generator (this bench), which shares the machine with the server. */
  clientCpuUs?: number;
  requestsPerSec: number;
  alertsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** utime+stime of a process in µs (Linux /proc; 0 elsewhere). */
function processCpuUs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1e6; // clock ticks of 10 ms
  } catch {
    return 0;
  }
}

let probe: Redis | undefined;
/** Redis's own CPU (user + sys) in µs; includes other clients of a shared Redis. */
async function redisCpuUs(): Promise<number> {
  probe ??= createRedis(redisUrl, 'producer', 'hivewatch-bench-probe');
  await waitReady(probe);
  const info = await probe.info('cpu');
  const read = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (read('used_cpu_user') + read('used_cpu_sys')) * 1e6;
}

let serverPid: number | undefined;

/** Sums rounds: rates weighted by their time, latencies the worst round's (a conservative p99). */
function combine(parts: (Figures & { seconds?: number })[]): Figures {
  const seconds = parts.reduce((sum, p) => sum + (p.seconds ?? 1), 0);
  const weighted = (pick: (f: Figures) => number) => parts.reduce((sum, p) => sum + pick(p) * (p.seconds ?? 1), 0) / seconds;
  const alerts = parts.reduce((sum, p) => sum + p.alertsPerSec * (p.seconds ?? 1), 0);
  const perAlert = (pick: (f: Figures) => number | undefined) =>
    parts.every((p) => pick(p) !== undefined) ? parts.reduce((sum, p) => sum + pick(p)! * p.alertsPerSec * (p.seconds ?? 1), 0) / alerts : undefined;
  return {
    label: parts[0]!.label,
    requestsPerSec: weighted((f) => f.requestsPerSec),
    alertsPerSec: alerts / seconds,
    p50: Math.max(...parts.map((p) => p.p50)),
    p99: Math.max(...parts.map((p) => p.p99)),
    non2xx: parts.reduce((sum, p) => sum + p.non2xx, 0),
    errors: parts.reduce((sum, p) => sum + p.errors, 0),
    serverCpuUs: perAlert((f) => f.serverCpuUs),
    redisCpuUs: perAlert((f) => f.redisCpuUs),
    clientCpuUs: perAlert((f) => f.clientCpuUs),
  };
}

async function drive(url: string, label: string, perRequest: number, options: { overallRate?: number; connections: number; expectedAlertsPerSec?: number }, seconds = duration): Promise<Figures & { seconds: number }> {
  const expectedAlertsPerSec = options.overallRate ?? options.expectedAlertsPerSec ?? 8_000;
  const make = perRequest === 1 ? () => alertJson() : () => `{"alerts":[${Array.from({ length: perRequest }, alertJson).join(',')}]}`;
  // Bodies are built before the clock starts (up to about 100 MB), so the load generator, which shares the two
  // cores with the server and Redis, only sends; past the pool it builds them on the fly.
  const prebuild = Math.min(Math.ceil((expectedAlertsPerSec * seconds) / perRequest), Math.floor(60_000 / perRequest) + 1);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const cpu0 = processCpuUs(serverPid);
  const redis0 = await redisCpuUs();
  const result = client === 'autocannon' ? await autocannonLoad(url, headers, make, prebuild, options, seconds) : await runLoad({ url, path: PATH, headers, body: () => Buffer.from(make()), prebuild, connections: options.connections, seconds, rate: options.overallRate });
  const alerts = Math.max(1, result.ok * perRequest);
  return {
    label,
    seconds: result.seconds,
    serverCpuUs: serverPid ? (processCpuUs(serverPid) - cpu0) / alerts : undefined,
    redisCpuUs: ((await redisCpuUs()) - redis0) / alerts,
    clientCpuUs: result.cpuUs / alerts,
    requestsPerSec: result.ok / result.seconds,
    alertsPerSec: (result.ok * perRequest) / result.seconds,
    p50: result.p50,
    p99: result.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** The same load through autocannon (`--client autocannon`), for comparison with the lean driver. */
async function autocannonLoad(url: string, headers: Record<string, string>, make: () => string, prebuild: number, options: { overallRate?: number; connections: number }, seconds: number): Promise<LoadResult> {
  const pool = Array.from({ length: prebuild }, make);
  const cpu0 = process.cpuUsage();
  const result = await autocannon({
    url,
    duration: Math.max(1, Math.round(seconds)),
    connections: options.connections,
    overallRate: options.overallRate,
    pipelining: 1,
    requests: [{ method: 'POST', path: PATH, headers, setupRequest: (request) => ({ ...request, body: pool.pop() ?? make() }) }],
  });
  const cpu = process.cpuUsage(cpu0);
  return { seconds: result.duration, cpuUs: cpu.user + cpu.system, ok: result['2xx'], non2xx: result.non2xx, errors: result.errors + result.timeouts, p50: result.latency.p50, p99: result.latency.p99 };
}

/** Raw BullMQ: addBulk of the same parsed alerts (same job ids and options), 100 per call, `parallel` calls in flight. */
async function rawAddBulk(total: number, parallel: number): Promise<Figures & { seconds: number }> {
  const config = loadConfig({}, undefined, { redis: { url: redisUrl, prefix: `${prefix}:raw` } });
  const redis = createRedis(redisUrl, 'producer', 'hivewatch-bench-raw');
  await waitReady(redis);
  const queue = createQueue(QUEUE_NAMES.alerts, redis, config);
  total = Math.ceil(total / 100) * 100;
  const batches = Array.from({ length: total / 100 }, () =>
    Array.from({ length: 100 }, () => {
      const alert = parseAlert(JSON.parse(alertJson()));
      return { name: 'alert', data: { document: alert.document, alertId: alert.id, caseId: 'case-raw', admission: 'created', receivedAt: new Date().toISOString(), source: 'bench' }, opts: { jobId: alertJobId(alert.id) } };
    }),
  );
  const latencies: number[] = [];
  const redis0 = await redisCpuUs();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const t0 = performance.now();
        await queue.addBulk(batch);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await queue.close();
  await redis.quit();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  const redisCpu = ((await redisCpuUs()) - redis0) / total;
  return { label: `raw addBulk x100 (${parallel} in flight)`, seconds, redisCpuUs: redisCpu, serverCpuUs: (cpu.user + cpu.system) / total, requestsPerSec: batches.length / seconds, alertsPerSec: (batches.length * 100) / seconds, p50: pct(0.5), p99: pct(0.99), non2xx: 0, errors: 0 };
}

async function cleanupKeys(): Promise<void> {
  const redis = createRedis(redisUrl, 'producer', 'hivewatch-bench-cleanup');
  await waitReady(redis);
  await deleteKeys(redis, `${prefix}:*`);
  await redis.quit();
}

const { url, child } = await startServer();
serverPid = child?.pid;
const figures: Figures[] = [];
try {
  console.log(`hivewatch intake bench: ${url}, ${duration}s per phase, prefix ${prefix}`);
  await drive(url, 'warm-up', phases.has('batched') && phases.size === 1 ? 100 : 1, { connections: 4 }, 2);
  const single = phases.has('single') ? await drive(url, 'single alert, max rate', 1, { connections }) : undefined;
  // Enough connections that the fixed rate holds when a response takes longer than 1/rate per connection.
  const atRate = phases.has('rate') ? await drive(url, 'single alert at 1,000/s', 1, { connections: 64, overallRate: 1000 }) : undefined;
  figures.push(...[single, atRate].filter((f) => f !== undefined));
  // Batched intake and raw addBulk alternate in three rounds, so a change in the machine's other load during
  // the run hits both sides alike; each side's figures are summed over its rounds.
  const rounds: { batched: Figures; raw: Figures }[] = [];
  for (let round = 0; round < (phases.has('batched') ? 3 : 0); round++) {
    const batchedRound = await drive(url, '100-alert batches', 100, { connections: inFlight, expectedAlertsPerSec: 20_000 }, duration / 3);
    const rawRound = await rawAddBulk(Math.max(2_000, Math.min(30_000, Math.round((batchedRound.alertsPerSec * duration) / 3))), inFlight);
    rounds.push({ batched: batchedRound, raw: rawRound });
  }
  const batched = rounds.length > 0 ? combine(rounds.map((r) => r.batched)) : undefined;
  const raw = rounds.length > 0 ? combine(rounds.map((r) => r.raw)) : undefined;
  if (batched && raw) figures.push(batched, raw);
  console.log('');
  console.log('phase                              req/s    alerts/s   p50 ms   p99 ms   non-2xx  errors Node CPU us/alert  Redis CPU us/alert  load gen. us/alert');
  const us = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(0));
  for (const f of figures) {
    console.log(
      `${f.label.padEnd(32)} ${f.requestsPerSec.toFixed(0).padStart(7)} ${f.alertsPerSec.toFixed(0).padStart(10)} ${f.p50.toFixed(1).padStart(8)} ${f.p99.toFixed(1).padStart(8)} ${String(f.non2xx).padStart(9)} ${String(f.errors).padStart(7)} ${us(f.serverCpuUs).padStart(17)} ${us(f.redisCpuUs).padStart(19)} ${us(f.clientCpuUs).padStart(19)}`,
    );
  }
  console.log('');
  if (batched && raw) console.log(`batched intake / raw addBulk = ${((batched.alertsPerSec / raw.alertsPerSec) * 100).toFixed(0)}% (target >= 60%)`);
  if (single) console.log(`single-alert max = ${single.alertsPerSec.toFixed(0)} alerts/s (target >= 3,000)`);
  if (atRate) console.log(`p99 at 1,000/s = ${atRate.p99.toFixed(1)} ms (target < 50 ms)`);
  console.log(`load average during the run: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores (a shared machine: other processes load it)`);
} finally {
  if (child) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  await cleanupKeys();
  await probe?.quit();
}
