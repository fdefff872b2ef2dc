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

/** INCR and set the expiry in one script: one round trip, and no MULTI (ioredis builds a costly object per MULTI). */
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`;

type LimitedRedis = Redis & { hwRateHit(key: string, ttlMs: number): Promise<number> };

export function createRateLimiter({ redis, prefix, max, windowMs, now = Date.now }: RateLimitOptions) {
  const scripted = redis as LimitedRedis;
  if (typeof scripted.hwRateHit !== 'function') redis.defineCommand('hwRateHit', { numberOfKeys: 1, lua: HIT });
  return async function rateLimit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const source = request.principal && request.principal.method !== 'anonymous' ? request.principal.id : `ip:${request.ip}`;
    const at = now();
    const window = Math.floor(at / windowMs);
    const key = `${prefix}:ratelimit:${source}:${window}`;
    const count = Number(await scripted.hwRateHit(key, windowMs + 1000));
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
