// The README's main job: the demo must keep working end to end on the bundled data and a real Redis.
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { DEFAULT_DATA_ROOT, runDemo } from '../workers/demo.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('npm run demo', () => {
  it('triages every bundled dataset through the queue, isolates with four eyes, and leaves an intact audit chain', async () => {
    const lines: string[] = [];
    await runDemo({ dataRoot: DEFAULT_DATA_ROOT, redisUrl: REDIS_URL, out: (line) => lines.push(line), timeoutMs: 60_000 });
    const text = lines.join('\n');
    expect(text).toMatch(/backup-benign[\s\S]*disposition BENIGN/);
    expect(text).toMatch(/empire[\s\S]*disposition MALICIOUS/);
    expect(text).toMatch(/panache[\s\S]*disposition MALICIOUS/);
    expect(text).toMatch(/alice \(responder\) approved; waiting for a second approver/);
    expect(text).toMatch(/s\d is done; the replay connector recorded the action/);
    expect(text).toMatch(/Audit trail: hash chain intact over \d+ records/);
    const prefix = text.match(/Redis prefix (\S+)/)?.[1];
    expect(prefix).toBeTruthy();
    const redis = new Redis(REDIS_URL);
    try {
      const [, keys] = await redis.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 1000);
      expect(keys).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 120_000);

  it('falls back to in-process triage when Redis does not answer', async () => {
    const lines: string[] = [];
    await runDemo({ dataRoot: DEFAULT_DATA_ROOT, redisUrl: 'redis://127.0.0.1:1', out: (line) => lines.push(line), timeoutMs: 5_000 });
    const text = lines.join('\n');
    expect(text).toMatch(/Redis is not answering/);
    expect(text.match(/\n---\n/g)?.length ?? 0).toBeGreaterThanOrEqual(4);
  }, 60_000);
});
