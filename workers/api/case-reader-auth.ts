// Who may read cases (GET /v1/cases, /v1/cases/:id): a SIEM sender with webhook credentials, or a responder
// of any role (viewer and up) with their API token or the trusted SSO header. Each kind of caller keeps its one
// authenticator: responders resolve through response/identity.ts (as the steps routes do), senders through
// the webhook Authenticator. A responder identity is tried first; anything it does not recognise (e.g. a
// webhook bearer token) goes to the webhook authenticator, whose 401 is the answer when neither matches.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HivewatchConfig } from '../config.js';
import { parseResponseConfig } from '../response/config.js';
import { hasRole, resolvePrincipal, type Principal as Responder } from '../response/identity.js';
import type { Authenticator } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when a responder identity (token or SSO header) authenticated the request. */
    responder?: Responder;
  }
}

export type PreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export function caseReaderAuth(config: HivewatchConfig, webhook: Authenticator): PreHandler {
  const responseConfig = parseResponseConfig(config.response ?? {});
  return async (request, reply) => {
    const responder = resolvePrincipal(responseConfig, { headers: request.headers, remoteAddress: request.socket.remoteAddress });
    if (responder && hasRole(responder, 'viewer')) {
      request.responder = responder;
      return;
    }
    await webhook.preHandler(request, reply);
  };
}
