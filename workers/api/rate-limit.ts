// Per-source rate limit on a Redis counter (fixed window), shared by every API process. The source is the
// authenticated credential (so one noisy SIEM cannot starve another behind the same proxy), else the address.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { HttpError } from './errors.js';

export interface RateLimitOptions {
  redis: Redis;
  prefix: string;
  max: number;
  windowMs: number;
  now?: () => number;
}

/**
 * INCRBY and set the expiry in one script: one round trip, and no MULTI (ioredis builds a costly object per
 * MULTI). ARGV[2] is how many hits it records; a new key gets its expiry.
 */
const HIT = `
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`;

type LimitedRedis = Redis & { hwRateHitN(key: string, ttlMs: number, hits: number): Promise<number> };

export function createRateLimiter({ redis, prefix, max, windowMs, now = Date.now }: RateLimitOptions) {
  const scripted = redis as LimitedRedis;
  if (typeof scripted.hwRateHitN !== 'function') redis.defineCommand('hwRateHitN', { numberOfKeys: 1, lua: HIT });
  // The hits of one key that arrive in the same event-loop turn share one INCRBY; each request still waits
  // for Redis and gets its own exact position in the shared count, so the limit stays exact across processes.
  const pending = new Map<string, { hits: number; total: Promise<number> }>();
  const hit = (key: string, ttlMs: number): Promise<number> => {
    let batch = pending.get(key);
    if (!batch) {
      const fresh = { hits: 0, total: undefined as unknown as Promise<number> };
      fresh.total = new Promise<number>((resolve, reject) =>
        setImmediate(() => {
          pending.delete(key);
          scripted.hwRateHitN(key, ttlMs, fresh.hits).then((count) => resolve(Number(count)), reject);
        }),
      );
      pending.set(key, fresh);
      batch = fresh;
    }
    const own = batch;
    const position = ++own.hits;
    return own.total.then((total) => total - own.hits + position);
  };
  return async function rateLimit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const source = request.principal && request.principal.method !== 'anonymous' ? request.principal.id : `ip:${request.ip}`;
    const at = now();
    const window = Math.floor(at / windowMs);
    const key = `${prefix}:ratelimit:${source}:${window}`;
    const count = await hit(key, windowMs + 1000);
    const resetMs = (window + 1) * windowMs - at;
    void reply.header('RateLimit-Limit', String(max));
    void reply.header('RateLimit-Remaining', String(Math.max(0, max - count)));
    void reply.header('RateLimit-Reset', String(Math.ceil(resetMs / 1000)));
    if (count > max) {
      throw new HttpError(
        429,
        'HW_ERR_RATE_LIMITED',
        `more than ${max} requests in ${windowMs / 1000}s from this source (rateLimit.max); retry after the Retry-After seconds`,
        { 'Retry-After': String(Math.max(1, Math.ceil(resetMs / 1000))) },
      );
    }
  };
}
