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

export function createRateLimiter({ redis, prefix, max, windowMs, now = Date.now }: RateLimitOptions) {
  return async function rateLimit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const source = request.principal && request.principal.method !== 'anonymous' ? request.principal.id : `ip:${request.ip}`;
    const at = now();
    const window = Math.floor(at / windowMs);
    const key = `${prefix}:ratelimit:${source}:${window}`;
    const replies = await redis.multi().incr(key).pexpire(key, windowMs + 1000).exec();
    const count = Number(replies?.[0]?.[1] ?? 0);
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
