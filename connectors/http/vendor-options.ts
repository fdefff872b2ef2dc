// What every vendor connector takes for its HTTP calls (timeouts, retries, the breaker) and the services it
// shares with the rest of the worker (clock, action key store, logger, metrics). Documented once here; each
// connector's options extend it with the vendor's own settings.
import type { Logger } from 'pino';
import { CircuitBreaker, breakerFor, type BreakerOptions } from './breaker.js';
import type { HttpClientOptions } from './client.js';
import type { Clock } from './clock.js';
import type { ActionKeyStore } from './keystore.js';
import type { CallObserver } from './metrics.js';

export interface VendorCallOptions {
  /** Per-request timeout in ms (default 15 000). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** The longest single wait a retry may take; a vendor asking for more fails fast (default 60 000). */
  maxWaitMs?: number;
  /** A breaker instance, or settings for the connector's breaker. */
  breaker?: CircuitBreaker | BreakerOptions;
  /** Consecutive failures that open the breaker (config `http.breakerFailures`). Default 5. */
  breakerFailures?: number;
  /** How long an open breaker fails fast. Default 30 000 ms. */
  breakerCooldownMs?: number;
  clock?: Clock;
  /** Where action idempotency keys are kept (default: in memory). */
  keyStore?: ActionKeyStore;
  logger?: Logger;
  /** Vendor-call metrics (connectorMetrics). */
  observer?: CallObserver;
}

/**
 * The connector's breaker: the instance given, else the process-wide breaker of `sharedKey` (one per tenant,
 * whichever connector instance calls it), else a breaker of its own.
 */
export function vendorBreaker(opts: VendorCallOptions, clock: Clock, sharedKey?: string): CircuitBreaker {
  if (opts.breaker instanceof CircuitBreaker) return opts.breaker;
  const settings: BreakerOptions = { clock, failureThreshold: opts.breakerFailures ?? 5, cooldownMs: opts.breakerCooldownMs ?? 30_000, ...(opts.breaker ?? {}) };
  return sharedKey ? breakerFor(sharedKey, settings) : new CircuitBreaker(settings);
}

/** The HttpClient settings these options give; the connector adds its vendor, base URL, auth and retry policy. */
export function callSettings(opts: VendorCallOptions, clock: Clock, breaker: CircuitBreaker): Pick<HttpClientOptions, 'timeoutMs' | 'maxRetries' | 'maxWaitMs' | 'breaker' | 'clock' | 'logger' | 'observer'> {
  return { timeoutMs: opts.timeoutMs, maxRetries: opts.maxRetries, maxWaitMs: opts.maxWaitMs, breaker, clock, logger: opts.logger, observer: opts.observer };
}
