// The response API: a case's steps, approve / deny / revert (and ask for more evidence, complete a manual
// step, retry a failed one), and the case's history as one timeline. Every route needs a responder identity
// (API token hashed in config, or a trusted SSO header); errors carry HW_ERR_ codes naming the problem.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ResponseError } from '../response/errors.js';
import { hasRole, requirePrincipal, type Principal } from '../response/identity.js';
import type { ResponseRuntime } from '../response/runtime.js';
import { caseTimeline, stepView } from '../response/views.js';
import { HttpError } from './errors.js';
import type { ServerContext, ServerPlugin } from './server.js';

const idSchema = z.string().regex(/^[\w.-]{1,128}$/, 'letters, digits, "_", "." or "-" (at most 128)');
const paramsSchema = z.object({ id: idSchema, step: idSchema.optional() });
const approveSchema = z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/, 'the 64-hex hash of the step you reviewed (GET /v1/cases/:id/steps)') });
const denySchema = z.object({ reason: z.string().trim().min(3, 'say why (at least 3 characters)').max(2000) });
const revertSchema = z.object({ reason: z.string().trim().min(3).max(2000).optional() });
const evidenceSchema = z.object({ question: z.string().trim().min(3, 'say what evidence is missing (at least 3 characters)').max(2000) });
const completeSchema = z.object({ outcome: z.enum(['done', 'failed']), note: z.string().trim().min(3, 'say what was done').max(2000) });

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.') || where;
  throw new HttpError(400, 'HW_ERR_BAD_REQUEST', `${field}: ${issue.message}`);
}

function toHttp(err: unknown): never {
  if (err instanceof ResponseError) throw new HttpError(err.status, err.code, err.message.replace(/^HW_ERR_\w+: /, ''));
  throw err;
}

export interface StepsRoutesOptions {
  /** Built once per server from its context (config, Redis, queues, cases). */
  runtime: (context: ServerContext) => ResponseRuntime;
}

declare module 'fastify' {
  interface FastifyRequest {
    responder?: Principal;
  }
}

export function principalOf(runtime: ResponseRuntime, request: FastifyRequest): Principal {
  try {
    return requirePrincipal(runtime.config, { headers: request.headers, remoteAddress: request.socket.remoteAddress });
  } catch (err) {
    return toHttp(err);
  }
}

export function stepsRoutes(options: StepsRoutesOptions): FastifyPluginAsync<ServerContext> {
  return async (app: FastifyInstance, context: ServerContext) => {
    const runtime = options.runtime(context);
    const { service } = runtime;
    const authed = async (request: FastifyRequest) => {
      request.responder = principalOf(runtime, request);
    };
    const ids = (request: FastifyRequest) => parse(paramsSchema, request.params, 'path');
    const run = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (err) {
        return toHttp(err);
      }
    };

    app.get('/v1/cases/:id/steps', { preHandler: authed }, async (request) => {
      const { id } = ids(request);
      const [steps, meta] = await run(() => Promise.all([service.listSteps(id), runtime.store.getMeta(id)]));
      if (!meta && steps.length === 0) throw new HttpError(404, 'HW_ERR_NOT_FOUND', `case ${id} has no proposed steps (yet); check the id or wait for triage`);
      return { caseId: id, evidenceVersion: meta?.evidenceVersion ?? null, planVersion: meta?.planVersion ?? null, disposition: meta?.disposition ?? null, steps: steps.map(stepView) };
    });

    app.post('/v1/cases/:id/steps/:step/approve', { preHandler: authed }, async (request) => {
      const { id, step } = ids(request);
      const body = parse(approveSchema, request.body, 'body');
      return { step: stepView(await run(() => service.approve(id, step!, request.responder!, body.hash))) };
    });

    app.post('/v1/cases/:id/steps/:step/deny', { preHandler: authed }, async (request) => {
      const { id, step } = ids(request);
      const body = parse(denySchema, request.body, 'body');
      return { step: stepView(await run(() => service.deny(id, step!, request.responder!, body.reason))) };
    });

    app.post('/v1/cases/:id/steps/:step/revert', { preHandler: authed }, async (request) => {
      const { id, step } = ids(request);
      const body = parse(revertSchema, request.body, 'body');
      return { step: stepView(await run(() => service.revert(id, step!, request.responder!, body.reason))) };
    });

    app.post('/v1/cases/:id/steps/:step/evidence', { preHandler: authed }, async (request) => {
      const { id, step } = ids(request);
      const body = parse(evidenceSchema, request.body, 'body');
      const result = await run(() => service.requestMoreEvidence(id, step!, request.responder!, body.question));
      return { evidenceVersion: result.evidenceVersion, steps: result.steps.map(stepView) };
    });

    app.post('/v1/cases/:id/steps/:step/complete', { preHandler: authed }, async (request) => {
      const { id, step } = ids(request);
      const body = parse(completeSchema, request.body, 'body');
      return { step: stepView(await run(() => service.completeManual(id, step!, request.responder!, body.outcome, body.note))) };
    });

    app.post('/v1/cases/:id/steps/:step/retry', { preHandler: authed }, async (request) => {
      const { id, step } = ids(request);
      return { step: stepView(await run(() => service.retry(id, step!, request.responder!))) };
    });

    app.get('/v1/cases/:id/history', { preHandler: authed }, async (request) => {
      const { id } = ids(request);
      const timeline = await caseTimeline(id, runtime.audit, context.cases, context.queues.byName);
      if (timeline.length === 0) throw new HttpError(404, 'HW_ERR_NOT_FOUND', `case ${id} has no history; check the id`);
      return { caseId: id, entries: timeline };
    });

    /** Cases with response steps (open = waiting for a person), with the case record and report summary. */
    app.get('/v1/response/cases', { preHandler: authed }, async (request) => {
      const query = parse(z.object({ open: z.enum(['true', 'false']).default('true') }), request.query, 'query');
      const ids = await runtime.store.listCases(query.open === 'true');
      const cases = await Promise.all(
        ids.map(async (caseId) => {
          const [record, steps, meta] = await Promise.all([context.cases.get(caseId), runtime.store.list(caseId), runtime.store.getMeta(caseId)]);
          return {
            caseId,
            case: record,
            disposition: meta?.disposition ?? record?.disposition ?? null,
            hostId: meta?.hostId ?? record?.hostId ?? null,
            criticality: meta?.criticality ?? null,
            steps: steps.length,
            waiting: steps.filter((step) => step.state === 'proposed').length,
          };
        }),
      );
      return { cases };
    });

    app.get('/v1/response/whoami', { preHandler: authed }, async (request) => ({
      id: request.responder!.id,
      role: request.responder!.role,
      via: request.responder!.via,
      canDecide: hasRole(request.responder!, 'responder'),
    }));
  };
}

/** The response routes as a server plugin (register it with buildServer's `plugins`). */
export function stepsPlugin(runtime: (context: ServerContext) => ResponseRuntime): ServerPlugin {
  return {
    name: 'response-steps',
    plugin: stepsRoutes({ runtime }),
    openapi: {
      paths: {
        '/v1/cases/{id}/steps': { get: { summary: 'The steps of a case with their state, hash, approvals and undo', security: [{ bearerAuth: [] }] } },
        '/v1/cases/{id}/steps/{step}/approve': { post: { summary: 'Approve a step: body {hash} of the step as reviewed (409 HW_ERR_STALE_HASH when it changed; 403 HW_ERR_SELF_APPROVAL, HW_ERR_ROLE_FORBIDDEN)' } },
        '/v1/cases/{id}/steps/{step}/deny': { post: { summary: 'Deny a step: body {reason}' } },
        '/v1/cases/{id}/steps/{step}/revert': { post: { summary: 'Propose the inverse of a done step (same approval rules): body {reason?}' } },
        '/v1/cases/{id}/steps/{step}/evidence': { post: { summary: 'Ask for more evidence: bumps the evidence version and voids approvals; body {question}' } },
        '/v1/cases/{id}/steps/{step}/complete': { post: { summary: 'Report the outcome of a manual step: body {outcome: done|failed, note}' } },
        '/v1/cases/{id}/steps/{step}/retry': { post: { summary: 'Propose a failed step again as a new attempt' } },
        '/v1/cases/{id}/history': { get: { summary: 'One timeline of BullMQ jobs (attempts, logs) and audit records of the case' } },
        '/v1/response/cases': { get: { summary: 'Cases with response steps; ?open=false for all' } },
      },
    },
  };
}
