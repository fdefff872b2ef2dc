// Shared fixtures of the intake tests: a config on a unique Redis prefix, alerts in Kibana's shapes, cleanup.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { CaseStore, type CaseStoreOptions } from '../../workers/cases/store.js';
import { loadConfig, type ConfigInput, type HivewatchConfig } from '../../workers/config.js';
import { createRedis, deleteKeys, waitReady } from '../../workers/redis.js';

export const RULE_ID = 'a7e7bfa3-088e-4f13-b29e-3986e0e756b8';
export const TOKEN = 'test-token-0123456789abcdef';
export const TOKEN_OLD = 'old-token-fedcba9876543210';
export const HMAC_KEY = { id: 'k2026', secret: 'hmac-secret-aaaaaaaaaaaaaaaa' };
export const HMAC_KEY_OLD = { id: 'k2025', secret: 'hmac-secret-bbbbbbbbbbbbbbbb' };
export const BASIC = { user: 'kibana', password: 'kibana-pass-123' };
export const ADMIN = { user: 'admin', password: 'admin-pass-456' };

export function uniquePrefix(area: string): string {
  return `hwtest:${area}:${randomBytes(4).toString('hex')}`;
}

export function testConfig(prefix: string, { http, ...overrides }: ConfigInput = {}): HivewatchConfig {
  return loadConfig({}, undefined, {
    redis: { url: 'redis://127.0.0.1:6379', prefix },
    auth: { bearerTokens: [TOKEN, TOKEN_OLD], basicUsers: [BASIC], hmacKeys: [HMAC_KEY, HMAC_KEY_OLD] },
    admin: ADMIN,
    rateLimit: { max: 1000, windowMs: 60_000 },
    queues: { backoffMs: 50, shutdownGraceSeconds: 5 },
    // No load shedding: a test process starved of CPU for a second (the whole suite on 2 cores) must not turn a
    // webhook answer into 503. test/intake/overload.test.ts turns it on to test it.
    http: { maxEventLoopDelayMs: 0, ...http },
    ...overrides,
  });
}

export async function connect(role: 'producer' | 'worker' = 'producer'): Promise<Redis> {
  const redis = createRedis('redis://127.0.0.1:6379', role, `hwtest-${role}`);
  await waitReady(redis);
  return redis;
}

/** Deletes this test file's keys only (SCAN on its own prefix; never FLUSHDB). */
export async function cleanup(redis: Redis, prefix: string): Promise<void> {
  await deleteKeys(redis, `${prefix}:*`);
}

/** A case store on the file's own prefix and on a clock the test moves (`cases.clock`): connected before the file's
 * tests, its keys deleted after them. `cases.storeWith(options)` opens another store on the same prefix and clock. */
export function useCaseStore(area: string) {
  const cases = {
    prefix: uniquePrefix(area),
    clock: Date.UTC(2026, 10, 1),
    redis: undefined as unknown as Redis,
    store: undefined as unknown as CaseStore,
    storeWith: (options: Partial<CaseStoreOptions> = {}): CaseStore =>
      new CaseStore(cases.redis, { prefix: cases.prefix, groupingWindowMinutes: 60, retentionDays: 30, now: () => cases.clock, ...options }),
  };
  beforeAll(async () => {
    cases.redis = await connect();
    cases.store = cases.storeWith();
  });
  afterAll(async () => {
    await cleanup(cases.redis, cases.prefix);
    await cases.redis.quit();
  });
  return cases;
}

let counter = 0;

export interface AlertOptions {
  uuid?: string | null;
  hostId?: string;
  userId?: string;
  pid?: number;
  parentEntityId?: string | null;
  parentPid?: number;
  ruleId?: string;
  originalTime?: string;
}

/** A nested alert as Kibana's `context.alerts` sends it (values invented, shape from the docs). */
export function nestedAlert(options: AlertOptions = {}): Record<string, unknown> {
  counter += 1;
  const uuid = options.uuid === undefined ? `${randomBytes(16).toString('hex')}` : options.uuid;
  const originalTime = options.originalTime ?? '2026-07-10T14:00:58.310Z';
  return {
    '@timestamp': '2026-07-10T14:05:21.118Z',
    event: { kind: 'signal', category: ['process'], type: ['start'], action: 'start' },
    host: { id: options.hostId ?? 'host-6f1b2c3d', name: 'wks-042', os: { type: 'windows' } },
    user: { id: options.userId ?? 'S-1-5-21-111-222-333-1104', name: 'jdoe' },
    process: {
      entity_id: `proc-${counter}-${randomBytes(4).toString('hex')}`,
      pid: options.pid ?? 6000 + counter,
      name: 'reg.exe',
      executable: 'C:\\Windows\\System32\\reg.exe',
      command_line: 'reg  save HKLM\\SAM C:\\Users\\Public\\s.hiv /y',
      args: ['reg', 'save', 'HKLM\\SAM', 'C:\\Users\\Public\\s.hiv', '/y'],
      parent: {
        ...(options.parentEntityId === null ? {} : { entity_id: options.parentEntityId ?? `parent-${randomBytes(6).toString('hex')}` }),
        pid: options.parentPid ?? 5012,
        name: 'cmd.exe',
      },
    },
    kibana: {
      alert: {
        ...(uuid === null ? {} : { uuid }),
        original_time: originalTime,
        ancestors: [{ id: `evt-${counter}-${randomBytes(4).toString('hex')}`, index: '.ds-logs-endpoint.events.process-default-2026.07.01-000012', type: 'event', depth: 0 }],
        rule: { uuid: '0b6f', rule_id: options.ruleId ?? RULE_ID, name: 'Credential Acquisition via Registry Hive Dumping', version: 318 },
      },
    },
    signal: { status: 'open', original_time: originalTime, rule: { rule_id: options.ruleId ?? RULE_ID } },
  };
}

/** The same alert with dotted keys, as `_source` stores `kibana.*` (flattened). */
export function dottedAlert(options: AlertOptions = {}): Record<string, unknown> {
  const nested = nestedAlert(options);
  const out: Record<string, unknown> = {};
  const walk = (value: unknown, path: string) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
    } else out[path] = value;
  };
  walk(nested, '');
  return out;
}

/** A 7.x-style alert: only legacy `signal.*` names, no kibana.alert.uuid. */
export function legacyAlert(options: AlertOptions = {}): Record<string, unknown> {
  const nested = nestedAlert({ ...options, uuid: null });
  const { kibana, ...rest } = nested as { kibana: { alert: Record<string, unknown> } } & Record<string, unknown>;
  return {
    ...rest,
    signal: {
      original_time: kibana.alert.original_time,
      ancestors: kibana.alert.ancestors,
      rule: { rule_id: options.ruleId ?? RULE_ID, id: '0b6f', name: 'Credential Acquisition via Registry Hive Dumping', version: 318 },
    },
  };
}

export const bearer = { authorization: `Bearer ${TOKEN}` };
