// Connector configuration: which EDR answers the playbook, and its credentials. Secrets are references
// (an env var or a file, `*_FILE` style) resolved only when the connector is built, held in a `Secret`
// that prints as [REDACTED], so they never reach logs, job data or error messages.

import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';
import { ConnectorError } from './http/errors.js';

/** A secret value that never prints itself. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '[REDACTED]';
  }
  toString(): string {
    return '[REDACTED]';
  }
  [inspect.custom](): string {
    return '[REDACTED]';
  }
}

/**
 * Where a secret comes from: `{ env: 'NAME' }` (also honours `NAME_FILE`), `{ file: '/run/secrets/x' }`,
 * or a literal string (for tests and local demos only).
 */
export const secretSourceSchema = z.union([
  z.string().min(1, 'must not be empty'),
  z.object({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name') }).strict(),
  z.object({ file: z.string().min(1, 'must be a file path') }).strict(),
]);
export type SecretSource = z.infer<typeof secretSourceSchema>;

type Env = Record<string, string | undefined>;

/**
 * Resolves a secret: the configured source, else the default env var `NAME` / `NAME_FILE`.
 * Throws HW_ERR_CONNECTOR_CONFIG naming the setting (never the value) when nothing is found.
 */
export function resolveSecret(vendor: string, setting: string, source: SecretSource | undefined, defaultEnv: string, env: Env = process.env): Secret {
  const fromFile = (path: string, what: string): Secret => {
    try {
      return new Secret(readFileSync(path, 'utf8').replace(/\r?\n$/, ''));
    } catch (e) {
      throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_CONFIG', vendor, operation: 'configure', detail: `${what}: cannot read the secret file (${(e as NodeJS.ErrnoException).code ?? 'error'})`, hint: 'check the path and its permissions' });
    }
  };
  const fromEnv = (name: string): Secret | undefined => {
    const file = env[`${name}_FILE`];
    if (file) return fromFile(file, `${name}_FILE`);
    const value = env[name];
    return value ? new Secret(value) : undefined;
  };
  if (typeof source === 'string') return new Secret(source);
  if (source && 'file' in source) return fromFile(source.file, `${setting}.file`);
  const name = source && 'env' in source ? source.env : defaultEnv;
  const found = fromEnv(name);
  if (!found) {
    throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_CONFIG', vendor, operation: 'configure', detail: `${setting} is not set`, hint: `set ${name} or ${name}_FILE, or give connector.${setting} as { env } or { file }` });
  }
  return found;
}

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const positiveInt = z.coerce.number().int().positive();

/** HTTP behaviour shared by every vendor connector. */
export const httpTuningSchema = z
  .object({
    timeoutMs: positiveInt.default(15_000),
    maxRetries: z.coerce.number().int().min(0).max(10).default(3),
    /** The longest single wait a rate-limit header may impose before the call fails. */
    maxWaitMs: positiveInt.default(60_000),
    breakerFailures: positiveInt.default(5),
    breakerCooldownMs: positiveInt.default(30_000),
  })
  .prefault({});

/** Where idempotency keys are remembered; `file` or `redis` survive a restart. */
export const keyStoreSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('memory') }),
    z.object({ type: z.literal('file'), path: z.string().min(1) }),
    z.object({ type: z.literal('redis'), url: z.string().regex(/^rediss?:\/\//).optional(), key: z.string().min(1).optional() }),
  ])
  .default({ type: 'memory' });

export const elasticConfigSchema = z.object({
  kind: z.literal('elastic'),
  elasticsearchUrl: url,
  kibanaUrl: url,
  /** Kibana space; the default space needs no prefix. */
  space: z.string().regex(/^[a-z0-9_-]+$/).optional(),
  /** Base64 `id:api_key` (the `encoded` field). Default env: HW_ELASTIC_API_KEY / HW_ELASTIC_API_KEY_FILE. */
  apiKey: secretSourceSchema.optional(),
  /** Index patterns per data category; defaults are the rule's indices (process) and Defend/Sysmon (file, network). */
  indices: z
    .object({
      process: z.array(z.string().min(1)).min(1).optional(),
      file: z.array(z.string().min(1)).min(1).optional(),
      network: z.array(z.string().min(1)).min(1).optional(),
    })
    .prefault({}),
  /** Half-width of the window used to pin a pid with no entity id (PID reuse). */
  pidWindowMs: positiveInt.default(5 * 60_000),
  pageSize: z.coerce.number().int().min(1).max(10_000).default(500),
  http: httpTuningSchema,
  keyStore: keyStoreSchema,
});

export const crowdstrikeConfigSchema = z.object({
  kind: z.literal('crowdstrike'),
  baseUrl: url.default('https://api.crowdstrike.com'),
  /** Default env: HW_CROWDSTRIKE_CLIENT_ID / _FILE. */
  clientId: secretSourceSchema.optional(),
  /** Default env: HW_CROWDSTRIKE_CLIENT_SECRET / _FILE. */
  clientSecret: secretSourceSchema.optional(),
  memberCid: z.string().min(1).optional(),
  /** NG-SIEM (LogScale) repository for event search; `search-all` per falconpy. */
  ngsiemRepository: z.string().min(1).default('search-all'),
  /** Process queries: NG-SIEM, Threat Graph, or NG-SIEM falling back to Threat Graph when unlicensed. */
  processSource: z.enum(['auto', 'ngsiem', 'threatgraph']).default('auto'),
  /** How often to poll a query job, and how long to wait for it. */
  queryPollMs: positiveInt.default(500),
  queryDeadlineMs: positiveInt.default(60_000),
  pidWindowMs: positiveInt.default(5 * 60_000),
  /** A device seen within this many ms counts as online (the device entity has no online flag). */
  onlineWithinMs: positiveInt.default(15 * 60_000),
  http: httpTuningSchema,
  keyStore: keyStoreSchema,
});

export const replayConfigSchema = z.object({
  kind: z.literal('replay'),
  datasetDir: z.string().min(1),
  stateDir: z.string().min(1).optional(),
});

export const defenderConfigSchema = z.object({
  kind: z.literal('defender'),
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  /** Default env: HW_DEFENDER_CLIENT_SECRET / _FILE. */
  clientSecret: secretSourceSchema.optional(),
  mdeBaseUrl: url.default('https://api.security.microsoft.com'),
  graphBaseUrl: url.default('https://graph.microsoft.com'),
  loginBaseUrl: url.default('https://login.microsoftonline.com'),
  /** Advanced Hunting through MDE (`/api/advancedqueries/run`) or Graph (`runHuntingQuery`). */
  hunting: z.enum(['mde', 'graph']).default('mde'),
  isolationType: z.enum(['Full', 'Selective']).default('Full'),
  /** A Live Response library script that stops the pid it is given; without it kill_process is unsupported. */
  killScriptName: z.string().min(1).optional(),
  pidToleranceMs: positiveInt.default(1_000),
  http: httpTuningSchema,
  keyStore: keyStoreSchema,
});

export const sentinelOneConfigSchema = z.object({
  kind: z.literal('sentinelone'),
  /** `https://<tenant>.sentinelone.net`. */
  baseUrl: url,
  /** Default env: HW_SENTINELONE_API_TOKEN / _FILE. */
  apiToken: secretSourceSchema.optional(),
  /** `deep-visibility` (1 init-query a minute; sunset 2027-02-15) or `powerquery` (SDL long-running queries). */
  engine: z.enum(['deep-visibility', 'powerquery']).default('deep-visibility'),
  /** Bearer token of the SDL query API, for engine powerquery. Default env: HW_SENTINELONE_SDL_TOKEN / _FILE. */
  sdlToken: secretSourceSchema.optional(),
  sdlBaseUrl: url.optional(),
  /** Deep Visibility allows one init-query a minute per token. */
  dvInitIntervalMs: positiveInt.default(60_000),
  dvPollMs: positiveInt.default(1_000),
  dvDeadlineMs: positiveInt.default(120_000),
  dvMaxEvents: positiveInt.default(20_000),
  ancestryLookbackMs: positiveInt.default(86_400_000),
  pidToleranceMs: positiveInt.default(1_000),
  http: httpTuningSchema,
  keyStore: keyStoreSchema,
});

export const connectorConfigSchema = z.discriminatedUnion('kind', [
  replayConfigSchema,
  elasticConfigSchema,
  crowdstrikeConfigSchema,
  defenderConfigSchema,
  sentinelOneConfigSchema,
]);

export type ConnectorConfig = z.infer<typeof connectorConfigSchema>;
export type ConnectorConfigInput = z.input<typeof connectorConfigSchema>;
export type ElasticConfig = z.infer<typeof elasticConfigSchema>;
export type CrowdStrikeConfig = z.infer<typeof crowdstrikeConfigSchema>;
export type ReplayConfig = z.infer<typeof replayConfigSchema>;
export type DefenderConfig = z.infer<typeof defenderConfigSchema>;
export type SentinelOneConfig = z.infer<typeof sentinelOneConfigSchema>;
export type HttpTuning = z.infer<typeof httpTuningSchema>;
export type KeyStoreConfig = z.infer<typeof keyStoreSchema>;

/** Parses a connector section; a bad value throws HW_ERR_CONNECTOR_CONFIG naming the field. */
export function parseConnectorConfig(raw: unknown): ConnectorConfig {
  const parsed = connectorConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue ? `connector.${issue.path.join('.') || 'kind'}` : 'connector';
  const kind = raw && typeof raw === 'object' && typeof (raw as { kind?: unknown }).kind === 'string' ? (raw as { kind: string }).kind : 'connector';
  throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_CONFIG', vendor: kind, operation: 'configure', detail: `${where}: ${issue?.message ?? 'invalid'}`, hint: 'fix that setting (kind is one of replay, elastic, crowdstrike, defender, sentinelone)' });
}
