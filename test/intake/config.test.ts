// Configuration: env, *_FILE secrets, JSON and TOML files, precedence, HW_ERR_CONFIG naming the setting,
// and secrets never printed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../workers/config.js';
import { defaultJobOptions } from '../../workers/queues.js';

const dir = mkdtempSync(join(tmpdir(), 'hw-config-'));

describe('loadConfig', () => {
  it('has safe defaults: 30-day retention, loopback, noeviction-friendly prefix, the hive-dump rule only', () => {
    const config = loadConfig({});
    expect(config.queues.retentionDays).toBe(30);
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'hivewatch', cluster: false });
    expect(config.intake.acceptedRuleIds).toEqual(['a7e7bfa3-088e-4f13-b29e-3986e0e756b8']);
    expect(defaultJobOptions(config)).toMatchObject({ removeOnComplete: { age: 30 * 86400 }, removeOnFail: { age: 30 * 86400 } });
  });

  it('reads the environment: lists, pairs, numbers, booleans, hash-tag prefix', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://redis:6380/2',
      HIVEWATCH_PREFIX: '{hw}',
      HIVEWATCH_PORT: '9090',
      HIVEWATCH_RETENTION_DAYS: '45',
      HIVEWATCH_BEARER_TOKENS: 'a-token, b-token',
      HIVEWATCH_BASIC_USERS: 'kibana:p:w',
      HIVEWATCH_HMAC_KEYS: 'k1:s1,k2:s2',
      HIVEWATCH_ALLOW_ANONYMOUS: 'false',
      HIVEWATCH_ACCEPTED_RULE_IDS: '*',
    });
    expect(config.redis).toEqual({ url: 'redis://redis:6380/2', prefix: '{hw}', cluster: false });
    expect(config.http.port).toBe(9090);
    expect(config.queues.retentionDays).toBe(45);
    expect(config.auth.bearerTokens).toEqual(['a-token', 'b-token']);
    expect(config.auth.basicUsers).toEqual([{ user: 'kibana', password: 'p:w' }]);
    expect(config.auth.hmacKeys).toEqual([{ id: 'k1', secret: 's1' }, { id: 'k2', secret: 's2' }]);
    expect(config.auth.allowAnonymous).toBe(false);
    expect(config.intake.acceptedRuleIds).toEqual([]);
  });

  it('reads secrets from *_FILE paths (one per line)', () => {
    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, 'file-token-1\nfile-token-2\n');
    const password = join(dir, 'admin');
    writeFileSync(password, 'admin-secret\n');
    const config = loadConfig({ HIVEWATCH_BEARER_TOKENS_FILE: tokens, HIVEWATCH_ADMIN_USER: 'ops', HIVEWATCH_ADMIN_PASSWORD_FILE: password });
    expect(config.auth.bearerTokens).toEqual(['file-token-1', 'file-token-2']);
    expect(config.admin).toEqual({ user: 'ops', password: 'admin-secret' });
    expect(() => loadConfig({ HIVEWATCH_BEARER_TOKENS_FILE: join(dir, 'missing') })).toThrow(/HIVEWATCH_BEARER_TOKENS_FILE: cannot read the file \(ENOENT\)/);
  });

  it('reads a JSON or TOML file; the environment wins over the file', () => {
    const json = join(dir, 'hivewatch.json');
    writeFileSync(json, JSON.stringify({ http: { port: 7000 }, cases: { groupingWindowMinutes: 15 }, connector: { kind: 'replay' } }));
    const fromJson = loadConfig({ HIVEWATCH_CONFIG: json, HIVEWATCH_PORT: '7001' });
    expect(fromJson.http.port).toBe(7001);
    expect(fromJson.cases.groupingWindowMinutes).toBe(15);
    expect(fromJson.connector).toEqual({ kind: 'replay' });
    const toml = join(dir, 'hivewatch.toml');
    writeFileSync(toml, '[queues]\nretentionDays = 60\n\n[[auth.hmacKeys]]\nid = "siem"\nsecret = "toml-secret"\n');
    const fromToml = loadConfig({}, toml);
    expect(fromToml.queues.retentionDays).toBe(60);
    expect(fromToml.auth.hmacKeys).toEqual([{ id: 'siem', secret: 'toml-secret' }]);
  });

  it('a bad value throws HW_ERR_CONFIG naming the setting (and its variable)', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ HIVEWATCH_PORT: 'eighty' }, /^HW_ERR_CONFIG: http\.port \(HIVEWATCH_PORT\)/],
      [{ HIVEWATCH_RETENTION_DAYS: '0' }, /queues\.retentionDays \(HIVEWATCH_RETENTION_DAYS\)/],
      [{ REDIS_URL: 'http://x' }, /redis\.url \(REDIS_URL\): must start with redis:\/\//],
      [{ HIVEWATCH_HMAC_KEYS: 'no-colon' }, /HIVEWATCH_HMAC_KEYS: expected comma-separated "name:secret" pairs/],
      [{ HIVEWATCH_ALLOW_ANONYMOUS: 'maybe' }, /HIVEWATCH_ALLOW_ANONYMOUS: expected true or false/],
      [{ HIVEWATCH_LOG_LEVEL: 'loud' }, /log\.level/],
    ];
    for (const [env, message] of cases) {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(env)).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('HW_ERR_CONFIG');
      expect((error as Error).message).toMatch(message);
    }
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"auth": {"bearerTokens": ["leaky-secret"]');
    expect(() => loadConfig({}, broken)).toThrow(/HW_ERR_CONFIG: HIVEWATCH_CONFIG: .*invalid syntax/);
    try {
      loadConfig({}, broken);
    } catch (err) {
      expect((err as Error).message).not.toContain('leaky-secret');
    }
  });

  it('never prints a secret: JSON.stringify, util.inspect and describeConfig mask them', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://user:redis-pass@redis:6379',
      HIVEWATCH_BEARER_TOKENS: 'tok-secret-1',
      HIVEWATCH_BASIC_USERS: 'kibana:basic-secret',
      HIVEWATCH_HMAC_KEYS: 'k1:hmac-secret',
      HIVEWATCH_ADMIN_USER: 'ops',
      HIVEWATCH_ADMIN_PASSWORD: 'admin-secret',
    });
    for (const text of [JSON.stringify(config), inspect(config, { depth: 10 }), JSON.stringify(describeConfig(config))]) {
      for (const secret of ['redis-pass', 'tok-secret-1', 'basic-secret', 'hmac-secret', 'admin-secret']) expect(text).not.toContain(secret);
      expect(text).toContain('kibana'); // user names stay readable
    }
    expect(config.auth.bearerTokens).toEqual(['tok-secret-1']); // the values themselves are intact
  });
});
