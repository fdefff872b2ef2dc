// The fields each action needs, checked before anything is recorded.
import { z } from 'zod';
import type { ActionRequest } from '../types.js';

const text = z.string().min(1);
const processRef = z.object({
  hostId: text,
  entityId: text.optional(),
  pid: z.number().int().nonnegative().optional(),
  startTime: text.optional(),
});

const base = { idempotencyKey: text, comment: z.string().optional() };

const requestSchema = z.discriminatedUnion('kind', [
  z.object({ ...base, kind: z.literal('isolate_host'), hostId: text }),
  z.object({ ...base, kind: z.literal('release_host'), hostId: text }),
  z.object({
    ...base,
    kind: z.literal('kill_process'),
    hostId: text.optional(),
    process: processRef.refine((p) => p.entityId !== undefined || p.pid !== undefined, {
      message: 'needs process.entityId or process.pid',
    }),
  }),
  z.object({ ...base, kind: z.literal('disable_account'), userId: text }),
  z.object({ ...base, kind: z.literal('enable_account'), userId: text }),
  z.object({
    ...base,
    kind: z.literal('set_alert_status'),
    alertIds: z.array(text).nonempty(),
    alertStatus: z.enum(['open', 'acknowledged', 'closed']),
  }),
]);

/** The request's problems in words (field and what is wrong), or null when it is complete for its kind. */
export function actionRequestIssues(request: ActionRequest): string | null {
  const result = requestSchema.safeParse(request);
  if (result.success) return null;
  return result.error.issues.map((issue) => `field "${issue.path.join('.') || '(request)'}": ${issue.message}`).join('; ');
}
