// The web console at /console (static page + the bundled script) and the one read route it needs beyond
// the steps API: a case with its report (evidence) and steps, for responder identities.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { bundleConsole, type ConsoleAssets } from '../console/bundle.js';
import type { ResponseRuntime } from '../response/runtime.js';
import { stepView } from '../response/views.js';
import { HttpError } from './errors.js';
import type { ServerContext, ServerPlugin } from './server.js';
import { principalOf } from './steps-routes.js';

// Same-origin only: the page can load and call nothing else.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const SECURITY_HEADERS = { 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };

export function consoleRoutes(runtime: (context: ServerContext) => ResponseRuntime): FastifyPluginAsync<ServerContext> {
  return async (app: FastifyInstance, context: ServerContext) => {
    const rt = runtime(context);
    const assets: ConsoleAssets = await bundleConsole();

    app.get('/console', async (_request, reply) => reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(assets.html));
    app.get('/console/', async (_request, reply) => reply.redirect('/console'));
    app.get('/console/app.js', async (_request, reply) => reply.headers(SECURITY_HEADERS).type('text/javascript; charset=utf-8').send(assets.js));
    app.get('/console/console.css', async (_request, reply) => reply.headers(SECURITY_HEADERS).type('text/css; charset=utf-8').send(assets.css));

    app.get<{ Params: { id: string } }>('/v1/response/cases/:id', async (request) => {
      principalOf(rt, request);
      const id = request.params.id;
      if (!/^[\w.-]{1,128}$/.test(id)) throw new HttpError(400, 'HW_ERR_BAD_REQUEST', 'id: letters, digits, "_", "." or "-"');
      const [record, report, steps, meta] = await Promise.all([context.cases.get(id), context.cases.getReport(id), rt.service.listSteps(id), rt.store.getMeta(id)]);
      if (!record && !report && steps.length === 0) throw new HttpError(404, 'HW_ERR_NOT_FOUND', `no case ${id}; pick one from GET /v1/response/cases`);
      return { caseId: id, case: record, report, evidenceVersion: meta?.evidenceVersion ?? null, steps: steps.map(stepView) };
    });
  };
}

export function consolePlugin(runtime: (context: ServerContext) => ResponseRuntime): ServerPlugin {
  return {
    name: 'response-console',
    plugin: consoleRoutes(runtime),
    openapi: { paths: { '/v1/response/cases/{id}': { get: { summary: 'A case with its report (evidence) and steps, for the console' } } } },
  };
}
