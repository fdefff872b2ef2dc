// Worker liveness in Redis: each worker process stamps its name in a sorted set every few seconds, and
// /readyz counts the stamps that are recent. Cheaper and more portable than CLIENT LIST (getWorkers()),
// which managed Redis services often forbid.
import type { Redis } from 'ioredis';

export const heartbeatKey = (prefix: string) => `${prefix}:workers:heartbeat`;

export function startHeartbeat(redis: Redis, prefix: string, name: string, everySeconds: number): { stop(): Promise<void> } {
  const key = heartbeatKey(prefix);
  const beat = async () => {
    try {
      const now = Date.now();
      await redis.multi().zadd(key, now, name).zremrangebyscore(key, '-inf', now - 3600_000).exec();
    } catch {
      // Redis outage: the stamp just ages; readiness reports it.
    }
  };
  void beat();
  const timer = setInterval(beat, everySeconds * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await redis.zrem(key, name).catch(() => undefined);
    },
  };
}

/** Workers seen within `withinSeconds`, and how long ago the freshest one beat. */
export async function workersSeen(redis: Redis, prefix: string, withinSeconds: number): Promise<{ count: number; lastSeenAgoSeconds: number | null }> {
  const now = Date.now();
  const key = heartbeatKey(prefix);
  const [count, newest] = await Promise.all([
    redis.zcount(key, now - withinSeconds * 1000, '+inf'),
    redis.zrange(key, -1, -1, 'WITHSCORES'),
  ]);
  const score = newest[1];
  return { count, lastSeenAgoSeconds: score === undefined ? null : Math.max(0, (now - Number(score)) / 1000) };
}
