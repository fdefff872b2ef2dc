// Redis connections and the start-up durability check. Workers need `maxRetriesPerRequest: null` (BullMQ
// blocks on them); the HTTP producer fails fast (`enableOfflineQueue: false`) so a request gets 503 when Redis
// is down instead of hanging, and the SIEM retries. The producer auto-pipelines: commands of concurrent
// requests issued in one tick share one write, which cut CPU per alert by a fifth to a third in our runs. Case
// admission is sent at once instead: it is one call per request or batch, and an auto-pipelined connection has
// one pipeline in flight at a time, so admissions queued behind each other (and behind rate-limit hits) while
// Redis had time to spare. The API's queue connection does not auto-pipeline at all (workers/api/server.ts):
// BullMQ's scripts make each pipeline costly.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ADMIT_COMMAND } from './cases/scripts.js';

export type RedisRole = 'worker' | 'producer';

/** Where to connect: a URL, or config.redis (a Cluster's seed URLs when `cluster`). */
export type RedisTarget = string | { url: string; cluster?: boolean };

/**
 * Opens a connection for one role. `name` shows in CLIENT LIST (which process holds which connection). On a
 * Cluster this is ioredis's Cluster client, typed as Redis: it has the same commands, scripts and pipelines,
 * and BullMQ recognises it.
 */
export function createRedis(target: RedisTarget, role: RedisRole, name = `hivewatch-${role}`, extra: RedisOptions = {}): Redis {
  const { url, cluster = false } = typeof target === 'string' ? { url: target } : target;
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName: name, ...extra }
      : { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 5000, enableAutoPipelining: true, autoPipeliningIgnoredCommands: [ADMIT_COMMAND], connectionName: name, ...extra };
  return cluster ? (createCluster(url, options) as unknown as Redis) : new Redis(url, options);
}

/** A Cluster client from comma-separated seed URLs; credentials and TLS come from the first URL. */
function createCluster(urls: string, options: RedisOptions): Cluster {
  const seeds = urls.split(',').map((url) => new URL(url.trim()));
  const first = seeds[0]!;
  const { enableOfflineQueue, enableAutoPipelining, autoPipeliningIgnoredCommands, enableReadyCheck, lazyConnect, ...redisOptions } = options;
  return new Cluster(
    seeds.map((seed) => ({ host: seed.hostname, port: Number(seed.port || 6379) })),
    {
      enableOfflineQueue,
      enableAutoPipelining,
      autoPipeliningIgnoredCommands,
      enableReadyCheck,
      lazyConnect,
      redisOptions: {
        ...redisOptions,
        ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
        ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    },
  );
}

/** A new connection like `redis` (a Cluster client too, whose duplicate takes its options second), with `options` changed. */
export function duplicateConnection(redis: Redis, options: Pick<RedisOptions, 'enableAutoPipelining'>): Redis {
  return redis.isCluster ? ((redis as unknown as Cluster).duplicate([], options) as unknown as Redis) : redis.duplicate(options);
}

/** Deletes every key matching `pattern`, a page of SCAN at a time (never FLUSHDB): the demo's, a bench's or a test's own prefix. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** Resolves once the connection is ready (needed with `enableOfflineQueue: false`, which refuses early commands). */
export async function waitReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  if (redis.status === 'wait') await redis.connect();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(Object.assign(new Error('HW_ERR_REDIS_UNAVAILABLE: Redis did not become ready; check REDIS_URL and that Redis runs'), { code: 'HW_ERR_REDIS_UNAVAILABLE' }));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    if (redis.status === 'ready') onReady();
    else redis.on('ready', onReady);
  });
}

export interface DurabilityReport {
  maxmemoryPolicy: string | null;
  appendonly: string | null;
  appendfsync: string | null;
  /** False when an eviction policy other than `noeviction` could drop queued alerts. */
  evictionSafe: boolean;
  /** True with AOF on and `appendfsync` everysec or always: an acknowledged alert survives a Redis crash (≤1 s loss with everysec). */
  persistent: boolean;
  warnings: string[];
}

interface WarnLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

async function configGet(redis: Redis, name: string): Promise<string | null> {
  const reply = (await redis.call('CONFIG', 'GET', name)) as string[];
  return reply.length >= 2 ? (reply[1] ?? null) : null;
}

/** The settings of one node, with its warnings (each naming `where` when it is a Cluster node). */
async function checkNode(redis: Redis, where: string): Promise<DurabilityReport> {
  const report: DurabilityReport = { maxmemoryPolicy: null, appendonly: null, appendfsync: null, evictionSafe: false, persistent: false, warnings: [] };
  try {
    report.maxmemoryPolicy = await configGet(redis, 'maxmemory-policy');
    report.appendonly = await configGet(redis, 'appendonly');
    report.appendfsync = await configGet(redis, 'appendfsync');
  } catch {
    report.warnings.push(`cannot run CONFIG GET on ${where || 'this Redis'}: verify by hand that maxmemory-policy is noeviction and AOF is on (docs/deployment.md)`);
  }
  report.evictionSafe = report.maxmemoryPolicy === 'noeviction';
  report.persistent = report.appendonly === 'yes' && (report.appendfsync === 'everysec' || report.appendfsync === 'always');
  const on = where ? ` on ${where}` : '';
  if (report.maxmemoryPolicy !== null && !report.evictionSafe) {
    report.warnings.push(
      `IMPORTANT! Redis maxmemory-policy is "${report.maxmemoryPolicy}"${on}: Redis may evict queued alerts and job locks. Set "maxmemory-policy noeviction" (docs/deployment.md)`,
    );
  }
  if (report.appendonly !== null && !report.persistent) {
    report.warnings.push(
      `Redis persistence is appendonly=${report.appendonly} appendfsync=${report.appendfsync}${on}: acknowledged alerts are lost if Redis restarts. Set "appendonly yes" and "appendfsync everysec" (or always)`,
    );
  }
  return report;
}

/** The Redis servers behind a connection, each with where it is: every master of a Cluster, or the one server. */
function mastersOf(redis: Redis): { node: Redis; where: string }[] {
  const cluster = redis as unknown as Partial<Cluster>;
  if (!cluster.isCluster || !cluster.nodes) return [{ node: redis, where: '' }];
  return cluster.nodes('master').map((node) => ({ node, where: `${node.options.host}:${node.options.port}` }));
}

/** The oldest Redis hivewatch runs on: case admission claims its keys with `SET ... NX GET` (Redis 7.0). */
export const MIN_REDIS_VERSION = '7.0.0';

/** Why `version` (INFO's redis_version) is too old, naming `where`; null when it will do. */
export function redisVersionProblem(version: string, where = ''): string | null {
  const have = version.split('.').map(Number);
  const need = MIN_REDIS_VERSION.split('.').map(Number);
  for (let i = 0; i < need.length; i++) {
    const part = have[i] ?? 0;
    if (part > need[i]!) return null;
    if (part < need[i]! || Number.isNaN(part)) return `Redis ${version}${where ? ` on ${where}` : ''} is too old: hivewatch needs ${MIN_REDIS_VERSION} or later (case admission uses SET ... NX GET)`;
  }
  return null;
}

/** Throws, naming the node, when a Redis (on a Cluster: any master) is older than MIN_REDIS_VERSION. */
export async function requireRedisVersion(redis: Redis): Promise<void> {
  const nodes = mastersOf(redis);
  for (const { node, where } of nodes) {
    const version = /redis_version:([^\r\n]+)/.exec(await node.info('server'))?.[1] ?? '0';
    const problem = redisVersionProblem(version, where);
    if (problem) throw new Error(`HW_ERR_REDIS_VERSION: ${problem}`);
  }
}

/**
 * Checks the settings the 2xx-after-stored promise rests on: on a Cluster, on every master (a failover can move
 * the deployment's slot to any of them). Managed Redis may forbid CONFIG; then we say so instead of guessing.
 * Logs loudly; never throws for a wrong setting (the operator decides).
 */
export async function checkDurability(redis: Redis, logger?: WarnLogger): Promise<DurabilityReport> {
  const nodes = mastersOf(redis);
  const reports = await Promise.all(nodes.map(({ node, where }) => checkNode(node, where)));
  // The fields show the first node with an unsafe setting, else the first node.
  const shown = reports.find((r) => !r.evictionSafe || !r.persistent) ?? reports[0]!;
  const report: DurabilityReport = {
    maxmemoryPolicy: shown.maxmemoryPolicy,
    appendonly: shown.appendonly,
    appendfsync: shown.appendfsync,
    evictionSafe: reports.every((r) => r.evictionSafe),
    persistent: reports.every((r) => r.persistent),
    warnings: reports.flatMap((r) => r.warnings),
  };
  if (logger) {
    for (const warning of report.warnings) logger.warn({ redis: { maxmemoryPolicy: report.maxmemoryPolicy, appendonly: report.appendonly, appendfsync: report.appendfsync } }, warning);
    if (report.warnings.length === 0) logger.info({ redis: { maxmemoryPolicy: report.maxmemoryPolicy, appendonly: report.appendonly, appendfsync: report.appendfsync } }, 'Redis durability settings are safe');
  }
  return report;
}
