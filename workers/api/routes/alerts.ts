// POST /v1/alerts/elastic: the SIEM webhook. The body is kept raw (HMAC signs the raw bytes; NDJSON and the
// broken Kibana template forms are not plain JSON), parsed by workers/intake/extract.ts, admitted and queued.
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BodyShapeError, extractAlerts } from '../../intake/extract.js';
import { admitItems, type IntakeDeps } from '../../intake/admit.js';
import type { Metrics } from '../../metrics.js';
import { errorBody, HttpError } from '../errors.js';
import type { IntakeResponse } from '../schemas.js';

export interface AlertsRouteOptions {
  intake: IntakeDeps;
  metrics: Metrics;
  bodyLimit: number;
  /** Load shedding thresholds (config.http); 0 turns one off. */
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
  rateLimit: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/** Media types accepted: JSON (any +json), NDJSON, and text/plain (some senders label JSON as text). */
export const ACCEPTED_MEDIA_TYPES = [/^application\/([\w.-]+\+)?json\b/i, /^application\/(x-)?ndjson\b/i, /^application\/jsonl(ines)?\b/i, /^text\/plain\b/i];

/**
 * The listed types, plus two that senders use for JSON without saying so: no Content-Type at all (Kibana's
 * webhook when the connector sets no header) and x-www-form-urlencoded (the default of old axios, so of
 * Kibana 7.x) when the body is plainly JSON. Anything else is 415.
 */
export function acceptsMediaType(contentType: string | undefined, body: Buffer): boolean {
  if (contentType !== undefined && ACCEPTED_MEDIA_TYPES.some((type) => type.test(contentType))) return true;
  const looksJson = /^\s*[[{]/.test(body.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, ''));
  if (contentType === undefined || contentType.trim() === '') return true; // empty/odd bodies get 400 from the parser
  return /^application\/x-www-form-urlencoded\b/i.test(contentType) && looksJson;
}

/** Seconds a shed sender is asked to wait: longer than one sampling interval, so the next try sees fresh figures. */
const SHED_RETRY_AFTER = 5;

export async function alertsRoutes(app: FastifyInstance, options: AlertsRouteOptions): Promise<void> {
  // Registered in this plugin's context only: health, metrics and the case API still answer under pressure.
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    maxHeapUsedBytes: options.maxHeapUsedBytes,
    sampleInterval: 500,
    pressureHandler: (_request, reply, type) => {
      void reply
        .header('Retry-After', String(SHED_RETRY_AFTER))
        .status(503)
        .send(errorBody('HW_ERR_OVERLOADED', `hivewatch is overloaded (${type}); nothing was stored, retry after ${SHED_RETRY_AFTER} s`));
    },
  });
  // This plugin context only: every accepted type arrives as a Buffer.
  app.removeAllContentTypeParsers();
  // Every type (and none) is read as a Buffer; the handler decides what it accepts, so it can answer 415 with our
  // error shape and take Kibana's bodies that carry no Content-Type.
  const keepRaw = (request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    request.rawBody = body;
    done(null, body);
  };
  // The common types by name: fastify caches a named match per Content-Type string, while the catch-all is
  // looked up anew (Content-Type parsed) on every request.
  for (const type of ['application/json', 'application/x-ndjson']) app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: options.bodyLimit }, keepRaw);
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimit }, keepRaw);

  app.post(
    '/v1/alerts/elastic',
    { bodyLimit: options.bodyLimit, preHandler: [app.authenticate, options.rateLimit] },
    async (request, reply) => {
      const body = request.body;
      if (!Buffer.isBuffer(body) || !acceptsMediaType(request.headers['content-type'], body)) {
        throw new HttpError(415, 'HW_ERR_MEDIA_TYPE', 'unsupported Content-Type; send application/json or application/x-ndjson');
      }
      let items;
      try {
        items = extractAlerts(body, request.headers['content-type']);
      } catch (err) {
        if (err instanceof BodyShapeError) throw new HttpError(400, err.code, err.message);
        throw err;
      }
      const results = await admitItems(items, request.principal?.id ?? 'anonymous', options.intake);
      const response: IntakeResponse = { received: results.length, queued: 0, duplicate: 0, rejected: 0, results };
      for (const result of results) response[result.status] += 1;
      // One increment per outcome, not per alert: label lookup is the costly part of a prom-client inc.
      for (const outcome of ['queued', 'duplicate', 'rejected'] as const) if (response[outcome] > 0) options.metrics.alerts.inc({ outcome }, response[outcome]);
      // 2xx once anything was stored; a body whose every alert was rejected is the sender's error (400, no retry).
      return reply.status(response.queued + response.duplicate > 0 ? 202 : 400).send(response);
    },
  );
}
