// docker-compose.yml mounts config/hivewatch.toml: it must stay a valid configuration.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../workers/config.js';

describe('config/hivewatch.toml', () => {
  it('loads with the webhook token from the environment, and names the replay connector', () => {
    const config = loadConfig({ HIVEWATCH_BEARER_TOKENS: 'a-token' }, resolve(import.meta.dirname, '../config/hivewatch.toml'));
    expect(config.http.host).toBe('0.0.0.0');
    expect((config.connector as { kind: string }).kind).toBe('replay');
    expect(JSON.stringify(config)).not.toContain('a-token');
  });
});
