// Connector config and registry: the zod union, secrets from env / *_FILE / file (never printed), and
// createConnector building working Elastic and CrowdStrike connectors against their fakes.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret, parseConnectorConfig, resolveSecret } from '../../connectors/config.js';
import { createConnector } from '../../connectors/registry.js';
import { CrowdStrikeFake } from '../fakes/crowdstrike.js';
import { ElasticFake } from '../fakes/elastic.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hw-conncfg-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('secrets', () => {
  it('resolves env, NAME_FILE and file sources, and never prints the value', async () => {
    const file = path.join(dir, 'key');
    await writeFile(file, 'from-file-secret\n');
    expect(resolveSecret('elastic', 'apiKey', undefined, 'HW_K', { HW_K: 'from-env' }).reveal()).toBe('from-env');
    expect(resolveSecret('elastic', 'apiKey', undefined, 'HW_K', { HW_K_FILE: file, HW_K: 'ignored' }).reveal()).toBe('from-file-secret');
    expect(resolveSecret('elastic', 'apiKey', { env: 'OTHER' }, 'HW_K', { OTHER: 'other' }).reveal()).toBe('other');
    expect(resolveSecret('elastic', 'apiKey', { file }, 'HW_K', {}).reveal()).toBe('from-file-secret');
    const s = new Secret('p4ssw0rd');
    expect(JSON.stringify({ s })).toBe('{"s":"[REDACTED]"}');
    expect(inspect(s)).toBe('[REDACTED]');
    expect(`${s}`).toBe('[REDACTED]');
  });

  it('names the missing setting and the env var to set', () => {
    expect(() => resolveSecret('elastic', 'apiKey', undefined, 'HW_ELASTIC_API_KEY', {})).toThrow(/HW_ERR_CONNECTOR_CONFIG.*apiKey is not set.*HW_ELASTIC_API_KEY or HW_ELASTIC_API_KEY_FILE/);
    expect(() => resolveSecret('elastic', 'apiKey', { file: path.join(dir, 'missing') }, 'X', {})).toThrow(/ENOENT/);
  });
});

describe('config', () => {
  it('parses an elastic member with defaults', () => {
    const c = parseConnectorConfig({ kind: 'elastic', elasticsearchUrl: 'https://es:9200', kibanaUrl: 'https://kb:5601', apiKey: { env: 'HW_ELASTIC_API_KEY' } });
    expect(c).toMatchObject({ kind: 'elastic', pidWindowMs: 300_000, http: { timeoutMs: 15_000, maxRetries: 3 }, keyStore: { type: 'memory' } });
  });

  it('rejects a bad field naming it', () => {
    expect(() => parseConnectorConfig({ kind: 'elastic', elasticsearchUrl: 'nope', kibanaUrl: 'https://kb' })).toThrow(/HW_ERR_CONNECTOR_CONFIG.*connector\.elasticsearchUrl/);
    expect(() => parseConnectorConfig({ kind: 'carbonblack' })).toThrow(/connector\.kind/);
  });
});

describe('registry', () => {
  it('builds an Elastic connector whose key comes from the environment', async () => {
    const fake = new ElasticFake();
    const url = await fake.start();
    fake.addEndpoint({ agentId: 'a1', hostId: 'h1', hostName: 'WS01' });
    try {
      const c = await createConnector({ kind: 'elastic', elasticsearchUrl: url, kibanaUrl: url }, { env: { HW_ELASTIC_API_KEY: fake.apiKey } });
      expect(c.vendor).toBe('elastic');
      expect((await c.getHostDetails('h1')).agentId).toBe('a1');
      await c.close?.();
    } finally {
      await fake.stop();
    }
  });

  it('opens its own Redis for a redis key store and closes it with the connector', async () => {
    const fake = new ElasticFake();
    const url = await fake.start();
    fake.addEndpoint({ agentId: 'a1', hostId: 'h1', hostName: 'WS01' });
    const key = `hwtest:conncfg:${Math.random().toString(36).slice(2)}:keys`;
    try {
      const make = () => createConnector({ kind: 'elastic', elasticsearchUrl: url, kibanaUrl: url, apiKey: fake.apiKey, keyStore: { type: 'redis', url: 'redis://127.0.0.1:6379', key } });
      const first = await make();
      const a = await first.runAction({ kind: 'isolate_host', idempotencyKey: 'redis-1', hostId: 'h1' });
      await first.close?.();
      const second = await make();
      const b = await second.runAction({ kind: 'isolate_host', idempotencyKey: 'redis-1', hostId: 'h1' });
      expect(b.actionId).toBe(a.actionId);
      expect(fake.server.calls('POST', '/api/endpoint/action/isolate')).toBe(1);
      const redis = new Redis({ host: '127.0.0.1', port: 6379 });
      await redis.del(key);
      redis.disconnect();
      await second.close?.();
    } finally {
      await fake.stop();
    }
  });

  it('builds a CrowdStrike connector with secrets from *_FILE and a file key store', async () => {
    const fake = new CrowdStrikeFake();
    const url = await fake.start();
    fake.addDevice({ device_id: 'aid1', hostname: 'WS01' });
    const secretFile = path.join(dir, 'cs-secret');
    await writeFile(secretFile, `${fake.clientSecret}\n`);
    try {
      const c = await createConnector(
        { kind: 'crowdstrike', baseUrl: url, keyStore: { type: 'file', path: path.join(dir, 'cs-keys.json') } },
        { env: { HW_CROWDSTRIKE_CLIENT_ID: fake.clientId, HW_CROWDSTRIKE_CLIENT_SECRET_FILE: secretFile } },
      );
      expect(c.vendor).toBe('crowdstrike');
      expect((await c.getHostDetails('aid1')).agentId).toBe('aid1');
      const first = await c.runAction({ kind: 'isolate_host', idempotencyKey: 'reg-1', hostId: 'aid1' });
      const again = await c.runAction({ kind: 'isolate_host', idempotencyKey: 'reg-1', hostId: 'aid1' });
      expect(again.actionId).toBe(first.actionId);
      expect(fake.server.calls('POST', '/devices/entities/devices-actions/v2')).toBe(1);
      await c.close?.();
    } finally {
      await fake.stop();
    }
  });
});
