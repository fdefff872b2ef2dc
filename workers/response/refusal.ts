// Whether a failed vendor call definitely did not create the action. Only then may a retry send at once;
// any doubt (timeouts, dropped connections, 5xx, 408/409/429) keeps the reconcile grace period, so a crash or a
// lost response never sends a second isolate.

/** HTTP statuses of a 4xx answer that still leave the outcome open (timed out, conflict, rate limited). */
const AMBIGUOUS_4XX = new Set([408, 409, 429]);

/**
 * Codes a connector throws, with no HTTP status, before any request that creates the action was sent:
 * input validation, configuration, credentials that could not be obtained, a host with no agent to act on,
 * an open circuit breaker that refused to send.
 */
const REFUSED_BEFORE_SENDING = new Set([
  'HW_ERR_CONNECTOR_BAD_REQUEST',
  'HW_ERR_CONNECTOR_CONFIG',
  'HW_ERR_CONNECTOR_AUTH',
  'HW_ERR_CONNECTOR_NOT_FOUND',
  'HW_ERR_CONNECTOR_CIRCUIT_OPEN',
]);

export interface Refusal {
  code: string;
  status: number | null;
  reason: string;
}

/** A definite "not created" of a runAction failure, or null when the vendor may have created the action. */
export function definiteRefusal(err: unknown): Refusal | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { code?: unknown; status?: unknown; notCreated?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'error';
  const status = typeof e.status === 'number' ? e.status : null;
  // A connector may say so explicitly (e.g. a 5xx whose body states the action was not created).
  if (e.notCreated === true) return { code, status, reason: 'the connector reports the action was not created' };
  if (status !== null) {
    if (status >= 400 && status < 500 && !AMBIGUOUS_4XX.has(status)) return { code, status, reason: `the vendor refused the request (HTTP ${status})` };
    return null;
  }
  if (REFUSED_BEFORE_SENDING.has(code)) return { code, status, reason: 'refused before the request was sent' };
  return null;
}
