// How the response stage plugs into the process: a worker on the `response` queue for `hivewatch worker`,
// and the API routes (steps + console) for `hivewatch serve`. Both build their runtime from the config.
import type { ServerContext, ServerPlugin } from '../api/server.js';
import { stepsPlugin } from '../api/steps-routes.js';
import type { StageWorkerFactory } from '../worker.js';
import { connectorFromConfig } from './connector.js';
import { registerResponseRuntime } from './propose.js';
import { createResponseRuntime, type ResponseRuntime } from './runtime.js';

export const responseStage: StageWorkerFactory = (context) => {
  const runtime = createResponseRuntime({
    config: context.config,
    redis: context.connection,
    connector: connectorFromConfig(context.config),
    queue: context.queues.response,
    cases: context.cases,
  });
  // The triage worker in this process hands its plans to this runtime (workers/response/propose.ts).
  registerResponseRuntime(runtime);
  return runtime.startWorker(context.connection, { name: context.name });
};

export function apiRuntime(context: ServerContext): ResponseRuntime {
  return createResponseRuntime({
    config: context.config,
    redis: context.redis,
    connector: connectorFromConfig(context.config),
    queue: context.queues.response,
    cases: context.cases,
  });
}

/** The response routes for buildServer's plugins. */
export function responsePlugins(): ServerPlugin[] {
  return [stepsPlugin(apiRuntime)];
}
