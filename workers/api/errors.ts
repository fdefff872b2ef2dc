// API errors: a stable code (HW_ERR_...) users can search for, an HTTP status, and a message that names the
// bad field and says what to do. The error handler maps fastify's own errors onto the same shape.
import type { FastifyError, FastifyInstance } from 'fastify';
import { z } from 'zod';

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('stable error code, e.g. HW_ERR_AUTH_INVALID'),
    message: z.string(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'HW_ERR_BODY_TOO_LARGE', message: 'the request body exceeds http.bodyLimit (HIVEWATCH_BODY_LIMIT); send fewer alerts per request' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'HW_ERR_MEDIA_TYPE',
    message: 'unsupported Content-Type; send application/json or application/x-ndjson',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'HW_ERR_BODY_LENGTH', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'HW_ERR_BODY_EMPTY', message: 'the body is empty; send a JSON document' },
};

/** Installs the error handler that gives every error the `{error: {code, message}}` body. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | HttpError | Error, request, reply) => {
    if (err instanceof HttpError) {
      void reply.headers(err.headers).status(err.statusCode).send(errorBody(err.code, err.message));
      return;
    }
    const code = (err as FastifyError).code;
    const known = code ? FASTIFY_CODES[code] : undefined;
    if (known) {
      void reply.status(known.status).send(errorBody(known.code, known.message));
      return;
    }
    if ((err as { code?: string }).code === 'HW_ERR_REDIS_UNAVAILABLE' || /Stream isn't writeable|Connection is closed|ECONNREFUSED/.test(err.message)) {
      request.log.error({ err: { message: err.message } }, 'Redis unavailable');
      void reply
        .header('Retry-After', '5')
        .status(503)
        .send(errorBody('HW_ERR_REDIS_UNAVAILABLE', 'the queue store is unavailable; nothing was stored, retry later'));
      return;
    }
    const status = (err as FastifyError).statusCode;
    if (status && status >= 400 && status < 500) {
      void reply.status(status).send(errorBody(code ?? 'HW_ERR_BAD_REQUEST', err.message));
      return;
    }
    request.log.error({ err, reqId: request.id, route: request.routeOptions.url }, 'unhandled error');
    void reply.status(500).send(errorBody('HW_ERR_INTERNAL', 'internal error; see the server log'));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody('HW_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}; see /docs/openapi.json`));
  });
}
