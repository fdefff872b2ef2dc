// zod schemas of the HTTP API: request validation and the source of the OpenAPI document.
import { z } from 'zod';
import { CASE_STATUSES } from '../cases/store.js';

export const intakeResultSchema = z.object({
  index: z.number().int().describe('position of the alert in the body (NDJSON: among non-empty lines)'),
  status: z.enum(['queued', 'duplicate', 'rejected']),
  alertId: z.string().optional().describe('kibana.alert.uuid, or the sha256 of rule id, source event id and original time'),
  caseId: z.string().optional(),
  case: z.string().optional().describe('path of the case: /v1/cases/{id}'),
  reason: z.string().optional().describe('why the alert was rejected, naming the field'),
});

export const intakeResponseSchema = z.object({
  received: z.number().int(),
  queued: z.number().int(),
  duplicate: z.number().int(),
  rejected: z.number().int(),
  results: z.array(intakeResultSchema),
});
export type IntakeResponse = z.infer<typeof intakeResponseSchema>;

export const caseViewSchema = z.object({
  id: z.string(),
  status: z.enum(CASE_STATUSES),
  hostId: z.string(),
  hostName: z.string().nullable(),
  userId: z.string().nullable(),
  userName: z.string().nullable(),
  parentKey: z.string().nullable().describe('entity:<parent entity id> or pid:<parent pid>; alerts sharing it and the host within the window join the case'),
  createdAt: z.number().int().describe('epoch ms'),
  updatedAt: z.number().int(),
  firstAlertAt: z.string(),
  lastAlertAt: z.string(),
  alertCount: z.number().int(),
  firstAlertId: z.string(),
  reportAt: z.number().int().optional(),
  disposition: z.string().optional(),
  score: z.number().optional(),
});

export const jobHistorySchema = z.object({
  queue: z.string(),
  jobId: z.string(),
  name: z.string().nullable(),
  state: z.string().describe('waiting, active, delayed, completed, failed, waiting-children, prioritized, removed'),
  attemptsMade: z.number().int(),
  attemptsStarted: z.number().int(),
  createdAt: z.number().int().nullable(),
  processedAt: z.number().int().nullable(),
  finishedAt: z.number().int().nullable(),
  failedReason: z.string().nullable(),
  failures: z.array(z.string()),
  logs: z.array(z.string()),
  returnValue: z.unknown(),
});

export const caseDetailSchema = z.object({
  case: caseViewSchema,
  alertIds: z.array(z.string()),
  jobs: z.array(jobHistorySchema),
  report: z.record(z.string(), z.unknown()).nullable().describe('the triage report (TriageReport) once stored'),
});

export const caseListQuerySchema = z.strictObject({
  'host.id': z.string().min(1).optional(),
  'user.id': z.string().min(1).optional(),
  status: z.enum(CASE_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  offset: z.coerce.number().int().min(0).optional(),
  history: z.enum(['true', 'false']).optional().describe('include job history per case (default true)'),
});

export const caseListSchema = z.object({
  cases: z.array(caseDetailSchema),
});

export const healthSchema = z.object({ status: z.literal('ok') });

export const readySchema = z.object({
  ready: z.boolean(),
  redis: z.object({ reachable: z.boolean(), latencyMs: z.number().nullable() }),
  workers: z.object({ seen: z.boolean(), count: z.number().int(), lastSeenAgoSeconds: z.number().nullable() }),
});
