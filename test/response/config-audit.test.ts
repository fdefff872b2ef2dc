import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisAuditLog } from '../../workers/audit/redis-log.js';
import { loadConfig } from '../../workers/config.js';
import { recordConfig } from '../../workers/response/config-audit.js';

const prefix = `hwtest-cfgaudit-${randomBytes(4).toString('hex')}`;
const redis = new Redis({ host: '127.0.0.1', port: 6379 });
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('config changes are audited', () => {
  it('records the first load, nothing when unchanged, a change when the settings differ; never a secret or webhook path', async () => {
    const audit = new RedisAuditLog({ redis, prefix: `${prefix}:`, deployment: 'main' });
    const base = { redis: { prefix }, response: { notify: { url: 'https://hooks.slack.com/services/T000/B000/SECRETPATH', secretEnv: 'HW_NOTIFY_SECRET' } } };
    const first = loadConfig({}, undefined, base);
    expect(await recordConfig(audit, redis, first, 'worker:a')).toBe('first');
    expect(await recordConfig(audit, redis, first, 'worker:b')).toBe('unchanged');
    const changed = loadConfig({}, undefined, { ...base, response: { ...base.response, approvalTtlSeconds: 60 } });
    expect(await recordConfig(audit, redis, changed, 'worker:a')).toBe('changed');
    const records: string[] = [];
    for await (const row of audit.scan()) records.push(row.raw!);
    expect(records.map((r) => (JSON.parse(r) as { type: string }).type)).toEqual(['config.loaded', 'config.changed']);
    expect(records.join('\n')).not.toContain('SECRETPATH');
    expect(records[1]).toContain('https://hooks.slack.com/');
    expect((JSON.parse(records[1]!) as { data: { previousHash: string } }).data.previousHash).toBe((JSON.parse(records[0]!) as { data: { hash: string } }).data.hash);
  });

  it('an edit of the recognised-workflows file is a config change with the file hash', async () => {
    const audit = new RedisAuditLog({ redis, prefix: `${prefix}:wf:`, deployment: 'main' });
    const dir = mkdtempSync(join(tmpdir(), 'hw-cfgaudit-'));
    const file = join(dir, 'workflows.json');
    writeFileSync(file, '[]');
    const config = loadConfig({}, undefined, { redis: { prefix: `${prefix}:wf` }, triage: { workflowsFile: file } });
    expect(await recordConfig(audit, redis, config, 'worker:a')).toBe('first');
    expect(await recordConfig(audit, redis, config, 'worker:a')).toBe('unchanged');
    const edited = JSON.stringify([{ name: 'nightly backup' }]);
    writeFileSync(file, edited);
    expect(await recordConfig(audit, redis, config, 'worker:a')).toBe('changed');
    const records: { type: string; data: { settings: { workflows: { file: string; sha256: string } } } }[] = [];
    for await (const row of audit.scan()) records.push(JSON.parse(row.raw!));
    expect(records.map((r) => r.type)).toEqual(['config.loaded', 'config.changed']);
    expect(records[1]!.data.settings.workflows).toEqual({ file, sha256: createHash('sha256').update(edited).digest('hex') });
  });
});
