// The OpenAPI 3.1 document, generated from the zod schemas of workers/api/schemas.ts (z.toJSONSchema).
// Plugins (e.g. the response routes) contribute their own paths and schemas through ServerPlugin.openapi.
import { z } from 'zod';
import { errorBodySchema } from './errors.js';
import {
  caseDetailSchema,
  caseListQuerySchema,
  caseListSchema,
  healthSchema,
  intakeResponseSchema,
  readySchema,
} from './schemas.js';

export interface OpenApiFragment {
  paths?: Record<string, unknown>;
  /** Extra component schemas, as zod schemas (converted here) or JSON Schema objects. */
  schemas?: Record<string, z.ZodType | Record<string, unknown>>;
}

const json = (schema: z.ZodType): Record<string, unknown> => z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });
const AUTH = [{ bearerAuth: [] }, { basicAuth: [] }, { apiKey: [] }, { hmacSignature: [], hmacTimestamp: [], hmacNonce: [] }];

export function buildOpenApi(fragments: OpenApiFragment[] = [], version = '0.1.0'): Record<string, unknown> {
  const querySchema = json(caseListQuerySchema) as { properties?: Record<string, Record<string, unknown>> };
  const schemas: Record<string, unknown> = {
    Error: json(errorBodySchema),
    IntakeResponse: json(intakeResponseSchema),
    CaseDetail: json(caseDetailSchema),
    CaseList: json(caseListSchema),
    Health: json(healthSchema),
    Ready: json(readySchema),
  };
  const paths: Record<string, unknown> = {
    '/v1/alerts/elastic': {
      post: {
        summary: 'Receive detection alerts from Kibana (or any SIEM)',
        description:
          'Accepts one alert document (nested or dotted; kibana.alert.* or legacy signal.*), {"alerts": [...]}, a bare array, or NDJSON (application/x-ndjson). JSON is also read from text/plain, +json types, and bodies with no Content-Type. Each alert is validated on its own; the answer lists queued, duplicate or rejected (with the reason) and the case per alert. 2xx only after the alerts are stored in Redis.',
        security: AUTH,
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: { oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] } },
            'application/x-ndjson': { schema: { type: 'string', description: 'one alert (JSON object) per line' } },
          },
        },
        responses: {
          '202': { description: 'at least one alert stored (queued or duplicate)', content: { 'application/json': { schema: ref('IntakeResponse') } } },
          '400': {
            description: 'the body has no usable alert (IntakeResponse when every alert was rejected, Error when the shape is wrong)',
            content: { 'application/json': { schema: { oneOf: [ref('IntakeResponse'), ref('Error')] } } },
          },
          '401': errorResponse('missing or invalid credentials, expired timestamp or replayed nonce; nothing stored'),
          '413': errorResponse('body larger than http.bodyLimit'),
          '415': errorResponse('unsupported Content-Type'),
          '429': { ...errorResponse('rate limit of this source exceeded'), headers: { 'Retry-After': { schema: { type: 'integer' } } } },
          '503': { ...errorResponse('Redis unavailable (HW_ERR_REDIS_UNAVAILABLE) or the API overloaded (HW_ERR_OVERLOADED); nothing stored, retry'), headers: { 'Retry-After': { schema: { type: 'integer' } } } },
        },
      },
    },
    '/v1/cases': {
      get: {
        summary: 'List cases, newest first, with their job history',
        security: AUTH,
        parameters: Object.entries(querySchema.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: false, schema })),
        responses: { '200': { description: 'cases', content: { 'application/json': { schema: ref('CaseList') } } }, '400': errorResponse('bad filter'), '401': errorResponse('unauthenticated') },
      },
    },
    '/v1/cases/{id}': {
      get: {
        summary: 'A case with its alerts, job history across queues and triage report',
        security: AUTH,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'the case', content: { 'application/json': { schema: ref('CaseDetail') } } }, '401': errorResponse('unauthenticated'), '404': errorResponse('no such case') },
      },
    },
    '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'alive', content: { 'application/json': { schema: ref('Health') } } } } } },
    '/readyz': {
      get: {
        summary: 'Readiness: Redis reachable and workers seen',
        responses: {
          '200': { description: 'ready', content: { 'application/json': { schema: ref('Ready') } } },
          '503': { description: 'not ready', content: { 'application/json': { schema: ref('Ready') } } },
        },
      },
    },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
    '/docs/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
    '/admin/queues': { get: { summary: 'Bull Board (HTTP Basic with the admin credentials)', security: [{ basicAuth: [] }], responses: { '200': { description: 'UI' }, '401': { description: 'admin credentials required' } } } },
  };
  for (const fragment of fragments) {
    Object.assign(paths, fragment.paths ?? {});
    for (const [name, schema] of Object.entries(fragment.schemas ?? {})) {
      schemas[name] = schema instanceof z.ZodType ? json(schema) : schema;
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'hivewatch', version, description: 'SOAR playbook worker for registry hive dumping alerts (intake, cases, response)' },
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer' },
        basicAuth: { type: 'http', scheme: 'basic' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        hmacSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Hivewatch-Signature',
          description: 'sha256=<hex HMAC-SHA256 of "<timestamp>.<nonce>." + raw body>; optional X-Hivewatch-Key-Id names the key',
        },
        hmacTimestamp: { type: 'apiKey', in: 'header', name: 'X-Hivewatch-Timestamp', description: 'Unix seconds; within 300 s of server time' },
        hmacNonce: { type: 'apiKey', in: 'header', name: 'X-Hivewatch-Nonce', description: 'unique per request (8-128 of [A-Za-z0-9_-]); reuse is refused' },
      },
    },
  };
}
