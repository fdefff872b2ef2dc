// The response stage's configuration: who may do what, approval rules, timeouts and the notification hook.
// `workers/config.ts` plugs this schema in under `response`; every field has its default here.
import { z } from 'zod';

export const ROLES = ['viewer', 'responder', 'lead', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const TIMEOUT_DEFAULTS = ['hold', 'deny', 'escalate'] as const;
export type TimeoutDefault = (typeof TIMEOUT_DEFAULTS)[number];

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex SHA-256 (e.g. `printf %s TOKEN | sha256sum`)');

export const identitySchema = z.object({
  /** The name that appears in audit records and approvals. */
  id: z.string().min(1).max(128),
  role: z.enum(ROLES),
  /** SHA-256 of the identity's API token; the token itself is never stored. */
  tokenSha256: sha256Hex.optional(),
});
export type Identity = z.infer<typeof identitySchema>;

export const trustedHeaderSchema = z.object({
  /** Header the SSO proxy sets to the signed-in user's id (must match an identity's `id`). */
  userHeader: z.string().min(1).default('x-forwarded-user'),
  /** Header carrying the proxy's shared secret; the proxy must strip it from client requests. */
  secretHeader: z.string().min(1).default('x-hivewatch-proxy-secret'),
  /** SHA-256 of that shared secret. */
  secretSha256: sha256Hex,
  /** Source addresses of the proxy; requests from elsewhere never get the header identity. */
  allowedProxies: z.array(z.string().min(1)).min(1).default(['127.0.0.1', '::1', '::ffff:127.0.0.1']),
});

export const notifySchema = z.object({
  /** Slack-compatible incoming webhook URL that hears about steps waiting for approval. */
  url: z.url(),
  /** Name of the environment variable holding the HMAC-SHA256 signing secret (never the secret itself). */
  secretEnv: z.string().min(1).default('HW_NOTIFY_SECRET'),
  attempts: z.number().int().min(1).max(20).default(5),
  backoffMs: z.number().int().min(10).default(2_000),
  timeoutMs: z.number().int().min(100).default(5_000),
  /** Link base for the console in messages, e.g. https://hivewatch.example/console. */
  consoleUrl: z.string().optional(),
});

export const responseConfigSchema = z.object({
  identities: z.array(identitySchema).default([]),
  trustedHeader: trustedHeaderSchema.optional(),
  /** How long a given approval stays valid while the step waits for its second approver or its run. */
  approvalTtlSeconds: z.number().int().positive().default(3_600),
  /** How long a proposed step waits for a decision before its timeout default applies. */
  stepTimeoutSeconds: z.number().int().positive().default(4 * 3_600),
  /** What a timeout does, per plan action; `default` covers the rest. */
  timeoutDefaults: z.record(z.string(), z.enum(TIMEOUT_DEFAULTS)).default({
    isolate_host: 'escalate',
    disable_account: 'escalate',
    terminate_process: 'deny',
    default: 'hold',
  }),
  /** Actions that need two distinct approvers. Any step on a `critical` host does too. */
  highImpactActions: z.array(z.string()).default(['isolate_host', 'disable_account']),
  /** How often and how long the executor polls a pending vendor action before the job retries. */
  pollIntervalMs: z.number().int().min(10).default(2_000),
  pollAttempts: z.number().int().min(1).default(30),
  /**
   * A retry that finds a step running with no action id, and no vendor action under its key, waits this long
   * after the earlier request was sent before sending again: the vendor may still be creating that action.
   * Keep it above the connectors' request timeout (with retries).
   */
  reconcileGraceMs: z.number().int().min(0).default(120_000),
  notify: notifySchema.optional(),
});

export type ResponseConfig = z.infer<typeof responseConfigSchema>;
export type ResponseConfigInput = z.input<typeof responseConfigSchema>;

export class ResponseConfigError extends Error {
  readonly code = 'HW_ERR_RESPONSE_CONFIG';
}

export function parseResponseConfig(raw: unknown): ResponseConfig {
  const result = responseConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `response.${issue.path.join('.')}: ${issue.message}`);
    throw new ResponseConfigError(`invalid response config; fix ${issues.join('; ')}`);
  }
  const ids = new Set<string>();
  for (const identity of result.data.identities) {
    if (ids.has(identity.id)) throw new ResponseConfigError(`response.identities: id "${identity.id}" appears twice; make ids unique`);
    ids.add(identity.id);
  }
  return result.data;
}

export function timeoutDefaultFor(config: ResponseConfig, action: string): TimeoutDefault {
  return config.timeoutDefaults[action] ?? config.timeoutDefaults.default ?? 'hold';
}
