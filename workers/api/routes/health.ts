// Liveness, readiness (Redis reachable, workers seen) and Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { HivewatchConfig } from '../../config.js';
import { workersSeen } from '../../heartbeat.js';
import type { Metrics } from '../../metrics.js';

export interface HealthRouteOptions {
  config: HivewatchConfig;
  redis: Redis;
  metrics: Metrics;
}

export async function healthRoutes(app: FastifyInstance, { config, redis, metrics }: HealthRouteOptions): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' as const }));

  app.get('/readyz', async (_request, reply) => {
    let latencyMs: number | null = null;
    let workers = { count: 0, lastSeenAgoSeconds: null as number | null };
    try {
      const start = performance.now();
      await redis.ping();
      latencyMs = Math.round((performance.now() - start) * 100) / 100;
      // A worker that missed three beats is gone (or stuck after a Redis outage).
      workers = await workersSeen(redis, config.redis.prefix, config.workers.heartbeatSeconds * 3);
    } catch {
      // reported below
    }
    const reachable = latencyMs !== null;
    const seen = workers.count > 0;
    const ready = reachable && (seen || !config.workers.readyRequiresWorkers);
    return reply.status(ready ? 200 : 503).send({ ready, redis: { reachable, latencyMs }, workers: { seen, ...workers } });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
