// The fastify app: intake webhook, cases, health, metrics, Bull Board, OpenAPI, plus route plugins of other
// stages (`plugins`, e.g. the response routes). Returns the app un-listened: tests use `inject`, `serve` listens.
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AuditSink } from '../audit/types.js';
import { CaseStore } from '../cases/store.js';
import { hasCredentials, type HivewatchConfig } from '../config.js';
import { createMetrics, type Metrics } from '../metrics.js';
import { createQueues, type Queues } from '../queues.js';
import { duplicateConnection, waitReady } from '../redis.js';
import { adminRoutes } from './admin.js';
import { createAuthenticator, type Authenticator } from './auth.js';
import { caseReaderAuth } from './case-reader-auth.js';
import { HttpError, installErrorHandler } from './errors.js';
import { buildOpenApi, type OpenApiFragment } from './openapi.js';
import { createRateLimiter } from './rate-limit.js';
import { alertsRoutes } from './routes/alerts.js';
import { casesRoutes } from './routes/cases.js';
import { healthRoutes } from './routes/health.js';

/** What a route plugin of another stage receives besides the fastify instance. */
export interface ServerContext {
  config: HivewatchConfig;
  redis: Redis;
  queues: Queues;
  cases: CaseStore;
  metrics: Metrics;
  auth: Authenticator;
  audit?: AuditSink;
}

/**
 * A route plugin from another stage. Its routes can require credentials with `preHandler: [app.authenticate]`
 * and read `request.principal`; `request.rawBody` holds the raw JSON body.
 */
export interface ServerPlugin {
  name: string;
  plugin: FastifyPluginAsync<ServerContext>;
  /** Paths and schemas merged into /docs/openapi.json. */
  openapi?: OpenApiFragment;
  /** URL prefix for the plugin's routes. */
  prefix?: string;
}

export interface ServerDeps {
  config: HivewatchConfig;
  /** Producer connection (createRedis(url, 'producer')): fails fast so a request gets 503 when Redis is down. */
  redis: Redis;
  queues?: Queues;
  cases?: CaseStore;
  metrics?: Metrics;
  audit?: AuditSink;
  /** A pino logger, or false for none (tests). */
  logger?: Logger | false;
  plugins?: ServerPlugin[];
  /** Mount Bull Board (default: when admin credentials are configured). */
  bullBoard?: boolean;
  now?: () => number;
}

export interface HivewatchServer extends FastifyInstance {
  hivewatch: ServerContext;
}

export async function buildServer(deps: ServerDeps): Promise<HivewatchServer> {
  const { config, redis } = deps;
  // BullMQ defines 64 scripts on the connection it uses, and ioredis copies every defined script onto each
  // MULTI/pipeline object (about 50 µs here): the queues get their own connection, so our own calls stay
  // cheap. That connection does not auto-pipeline: each queue.add would build such a pipeline, and an
  // auto-pipelined connection has one pipeline in flight at a time, which held single-alert requests back.
  let queueConnection: Redis | undefined;
  if (!deps.queues) {
    queueConnection = duplicateConnection(redis, { enableAutoPipelining: false });
    queueConnection.on('error', () => undefined);
    await waitReady(queueConnection, 5000).catch(() => undefined); // Redis down: requests answer 503
  }
  const queues = deps.queues ?? createQueues(queueConnection!, config);
  const cases = deps.cases ?? new CaseStore(redis, { prefix: config.redis.prefix, ...config.cases, now: deps.now });
  const metrics = deps.metrics ?? createMetrics();
  metrics.watchQueues(Object.values(queues.byName));
  const auth = createAuthenticator({ config, redis, now: deps.now });
  const context: ServerContext = { config, redis, queues, cases, metrics, auth, audit: deps.audit };

  const app = Fastify({
    loggerInstance: deps.logger === false || deps.logger === undefined ? undefined : deps.logger,
    logger: deps.logger === undefined ? false : undefined,
    bodyLimit: config.http.bodyLimit,
    trustProxy: config.http.trustProxy,
    // Per-request log lines would cost more than the intake itself; metrics cover latency and status.
    logController: new LogController({ disableRequestLogging: true }),
    // No pino child per request (a child with redaction is built on every request otherwise): request.log is
    // the server logger, and an error log names its route itself.
    childLoggerFactory: (logger: unknown) => logger,
    return503OnClosing: true,
  } as Parameters<typeof Fastify>[0]) as unknown as HivewatchServer;
  app.decorate('hivewatch', context);
  app.addHook('onClose', async () => {
    if (!queueConnection) return;
    await queues.close();
    await queueConnection.quit().catch(() => undefined);
  });
  app.decorate('authenticate', auth.preHandler);
  app.decorateRequest('principal', undefined);
  app.decorateRequest('rawBody', undefined);
  installErrorHandler(app);

  // JSON for every other route keeps its raw bytes, so HMAC-signed requests verify on any route.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    request.rawBody = body;
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(body.toString('utf8')));
    } catch {
      done(new HttpError(400, 'HW_ERR_BODY_INVALID_JSON', 'the body is not valid JSON'), undefined);
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpLatency.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  const rateLimit = createRateLimiter({ redis, prefix: config.redis.prefix, max: config.rateLimit.max, windowMs: config.rateLimit.windowMs, now: deps.now });
  await app.register(alertsRoutes, {
    intake: { cases, alertsQueue: queues.alerts, acceptedRuleIds: config.intake.acceptedRuleIds, now: deps.now },
    metrics,
    bodyLimit: config.http.bodyLimit,
    maxEventLoopDelayMs: config.http.maxEventLoopDelayMs,
    maxHeapUsedBytes: config.http.maxHeapUsedBytes,
    rateLimit,
  });
  await app.register(casesRoutes, { cases, queues: queues.byName, authenticate: caseReaderAuth(config, auth) });
  await app.register(healthRoutes, { config, redis, metrics });

  const openapi = buildOpenApi((deps.plugins ?? []).flatMap((plugin) => (plugin.openapi ? [plugin.openapi] : [])));
  app.get('/docs/openapi.json', async () => openapi);

  if (deps.bullBoard ?? config.admin !== undefined) {
    await app.register(adminRoutes, { config, queues: Object.values(queues.byName) });
  }
  for (const plugin of deps.plugins ?? []) {
    await app.register(plugin.plugin, { ...context, prefix: plugin.prefix });
  }
  if (!hasCredentials(config) && !config.auth.allowAnonymous) {
    app.log.warn('no webhook credentials configured (auth.bearerTokens / basicUsers / hmacKeys): every request will get 401');
  }
  return app;
}
