// The connector the response stage executes actions with, built once from `config.connector` through the
// connector registry (secrets resolved there; the idempotency key store as configured).
import type { Redis } from 'ioredis';
import { createConnector } from '../../connectors/registry.js';
import type { Connector } from '../../connectors/types.js';
import type { CallObserver } from '../../connectors/http/metrics.js';
import type { HivewatchConfig } from '../config.js';
import { ResponseError } from './errors.js';
import { once } from './runtime.js';

/** `metrics` puts the response stage's vendor calls on this process's /metrics. */
export function connectorFromConfig(config: HivewatchConfig, redis?: Redis, metrics?: CallObserver): () => Promise<Connector> {
  return once(async () => {
    if (config.connector === undefined) {
      throw new ResponseError('HW_ERR_CONNECTOR_UNSET', 500, 'connector: no connector configured; set connector.kind (replay, elastic, crowdstrike, defender, sentinelone) in the config file');
    }
    return createConnector(config.connector, { redis, redisPrefix: config.redis.prefix, ...(metrics ? { metrics } : {}) });
  });
}
