// Redis Cluster: a real three-master Cluster of local redis-server processes. Intake, case admission, the
// queues, the workers and the case API run on ioredis's Cluster client with a hash-tag prefix, and every key
// lands on the one master that owns the tag's slot.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Job } from 'bullmq';
import { Redis, type Cluster } from 'ioredis';
import { ADMIT_COMMAND } from '../../workers/cases/scripts.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type HivewatchServer } from '../../workers/api/server.js';
import { ConfigError, loadConfig } from '../../workers/config.js';
import { checkDurability, createRedis, requireRedisVersion, waitReady } from '../../workers/redis.js';
import { startWorkers, type RunningWorkers } from '../../workers/worker.js';
import type { TriageJobData } from '../../workers/triage/job.js';
import { bearer, nestedAlert, testConfig } from './helpers.js';
import { until } from '../poll.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'hw-cluster-'));
const nodes: ChildProcess[] = [];
let ports: number[] = [];
const prefix = `{hwtest-cluster-${process.pid}}`;
let app: HivewatchServer;
let workers: RunningWorkers;
let producer: Redis;
let workerConnection: Redis;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const cli = (port: number, ...args: string[]) => run('redis-cli', ['-p', String(port), ...args]).then((out) => out.stdout.trim());

beforeAll(async () => {
  ports = [await freePort(), await freePort(), await freePort()];
  for (const port of ports) {
    const node = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    nodes.push(node);
  }
  for (const port of ports) await until(() => cli(port, 'ping').catch(() => ''), (reply) => reply === 'PONG', 15_000, 'redis-server to answer');
  await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
  for (const port of ports) await until(() => cli(port, 'cluster', 'info').catch(() => ''), (info) => info.includes('cluster_state:ok'), 15_000, 'the cluster to be ok');

  const config = testConfig(prefix, { redis: { url: `redis://127.0.0.1:${ports[0]}`, prefix, cluster: true } });
  producer = createRedis(config.redis, 'producer', 'hwtest-cluster-api');
  workerConnection = createRedis(config.redis, 'worker', 'hwtest-cluster-worker');
  await waitReady(producer);
  app = await buildServer({ config, redis: producer, logger: false });
  workers = await startWorkers({
    config,
    connection: workerConnection,
    triageProcessor: async (job: Job<TriageJobData>) => {
      await job.log(`triage of ${job.data.alert.id}`);
      return { caseId: job.data.caseId };
    },
  });
}, 60_000);

afterAll(async () => {
  await workers?.close();
  await app?.close();
  await app?.hivewatch.queues.close();
  await workerConnection?.quit().catch(() => undefined);
  await producer?.quit().catch(() => undefined);
  for (const node of nodes) node.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis Cluster', () => {
  it('admits, dedups, groups and queues alerts; the workers triage the case; the API reads its job history', async () => {
    // As a load balancer would: post once the API reports Redis reachable and a worker seen.
    const ready = await until(() => app.inject({ method: 'GET', url: '/readyz' }), (r) => r.statusCode === 200, 15_000, '/readyz to answer 200');
    expect(ready.statusCode, ready.body).toBe(200);
    const first = nestedAlert({ hostId: 'host-cluster', parentEntityId: 'parent-cluster' });
    const second = nestedAlert({ hostId: 'host-cluster', parentEntityId: 'parent-cluster' });
    const res = await app.inject({ method: 'POST', url: '/v1/alerts/elastic', headers: { ...bearer, 'content-type': 'application/json' }, payload: JSON.stringify({ alerts: [first, second, first] }) });
    expect(res.statusCode, res.body).toBe(202);
    const { results } = res.json() as { results: { status: string; caseId: string; alertId: string }[] };
    expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'duplicate']);
    const caseId = results[0]!.caseId;
    expect(results.every((r) => r.caseId === caseId)).toBe(true);

    const read = () => app.inject({ method: 'GET', url: `/v1/cases/${caseId}`, headers: bearer }).then((r) => r.json());
    const body = await until(read, (c) => c.jobs?.length === 3 && c.jobs.every((j: { state: string }) => j.state === 'completed'), 15_000);
    expect(body.case).toMatchObject({ id: caseId, status: 'triaging', alertCount: 2, hostId: 'host-cluster' });
    expect(body.jobs.map((j: { queue: string }) => j.queue)).toEqual(['alerts', 'alerts', 'triage']);
    const listed = (await app.inject({ method: 'GET', url: '/v1/cases?host.id=host-cluster&status=triaging', headers: bearer })).json();
    expect(listed.cases.map((c: { case: { id: string } }) => c.case.id)).toEqual([caseId]);

    // One slot, one master: the tag keeps every key of the deployment together.
    const slot = Number(await cli(ports[0]!, 'cluster', 'keyslot', prefix));
    const counts = await Promise.all(ports.map(async (port) => ({ port, keys: Number(await cli(port, 'dbsize')), owns: Number(await cli(port, 'cluster', 'countkeysinslot', String(slot))) })));
    const holders = counts.filter((c) => c.keys > 0);
    expect(holders).toHaveLength(1);
    expect(holders[0]!.owns).toBe(holders[0]!.keys);
  });

  it('the Cluster clients keep the connection settings: admission not auto-pipelined, the queue connection not at all', () => {
    const options = (producer as unknown as Cluster).options;
    expect(producer.isCluster).toBe(true);
    expect(options.enableAutoPipelining).toBe(true);
    expect(options.autoPipeliningIgnoredCommands).toEqual([ADMIT_COMMAND]);
    const queueConnection = app.hivewatch.queues.alerts.opts.connection as unknown as Cluster;
    expect(queueConnection.isCluster).toBe(true);
    expect(queueConnection.options.enableAutoPipelining).toBe(false);
  });

  it('checks eviction and persistence on every master, naming the node that is wrong', async () => {
    await Promise.all(ports.map((port) => cli(port, 'config', 'set', 'appendonly', 'yes')));
    await Promise.all(ports.map((port) => cli(port, 'config', 'set', 'maxmemory-policy', 'noeviction')));
    const safe = await checkDurability(producer);
    expect(safe).toMatchObject({ evictionSafe: true, persistent: true, warnings: [] });
    await cli(ports[2]!, 'config', 'set', 'maxmemory-policy', 'allkeys-lru');
    const report = await checkDurability(producer);
    expect(report).toMatchObject({ evictionSafe: false, persistent: true, maxmemoryPolicy: 'allkeys-lru' });
    expect(report.warnings).toEqual([expect.stringContaining(`"allkeys-lru" on 127.0.0.1:${ports[2]}`)]);
    // The version check reads every master too; these are the machine's redis-server, 7.0 or later.
    await expect(requireRedisVersion(producer)).resolves.toBeUndefined();
  });

  it('a Cluster without a hash tag in the prefix, or several URLs without cluster mode, is refused naming the setting', () => {
    expect(() => loadConfig({ HIVEWATCH_REDIS_CLUSTER: 'true', HIVEWATCH_PREFIX: 'hivewatch' })).toThrowError(ConfigError);
    expect(() => loadConfig({ HIVEWATCH_REDIS_CLUSTER: 'true', HIVEWATCH_PREFIX: 'hivewatch' })).toThrowError(/redis\.prefix \(HIVEWATCH_PREFIX\).*hash tag/);
    expect(() => loadConfig({ REDIS_URL: 'redis://a:7000,redis://b:7001' })).toThrowError(/redis\.url \(REDIS_URL\).*HIVEWATCH_REDIS_CLUSTER/);
    expect(() => loadConfig({ HIVEWATCH_REDIS_CLUSTER: 'true', HIVEWATCH_PREFIX: '{hw}', REDIS_URL: 'redis://a:7000/2' })).toThrowError(/redis\.url \(REDIS_URL\).*only database 0/);
    const config = loadConfig({ HIVEWATCH_REDIS_CLUSTER: 'yes', HIVEWATCH_PREFIX: '{hw}', REDIS_URL: 'redis://:s3cret@a:7000, redis://:s3cret@b:7001' });
    expect(config.redis).toMatchObject({ cluster: true, prefix: '{hw}' });
    expect(JSON.stringify(config)).not.toContain('s3cret');
  });
});
