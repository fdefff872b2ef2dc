// Validates an ActionRequest before any vendor is called: each kind names the fields it needs, and a
// missing one is a HW_ERR_CONNECTOR_BAD_REQUEST that names the field.

import { z } from 'zod';
import type { ActionRequest } from '../types.js';
import { ConnectorError } from './errors.js';

const base = { idempotencyKey: z.string().min(1, 'must be a non-empty idempotency key'), comment: z.string().max(2000).optional() };
const processRef = z.object({
  hostId: z.string().min(1),
  entityId: z.string().min(1).optional(),
  pid: z.number().int().positive().optional(),
  startTime: z.string().optional(),
});

export const actionRequestSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('isolate_host'), hostId: z.string().min(1, 'is required to isolate a host'), alertIds: z.array(z.string()).optional(), ...base }),
  z.object({ kind: z.literal('release_host'), hostId: z.string().min(1, 'is required to release a host'), alertIds: z.array(z.string()).optional(), ...base }),
  z.object({
    kind: z.literal('kill_process'),
    process: processRef.refine((p) => p.entityId !== undefined || p.pid !== undefined, 'needs entityId or pid'),
    ...base,
  }),
  z.object({ kind: z.literal('disable_account'), userId: z.string().min(1, 'is required'), ...base }),
  z.object({ kind: z.literal('enable_account'), userId: z.string().min(1, 'is required'), ...base }),
  z.object({
    kind: z.literal('set_alert_status'),
    alertIds: z.array(z.string().min(1)).min(1, 'needs at least one alert id'),
    alertStatus: z.enum(['open', 'acknowledged', 'closed']),
    ...base,
  }),
]);

/** Returns the request when valid; throws a ConnectorError naming the first bad field otherwise. */
export function validateActionRequest(vendor: string, request: ActionRequest): ActionRequest {
  const parsed = actionRequestSchema.safeParse(request);
  if (parsed.success) return request;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join('.') || 'request';
  throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_BAD_REQUEST', vendor, operation: `runAction ${String(request?.kind)}`, detail: `${field} ${issue?.message ?? 'is invalid'}`, hint: `supply ${field} in the action request` });
}

/** A query window must be two ISO-8601 times in order; anything else is the caller's mistake. */
export function validateWindow(vendor: string, operation: string, window: { from: string; to: string }): void {
  const from = Date.parse(window?.from);
  const to = Date.parse(window?.to);
  const bad = Number.isNaN(from) ? 'window.from' : Number.isNaN(to) ? 'window.to' : from > to ? 'window' : null;
  if (bad) {
    throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_BAD_REQUEST', vendor, operation, detail: `${bad} is not a valid ISO-8601 time range (from ≤ to)`, hint: 'pass ISO-8601 times such as 2026-05-01T10:00:00Z' });
  }
}

/**
 * How an idempotency key is written into a vendor action's comment, so `findAction` can find the action in
 * the vendor's list after the process that sent it died. Bracketed, so `...-a1` never matches `...-a10`.
 */
export function keyMarker(idempotencyKey: string): string {
  return `[hw-key:${idempotencyKey}]`;
}
