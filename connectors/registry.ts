// Builds the configured connector. Secrets are resolved here (env, *_FILE or file), handed to the
// connector and nowhere else; the idempotency key store comes from config (memory, file or Redis).

import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { parseConnectorConfig, resolveSecret, type ConnectorConfig, type KeyStoreConfig } from './config.js';
import { CrowdStrikeConnector } from './crowdstrike/index.js';
import { DefenderConnector } from './defender/index.js';
import { ElasticConnector } from './elastic/index.js';
import { FileKeyStore, MemoryKeyStore, RedisKeyStore, type ActionKeyStore } from './http/keystore.js';
import type { Clock } from './http/clock.js';
import type { CallObserver } from './http/metrics.js';
import { ReplayConnector } from './replay/index.js';
import { SentinelOneConnector } from './sentinelone/index.js';
import type { Connector } from './types.js';

export interface ConnectorDeps {
  /** A Redis connection for a `redis` key store (otherwise one is opened from keyStore.url). */
  redis?: Redis;
  /** Prefix of Redis keys (default `hivewatch`). */
  redisPrefix?: string;
  logger?: Logger;
  clock?: Clock;
  /** Vendor-call metrics sink, e.g. connectorMetrics(metrics.registry). */
  metrics?: CallObserver;
  env?: Record<string, string | undefined>;
}

/** Redis connections the registry opened itself; closed with the connector. */
const owned = new WeakMap<ConnectorDeps, Redis>();

function keyStore(kind: string, cfg: KeyStoreConfig | undefined, deps: ConnectorDeps): ActionKeyStore {
  if (!cfg || cfg.type === 'memory') return new MemoryKeyStore();
  if (cfg.type === 'file') return new FileKeyStore(cfg.path);
  let redis = deps.redis;
  if (!redis) {
    redis = new Redis(cfg.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 3 });
    owned.set(deps, redis);
  }
  return new RedisKeyStore(redis, cfg.key ?? `${deps.redisPrefix ?? 'hivewatch'}:connector:${kind}:idempotency`);
}

/** Parses (if needed) and builds the connector for `config.kind`. */
export async function createConnector(raw: ConnectorConfig | unknown, deps: ConnectorDeps = {}): Promise<Connector> {
  const scoped: ConnectorDeps = { ...deps };
  const connector = await build(raw, scoped);
  const redis = owned.get(scoped);
  if (redis) {
    const close = connector.close?.bind(connector);
    connector.close = async () => {
      await close?.();
      redis.disconnect();
    };
  }
  return connector;
}

async function build(raw: ConnectorConfig | unknown, deps: ConnectorDeps): Promise<Connector> {
  const config = parseConnectorConfig(raw);
  const env = deps.env ?? process.env;
  switch (config.kind) {
    case 'replay':
      return ReplayConnector.open({ datasetDir: config.datasetDir, stateDir: config.stateDir });
    case 'elastic':
      return new ElasticConnector({
        elasticsearchUrl: config.elasticsearchUrl,
        kibanaUrl: config.kibanaUrl,
        space: config.space,
        apiKey: resolveSecret('elastic', 'apiKey', config.apiKey, 'HW_ELASTIC_API_KEY', env),
        indices: config.indices,
        pidWindowMs: config.pidWindowMs,
        pageSize: config.pageSize,
        ...config.http,
        keyStore: keyStore('elastic', config.keyStore, deps),
        clock: deps.clock,
        logger: deps.logger,
        observer: deps.metrics,
      });
    case 'crowdstrike':
      return new CrowdStrikeConnector({
        baseUrl: config.baseUrl,
        clientId: resolveSecret('crowdstrike', 'clientId', config.clientId, 'HW_CROWDSTRIKE_CLIENT_ID', env),
        clientSecret: resolveSecret('crowdstrike', 'clientSecret', config.clientSecret, 'HW_CROWDSTRIKE_CLIENT_SECRET', env),
        memberCid: config.memberCid,
        ngsiemRepository: config.ngsiemRepository,
        processSource: config.processSource,
        queryPollMs: config.queryPollMs,
        queryDeadlineMs: config.queryDeadlineMs,
        pidWindowMs: config.pidWindowMs,
        onlineWithinMs: config.onlineWithinMs,
        ...config.http,
        keyStore: keyStore('crowdstrike', config.keyStore, deps),
        clock: deps.clock,
        logger: deps.logger,
        observer: deps.metrics,
      });
    case 'defender': {
      const { kind: _kind, clientSecret, keyStore: ks, http, ...rest } = config;
      return new DefenderConnector({
        ...rest,
        ...http,
        clientSecret: resolveSecret('defender', 'clientSecret', clientSecret, 'HW_DEFENDER_CLIENT_SECRET', env).reveal(),
        keyStore: keyStore('defender', ks, deps),
        clock: deps.clock,
        logger: deps.logger,
        observer: deps.metrics,
      });
    }
    case 'sentinelone': {
      const { kind: _kind, apiToken, sdlToken, keyStore: ks, http, ...rest } = config;
      return new SentinelOneConnector({
        ...rest,
        ...http,
        apiToken: resolveSecret('sentinelone', 'apiToken', apiToken, 'HW_SENTINELONE_API_TOKEN', env).reveal(),
        ...(config.engine === 'powerquery' ? { sdlToken: resolveSecret('sentinelone', 'sdlToken', sdlToken, 'HW_SENTINELONE_SDL_TOKEN', env).reveal() } : {}),
        keyStore: keyStore('sentinelone', ks, deps),
        clock: deps.clock,
        logger: deps.logger,
        observer: deps.metrics,
      });
    }
  }
}
