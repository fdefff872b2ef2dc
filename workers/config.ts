// hivewatch configuration: defaults < optional config file (JSON or TOML, HIVEWATCH_CONFIG) < environment.
// Validated with zod once at start-up; a bad value throws HW_ERR_CONFIG naming the setting. Secrets are
// never printed: the loaded object masks them in JSON.stringify / util.inspect, and describeConfig masks too.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------
// Sections other engineers own. Replace the placeholder with your schema in ONE line; keep it optional.
// connectors engineer: `import { connectorConfigSchema } from '../connectors/config.js';` and use it here.
const connectorSection = z.unknown().optional();
import { responseConfigSchema } from './response/config.js';
const responseSection = responseConfigSchema.prefault({});
import { triageConfigSchema } from './triage/settings.js';
// ---------------------------------------------------------------------------------------------------------

export class ConfigError extends Error {
  readonly code = 'HW_ERR_CONFIG';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`HW_ERR_CONFIG: ${setting}: ${message}`);
  }
}

const secret = z.string().min(1, 'must not be empty');
const positiveInt = z.coerce.number().int().positive();

const basicUserSchema = z.object({ user: z.string().min(1).regex(/^[^:]+$/, 'must not contain ":"'), password: secret });
const hmacKeySchema = z.object({ id: z.string().min(1).regex(/^[\w.-]+$/, 'use letters, digits, "_", "." or "-"'), secret });

export const configSchema = z.object({
  redis: z
    .object({
      /** The Redis URL; with `cluster`, one or more seed nodes of the Cluster, comma-separated. */
      url: z
        .string()
        .regex(/^rediss?:\/\/[^,\s]+(\s*,\s*rediss?:\/\/[^,\s]+)*$/, 'must start with redis:// or rediss:// (several, comma-separated, only with redis.cluster)')
        .default('redis://127.0.0.1:6379'),
      /** Prefix of every key hivewatch writes (queues, cases, nonces). Use a hash tag (`{hw}`) on Redis Cluster. */
      prefix: z
        .string()
        .min(1)
        .regex(/^[^\s]*[^\s:]:*$/, 'must not contain spaces')
        .default('hivewatch')
        // `hwtest:x:` and `hwtest:x` name the same namespace; keys add their own ":".
        .transform((prefix) => prefix.replace(/:+$/, '')),
      /** Connect in Redis Cluster mode (ioredis's Cluster client): MOVED redirections and failovers are followed. */
      cluster: z.boolean().default(false),
    })
    .superRefine((redis, ctx) => {
      // Scripts and BullMQ touch several keys at once: on a Cluster they must all hash to one slot.
      if (redis.cluster && !/\{[^}]+\}/.test(redis.prefix)) {
        ctx.addIssue({ code: 'custom', path: ['prefix'], message: 'on Redis Cluster the prefix needs a hash tag, e.g. "{hw}", so all keys of hivewatch share one slot' });
      }
      if (redis.cluster && redis.url.split(',').some((url) => /^\s*rediss?:\/\/[^/]+\/0*[1-9]/.test(url))) {
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'Redis Cluster has only database 0: drop the /<db> part of the URL' });
      }
      if (!redis.cluster && redis.url.includes(',')) {
        ctx.addIssue({ code: 'custom', path: ['url'], message: 'several URLs are seed nodes of a Redis Cluster: set redis.cluster (HIVEWATCH_REDIS_CLUSTER=true) or give one URL' });
      }
    })
    .prefault({}),
  http: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.coerce.number().int().min(0).max(65535).default(8080),
      /** Largest accepted request body in bytes (413 above). 100 alerts of ~8 KB fit in the default. */
      bodyLimit: positiveInt.default(5 * 1024 * 1024),
      trustProxy: z.union([z.boolean(), z.string()]).default(false),
      /**
       * Load shedding of the webhook: above this mean event-loop delay (ms) it answers 503 with Retry-After, so a
       * burst slows the SIEM down instead of taking the API down. 0 turns it off.
       */
      maxEventLoopDelayMs: z.coerce.number().int().nonnegative().default(1000),
      /** The same above this V8 heap size (bytes); 0 (the default) turns it off. */
      maxHeapUsedBytes: z.coerce.number().int().nonnegative().default(0),
    })
    .prefault({}),
  queues: z
    .object({
      /** Completed and failed jobs are kept this long so a case can be audited from its job history. */
      retentionDays: positiveInt.default(30),
      attempts: positiveInt.default(5),
      backoffMs: positiveInt.default(2000),
      alertsConcurrency: positiveInt.default(16),
      triageConcurrency: positiveInt.default(4),
      /** Seconds a worker gets on SIGTERM to finish active jobs before handing them back. */
      shutdownGraceSeconds: positiveInt.default(25),
    })
    .prefault({}),
  auth: z
    .object({
      /** Accepted as `Authorization: Bearer <token>` or `X-API-Key: <token>`; several for rotation. */
      bearerTokens: z.array(secret).default([]),
      basicUsers: z.array(basicUserSchema).default([]),
      /** HMAC-SHA256 keys; the sender names one with X-Hivewatch-Key-Id or we try each. */
      hmacKeys: z.array(hmacKeySchema).default([]),
      hmacWindowSeconds: positiveInt.default(300),
      /** Development only: accept requests without credentials. */
      allowAnonymous: z.boolean().default(false),
    })
    .prefault({}),
  rateLimit: z
    .object({
      /** Requests per source (credential, else client address) per window. */
      max: positiveInt.default(600),
      windowMs: positiveInt.default(60_000),
    })
    .prefault({}),
  cases: z
    .object({
      /** Alerts of the same host and parent process within this many minutes join one case. */
      groupingWindowMinutes: positiveInt.default(60),
      /** How long cases and the alert-id dedup index live in Redis. */
      retentionDays: positiveInt.default(365),
    })
    .prefault({}),
  intake: z
    .object({
      /** Alerts of other rules are rejected; an empty list accepts every rule. */
      acceptedRuleIds: z.array(z.string().min(1)).default(['a7e7bfa3-088e-4f13-b29e-3986e0e756b8']),
    })
    .prefault({}),
  /** Bull Board at /admin/queues; not mounted when unset. */
  admin: z.object({ user: z.string().min(1), password: secret }).optional(),
  workers: z
    .object({
      /** /readyz fails when no worker heartbeat was seen within this many seconds. */
      heartbeatSeconds: positiveInt.default(10),
      readyRequiresWorkers: z.boolean().default(true),
    })
    .prefault({}),
  log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
  connector: connectorSection,
  triage: triageConfigSchema,
  response: responseSection,
});

export type HivewatchConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

type Env = Record<string, string | undefined>;

/** Reads `NAME` or, when set, the file named by `NAME_FILE` (trailing newline trimmed). */
function envValue(env: Env, name: string): string | undefined {
  const path = env[`${name}_FILE`];
  if (path) {
    try {
      return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError(`${name}_FILE`, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'}); check the path`);
    }
  }
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Comma- or newline-separated lists, so a `_FILE` can hold one secret per line. */
function list(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function pairs(name: string, value: string): [string, string][] {
  return list(value).map((item) => {
    const at = item.indexOf(':');
    if (at <= 0 || at === item.length - 1) throw new ConfigError(name, 'expected comma-separated "name:secret" pairs');
    return [item.slice(0, at), item.slice(at + 1)];
  });
}

type Plain = Record<string, unknown>;

function set(target: Plain, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Plain;
  }
  node[parts[parts.length - 1]!] = value;
}

function pick(source: Plain, path: string): unknown {
  let node: unknown = source;
  for (const part of path.split('.')) node = node && typeof node === 'object' ? (node as Plain)[part] : undefined;
  return node;
}

function bool(name: string, value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(name, 'expected true or false');
}

/** The environment variables hivewatch reads, each mapped to its config path. */
export const ENV_SETTINGS: Record<string, string> = {
  REDIS_URL: 'redis.url',
  HIVEWATCH_PREFIX: 'redis.prefix',
  HIVEWATCH_REDIS_CLUSTER: 'redis.cluster',
  HIVEWATCH_HOST: 'http.host',
  HIVEWATCH_PORT: 'http.port',
  HIVEWATCH_BODY_LIMIT: 'http.bodyLimit',
  HIVEWATCH_TRUST_PROXY: 'http.trustProxy',
  HIVEWATCH_MAX_EVENT_LOOP_DELAY_MS: 'http.maxEventLoopDelayMs',
  HIVEWATCH_MAX_HEAP_USED_BYTES: 'http.maxHeapUsedBytes',
  HIVEWATCH_RETENTION_DAYS: 'queues.retentionDays',
  HIVEWATCH_JOB_ATTEMPTS: 'queues.attempts',
  HIVEWATCH_ALERTS_CONCURRENCY: 'queues.alertsConcurrency',
  HIVEWATCH_TRIAGE_CONCURRENCY: 'queues.triageConcurrency',
  HIVEWATCH_SHUTDOWN_GRACE_SECONDS: 'queues.shutdownGraceSeconds',
  HIVEWATCH_BEARER_TOKENS: 'auth.bearerTokens',
  HIVEWATCH_BASIC_USERS: 'auth.basicUsers',
  HIVEWATCH_HMAC_KEYS: 'auth.hmacKeys',
  HIVEWATCH_HMAC_WINDOW_SECONDS: 'auth.hmacWindowSeconds',
  HIVEWATCH_ALLOW_ANONYMOUS: 'auth.allowAnonymous',
  HIVEWATCH_RATE_LIMIT_MAX: 'rateLimit.max',
  HIVEWATCH_RATE_LIMIT_WINDOW_MS: 'rateLimit.windowMs',
  HIVEWATCH_CASE_WINDOW_MINUTES: 'cases.groupingWindowMinutes',
  HIVEWATCH_CASE_RETENTION_DAYS: 'cases.retentionDays',
  HIVEWATCH_ACCEPTED_RULE_IDS: 'intake.acceptedRuleIds',
  HIVEWATCH_ADMIN_USER: 'admin.user',
  HIVEWATCH_ADMIN_PASSWORD: 'admin.password',
  HIVEWATCH_READY_REQUIRES_WORKERS: 'workers.readyRequiresWorkers',
  HIVEWATCH_LOG_LEVEL: 'log.level',
  HIVEWATCH_RULE_VERSION: 'triage.ruleVersion',
  HIVEWATCH_WORKFLOWS_FILE: 'triage.workflowsFile',
  HIVEWATCH_ASSETS_FILE: 'triage.assets.file',
  HIVEWATCH_ASSETS_URL: 'triage.assets.url',
};

/** Settings whose env override replaces the file's whole object (one asset source, never a mix of two). */
const REPLACED_BY_ENV = ['triage.assets'];

function fromEnv(env: Env): Plain {
  const out: Plain = {};
  for (const [name, path] of Object.entries(ENV_SETTINGS)) {
    const value = envValue(env, name);
    if (value === undefined) continue;
    switch (name) {
      case 'HIVEWATCH_BEARER_TOKENS':
        set(out, path, list(value));
        break;
      case 'HIVEWATCH_ACCEPTED_RULE_IDS':
        set(out, path, value.trim() === '*' ? [] : list(value));
        break;
      case 'HIVEWATCH_BASIC_USERS':
        set(out, path, pairs(name, value).map(([user, password]) => ({ user, password })));
        break;
      case 'HIVEWATCH_HMAC_KEYS':
        set(out, path, pairs(name, value).map(([id, key]) => ({ id, secret: key })));
        break;
      case 'HIVEWATCH_ALLOW_ANONYMOUS':
      case 'HIVEWATCH_READY_REQUIRES_WORKERS':
      case 'HIVEWATCH_REDIS_CLUSTER':
        set(out, path, bool(name, value));
        break;
      case 'HIVEWATCH_TRUST_PROXY':
        set(out, path, /^(true|false)$/i.test(value) ? bool(name, value) : value);
        break;
      default:
        set(out, path, value);
    }
  }
  return out;
}

function readConfigFile(path: string): Plain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('HIVEWATCH_CONFIG', `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}); check the path`);
  }
  try {
    const parsed: unknown = /\.toml$/i.test(path) ? parseToml(text) : JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Plain;
  } catch (err) {
    // The parser's message can quote file content, which may be a secret: name the position only.
    const where = err instanceof SyntaxError ? 'invalid syntax' : 'the top level must be a table/object';
    throw new ConfigError('HIVEWATCH_CONFIG', `${path}: ${where}; use JSON, or TOML with a .toml extension`);
  }
}

function merge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && prior && typeof prior === 'object' && !Array.isArray(prior)
        ? merge(prior as Plain, value as Plain)
        : value;
  }
  return out;
}

const SECRET_KEYS = /^(password|secret|token|tokens|bearerTokens|apiKey|api_key|clientSecret|client_secret|privateKey|private_key|key)$/i;

/** A copy of the config with every secret replaced by "***" (also masks credentials inside redis.url). */
export function describeConfig(config: unknown): unknown {
  const mask = (value: unknown, key: string): unknown => {
    if (SECRET_KEYS.test(key) && value !== undefined && value !== null) {
      return Array.isArray(value) ? value.map(() => '***') : '***';
    }
    if (Array.isArray(value)) return value.map((item) => mask(item, ''));
    if (value && typeof value === 'object') {
      const out: Plain = {};
      for (const [inner, innerValue] of Object.entries(value)) out[inner] = mask(innerValue, inner);
      return out;
    }
    // User info and the query string of a URL may carry credentials (a CMDB token, a Redis password).
    if (key === 'url' && typeof value === 'string') return value.replace(/\/\/[^@/,]*@/g, '//***@').replace(/\?[^,]*/g, '?***');
    return value;
  };
  return mask(config, '');
}

/**
 * Loads and validates the configuration. `file` overrides HIVEWATCH_CONFIG; `overrides` (tests, CLI flags)
 * win over everything.
 */
export function loadConfig(env: Env = process.env, file?: string, overrides: ConfigInput | Plain = {}): HivewatchConfig {
  const path = file ?? env.HIVEWATCH_CONFIG;
  const fromFile = path ? readConfigFile(path) : {};
  const envConfig = fromEnv(env);
  const raw = merge(merge(fromFile, envConfig), overrides as Plain);
  for (const path of REPLACED_BY_ENV) {
    const fromEnvValue = pick(envConfig, path);
    if (fromEnvValue !== undefined && pick(overrides as Plain, path) === undefined) set(raw, path, fromEnvValue);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const setting = issue.path.join('.') || '(config)';
    const envName = Object.entries(ENV_SETTINGS).find(([, p]) => setting.startsWith(p))?.[0];
    throw new ConfigError(envName ? `${setting} (${envName})` : setting, issue.message);
  }
  return withMaskedOutput(result.data);
}

/** Makes JSON.stringify and console.log/util.inspect print the masked form. */
export function withMaskedOutput<T extends object>(config: T): T {
  Object.defineProperty(config, 'toJSON', { value: () => describeConfig({ ...config }), enumerable: false });
  Object.defineProperty(config, inspect.custom, { value: () => describeConfig({ ...config }), enumerable: false });
  return config;
}

/** True when at least one way to authenticate webhooks is configured. */
export function hasCredentials(config: HivewatchConfig): boolean {
  return config.auth.bearerTokens.length + config.auth.basicUsers.length + config.auth.hmacKeys.length > 0;
}
