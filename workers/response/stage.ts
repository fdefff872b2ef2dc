// How the response stage plugs into the process: a worker on the `response` queue for `hivewatch worker`,
// and the API routes (steps + console) for `hivewatch serve`. Both build their runtime from the config.
import { consolePlugin } from '../api/console-routes.js';
import type { ServerContext, ServerPlugin } from '../api/server.js';
import { stepsPlugin } from '../api/steps-routes.js';
import type { StageWorkerFactory } from '../worker.js';
import { recordConfig } from './config-audit.js';
import { connectorFromConfig } from './connector.js';
import { rerunTriage } from './evidence.js';
import { registerResponseRuntime } from './propose.js';
import { auditLogFor, createResponseRuntime, type ResponseRuntime } from './runtime.js';

export const responseStage: StageWorkerFactory = async (context) => {
  const audit = auditLogFor(context.config, context.connection);
  const runtime = createResponseRuntime({
    config: context.config,
    redis: context.connection,
    connector: connectorFromConfig(context.config, context.connection, context.metrics?.connectors),
    queue: context.queues.response,
    cases: context.cases,
    audit,
    onMoreEvidence: rerunTriage(context.queues, context.cases, audit),
    metrics: context.metrics?.registry,
  });
  await recordConfig(audit, context.connection, context.config, `worker:${context.name}`);
  // The triage worker in this process hands its plans to this runtime (workers/response/propose.ts).
  registerResponseRuntime(runtime);
  return runtime.startWorker(context.connection, { name: context.name });
};

// Keyed by the server's Redis connection: each plugin gets its own copy of the context object.
const runtimes = new WeakMap<object, ResponseRuntime>();

/** One runtime per server, shared by the steps routes and the console. */
export function apiRuntime(context: ServerContext): ResponseRuntime {
  const known = runtimes.get(context.redis);
  if (known) return known;
  const audit = auditLogFor(context.config, context.redis);
  const runtime = createResponseRuntime({
    config: context.config,
    redis: context.redis,
    connector: connectorFromConfig(context.config, context.redis, context.metrics.connectors),
    queue: context.queues.response,
    cases: context.cases,
    audit,
    onMoreEvidence: rerunTriage(context.queues, context.cases, audit),
    metrics: context.metrics.registry,
  });
  runtimes.set(context.redis, runtime);
  return runtime;
}

/** The response routes for buildServer's plugins. */
export function responsePlugins(): ServerPlugin[] {
  return [stepsPlugin(apiRuntime), consolePlugin(apiRuntime)];
}
