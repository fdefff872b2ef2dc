// `hivewatch serve [--with-workers]` (the HTTP API) and `hivewatch worker` (the queue workers).
import type { Command } from 'commander';
import Fastify from 'fastify';
import { buildServer, type ServerPlugin } from '../api/server.js';
import { ConfigError, hasCredentials, loadConfig, describeConfig, type HivewatchConfig } from '../config.js';
import { createLogger, type Logger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { checkDurability, createRedis, requireRedisVersion, waitReady } from '../redis.js';
import { startWorkers, type RunningWorkers, type StageWorkerFactory } from '../worker.js';
import { responsePlugins } from '../response/stage.js';

interface CommonFlags {
  config?: string;
}

function loadOrExit(flags: CommonFlags, overrides: Record<string, unknown> = {}): HivewatchConfig {
  try {
    return loadConfig(process.env, flags.config, overrides);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

/** SIGTERM/SIGINT run `stop` once; a second signal exits at once. */
function onShutdown(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop()
      .then(() => process.exit(0))
      .catch((err: Error) => {
        logger.error({ err: { message: err.message } }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  process.on('unhandledRejection', (reason) => logger.error({ err: { message: String((reason as Error)?.message ?? reason) } }, 'unhandled rejection'));
}

/** A bare /metrics + /healthz listener for worker processes (job latency and durations are observed there). */
async function serveMetrics(metrics: ReturnType<typeof createMetrics>, host: string, port: number, logger: Logger) {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  const url = await app.listen({ host, port });
  logger.info({ url }, 'worker metrics listening');
  return app;
}

export interface ServeOptions {
  config: HivewatchConfig;
  withWorkers: boolean;
  logger: Logger;
  plugins?: ServerPlugin[];
  stages?: StageWorkerFactory[];
}

/** Starts the API (and optionally the workers) and returns a stop function. Used by the CLI and the bench. */
export async function serve(options: ServeOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const { config, logger } = options;
  if (!hasCredentials(config) && !config.auth.allowAnonymous) {
    throw new ConfigError('auth', 'no webhook credentials: set HIVEWATCH_BEARER_TOKENS, HIVEWATCH_BASIC_USERS or HIVEWATCH_HMAC_KEYS (or auth.allowAnonymous for development)');
  }
  const redis = createRedis(config.redis, 'producer', 'hivewatch-api');
  redis.on('error', (err) => logger.error({ err: { message: err.message } }, 'Redis connection error'));
  await waitReady(redis);
  await requireRedisVersion(redis);
  await checkDurability(redis, logger);
  const metrics = createMetrics({ defaultMetrics: true });
  let workers: RunningWorkers | undefined;
  if (options.withWorkers) workers = await startWorkers({ config, logger, metrics, stages: options.stages });
  const app = await buildServer({ config, redis, logger, metrics, plugins: options.plugins ?? responsePlugins() });
  const url = await app.listen({ host: config.http.host, port: config.http.port });
  logger.info({ url, withWorkers: options.withWorkers }, 'hivewatch API listening');
  return {
    url,
    async stop() {
      await app.close(); // stops accepting; in-flight requests finish first; closes the queues
      await workers?.close();
      await redis.quit().catch(() => undefined);
    },
  };
}

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP API (SIEM webhook, cases, health, metrics, Bull Board, OpenAPI)')
    .option('--with-workers', 'also run the queue workers in this process', false)
    .option('-c, --config <file>', 'config file (JSON or TOML); default $HIVEWATCH_CONFIG')
    .option('--port <port>', 'listen port (overrides HIVEWATCH_PORT)')
    .option('--host <host>', 'listen address (overrides HIVEWATCH_HOST)')
    .option('--print-config', 'print the effective configuration (secrets masked) and exit', false)
    .action(async (flags: CommonFlags & { withWorkers: boolean; port?: string; host?: string; printConfig: boolean }) => {
      const http: Record<string, unknown> = {};
      if (flags.port !== undefined) http.port = flags.port;
      if (flags.host !== undefined) http.host = flags.host;
      const config = loadOrExit(flags, Object.keys(http).length ? { http } : {});
      if (flags.printConfig) {
        process.stdout.write(`${JSON.stringify(describeConfig(config), null, 2)}\n`);
        return;
      }
      const logger = createLogger({ level: config.log.level });
      try {
        const running = await serve({ config, withWorkers: flags.withWorkers, logger });
        onShutdown(logger, running.stop);
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`${err.message}\n`);
          process.exit(78);
        }
        logger.fatal({ err: { message: (err as Error).message } }, 'cannot start');
        process.exit(1);
      }
    });

  program
    .command('worker')
    .description('run the queue workers (alerts, triage, and the response stage)')
    .option('-c, --config <file>', 'config file (JSON or TOML); default $HIVEWATCH_CONFIG')
    .option('--metrics-port <port>', 'serve /metrics and /healthz of this worker process on this port (loopback unless --metrics-host)')
    .option('--metrics-host <host>', 'address for --metrics-port', '127.0.0.1')
    .action(async (flags: CommonFlags & { metricsPort?: string; metricsHost: string }) => {
      const config = loadOrExit(flags);
      const logger = createLogger({ level: config.log.level });
      try {
        const probe = createRedis(config.redis, 'producer', 'hivewatch-probe');
        await waitReady(probe);
        await checkDurability(probe, logger);
        await probe.quit();
        const metrics = createMetrics({ defaultMetrics: true });
        const running = await startWorkers({ config, logger, metrics });
        metrics.watchQueues(Object.values(running.context.queues.byName));
        const exporter = flags.metricsPort === undefined ? undefined : await serveMetrics(metrics, flags.metricsHost, Number(flags.metricsPort), logger);
        onShutdown(logger, async () => {
          await exporter?.close();
          await running.close();
        });
      } catch (err) {
        logger.fatal({ err: { message: (err as Error).message } }, 'cannot start workers');
        process.exit(1);
      }
    });
}
