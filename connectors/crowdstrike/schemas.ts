// zod shapes of the CrowdStrike answers the connector reads (the common envelope, trimmed).
import { z } from 'zod';

const errorItem = z.object({ code: z.number().optional(), message: z.string().optional() });

export const envelopeSchema = <T extends z.ZodType>(resource: T) =>
  z.object({
    meta: z.object({ pagination: z.object({ offset: z.union([z.number(), z.string()]).optional(), limit: z.number().optional(), total: z.number().optional(), after: z.string().optional() }).partial().optional() }).partial().optional(),
    resources: z.array(resource).nullable().optional(),
    errors: z.array(errorItem).nullable().optional(),
  });

export const deviceSchema = z.looseObject({
  device_id: z.string(),
  hostname: z.string().optional(),
  status: z.string().optional(),
  platform_name: z.string().optional(),
  os_version: z.string().optional(),
  last_seen: z.string().optional(),
});

export const queryJobSchema = z.object({ id: z.string() });
export const jobPollSchema = z.object({
  done: z.boolean(),
  cancelled: z.boolean().optional(),
  events: z.array(z.record(z.string(), z.unknown())).optional(),
  metaData: z.object({ pollAfter: z.number().optional(), eventCount: z.number().optional() }).partial().optional(),
});

export const sessionSchema = z.looseObject({ session_id: z.string() });
export const commandSchema = z.looseObject({ cloud_request_id: z.string() });
export const commandStatusSchema = z.looseObject({ complete: z.boolean(), stdout: z.string().optional(), stderr: z.string().optional() });
export const alertSchema = z.looseObject({ composite_id: z.string() });
