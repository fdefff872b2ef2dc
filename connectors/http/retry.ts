// Per-vendor retry policies. Each answers "how long until the next attempt" from the response a vendor
// gave; the client enforces the attempt budget and the maximum wait.

export interface RetryContext {
  /** 1 for the first retry. */
  attempt: number;
  /** HTTP status, or undefined for a timeout / network failure. */
  status: number | undefined;
  /** Response headers, lower-cased (axios normalises them). */
  headers: Record<string, string | undefined>;
  /** Clock time when the failure was seen (ms since epoch). */
  now: number;
}

export interface RetryPolicy {
  readonly name: string;
  /** Milliseconds to wait before the next attempt. */
  delayMs(ctx: RetryContext): number;
}

export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  /** A source of [0,1) randomness; injectable so tests are deterministic. */
  random?: () => number;
}

/** Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]. */
export function fullJitter(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 500;
  const cap = opts.capMs ?? 30_000;
  const random = opts.random ?? Math.random;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Parses Retry-After: delta-seconds or an HTTP-date. Returns ms from `now`, or undefined. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Parses CrowdStrike's X-Ratelimit-Retryafter: an epoch-seconds timestamp, not a delta. */
export function parseEpochSeconds(value: string | undefined, now: number): number | undefined {
  if (value === undefined || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
  return Math.max(0, Math.ceil(Number(value.trim()) * 1000 - now));
}

/** Elasticsearch/Kibana send no rate-limit header: full-jitter backoff (0.5 s base, 30 s cap). */
export function elasticRetryPolicy(opts: BackoffOptions = {}): RetryPolicy {
  return { name: 'elastic', delayMs: (ctx) => fullJitter(ctx.attempt, { baseMs: 500, capMs: 30_000, ...opts }) };
}

/** CrowdStrike: on 429 wait until X-Ratelimit-Retryafter (epoch seconds); otherwise backoff. */
export function crowdstrikeRetryPolicy(opts: BackoffOptions = {}): RetryPolicy {
  return {
    name: 'crowdstrike',
    delayMs: (ctx) => {
      const fromHeader = ctx.status === 429 ? parseEpochSeconds(ctx.headers['x-ratelimit-retryafter'], ctx.now) : undefined;
      return fromHeader ?? fullJitter(ctx.attempt, { baseMs: 500, capMs: 30_000, ...opts });
    },
  };
}

/** Microsoft (MDE, Graph, Entra): Retry-After in delta seconds or an HTTP-date; otherwise backoff. */
export function microsoftRetryPolicy(opts: BackoffOptions = {}): RetryPolicy {
  return {
    name: 'microsoft',
    delayMs: (ctx) =>
      parseRetryAfter(ctx.headers['retry-after'], ctx.now) ?? fullJitter(ctx.attempt, { baseMs: 1000, capMs: 60_000, ...opts }),
  };
}

/** SentinelOne: Retry-After when present (not reliable); otherwise backoff from a 5 s base on 429. */
export function sentinelOneRetryPolicy(opts: BackoffOptions = {}): RetryPolicy {
  return {
    name: 'sentinelone',
    delayMs: (ctx) => {
      const fromHeader = parseRetryAfter(ctx.headers['retry-after'], ctx.now);
      if (fromHeader !== undefined) return fromHeader;
      const base = ctx.status === 429 ? 5000 : 500;
      return fullJitter(ctx.attempt, { baseMs: base, capMs: 60_000, ...opts });
    },
  };
}
