// zod shapes of the Elastic responses the connector reads (trimmed to the fields it uses).
import { z } from 'zod';

export const searchResponseSchema = z.object({
  timed_out: z.boolean().optional(),
  _shards: z.object({ total: z.number(), successful: z.number().optional(), failed: z.number().optional(), failures: z.array(z.unknown()).optional() }).partial().optional(),
  hits: z.object({
    hits: z.array(
      z.object({
        _id: z.string(),
        _index: z.string().optional(),
        _source: z.record(z.string(), z.unknown()).optional(),
        sort: z.array(z.unknown()).optional(),
      }),
    ),
  }),
});
export type SearchResponse = z.infer<typeof searchResponseSchema>;

export const hostInfoSchema = z.object({
  host_status: z.string().optional(),
  metadata: z.object({
    agent: z.object({ id: z.string() }),
    host: z.object({ id: z.string().optional(), name: z.string().optional(), hostname: z.string().optional(), os: z.object({ name: z.string().optional() }).partial().optional() }).partial(),
    Endpoint: z.object({ state: z.object({ isolation: z.boolean().optional() }).partial().optional() }).partial().optional(),
  }),
});

export const metadataListSchema = z.object({ data: z.array(hostInfoSchema), total: z.number().optional() });

const actionDetailsSchema = z.looseObject({
  id: z.string(),
  command: z.string().optional(),
  status: z.string().optional(),
  isCompleted: z.boolean().optional(),
  isComplete: z.boolean().optional(),
  wasSuccessful: z.boolean().optional(),
  isExpired: z.boolean().optional(),
  errors: z.array(z.string()).nullable().optional(),
  agentState: z.record(z.string(), z.object({ errors: z.array(z.string()).nullable().optional() }).partial()).optional(),
});

export const actionResponseSchema = z.object({ data: actionDetailsSchema });
export const actionListSchema = z.object({ data: z.array(actionDetailsSchema), total: z.number().optional() });
export const statusUpdateSchema = z.object({ updated: z.number().optional(), version_conflicts: z.number().optional(), failures: z.array(z.unknown()).optional() });
