// Vendor-call metrics (prom-client) on a registry the caller owns: requests by outcome, latency,
// retries by reason, and the state of each vendor's circuit breaker (read at scrape time). The HttpClient
// reports through the small CallObserver interface.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BreakerState, CircuitBreaker } from './breaker.js';

export interface CallObserver {
  /** One attempt finished: HTTP status, or 'timeout' / 'network' / 'circuit_open'. */
  attempt(vendor: string, operation: string, outcome: string, seconds: number): void;
  retry(vendor: string, reason: string, waitMs: number): void;
  /** A client of `vendor` uses this breaker; its state is read at scrape time. */
  watchBreaker?(vendor: string, breaker: CircuitBreaker): void;
}

const BREAKER_LEVEL: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export function connectorMetrics(registry: Registry): CallObserver {
  // Weak, so connectors closed and dropped (tests, config reloads) do not pin their breakers.
  const breakers: { vendor: string; breaker: WeakRef<CircuitBreaker> }[] = [];
  const requests = new Counter({ name: 'hivewatch_vendor_requests_total', help: 'Vendor API attempts by vendor and outcome (HTTP status, timeout, network, circuit_open)', labelNames: ['vendor', 'outcome'] as const, registers: [registry] });
  const latency = new Histogram({ name: 'hivewatch_vendor_request_seconds', help: 'Seconds per vendor API attempt', labelNames: ['vendor'] as const, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60], registers: [registry] });
  const retries = new Counter({ name: 'hivewatch_vendor_retries_total', help: 'Vendor API retries by reason', labelNames: ['vendor', 'reason'] as const, registers: [registry] });
  const waited = new Counter({ name: 'hivewatch_vendor_retry_wait_seconds_total', help: 'Seconds spent waiting before vendor retries (rate limits, backoff)', labelNames: ['vendor'] as const, registers: [registry] });
  new Gauge({
    name: 'hivewatch_vendor_breaker_state',
    help: 'Circuit breaker per vendor: 0 closed, 1 half-open (trial call), 2 open (failing fast); the worst of its endpoints',
    labelNames: ['vendor'] as const,
    registers: [registry],
    collect() {
      const worst = new Map<string, number>();
      for (const { vendor, breaker } of breakers) {
        const live = breaker.deref();
        if (live) worst.set(vendor, Math.max(worst.get(vendor) ?? 0, BREAKER_LEVEL[live.state]));
      }
      for (const [vendor, level] of worst) this.set({ vendor }, level);
    },
  });
  return {
    attempt(vendor, _operation, outcome, seconds) {
      requests.inc({ vendor, outcome });
      if (outcome !== 'circuit_open') latency.observe({ vendor }, seconds);
    },
    retry(vendor, reason, waitMs) {
      retries.inc({ vendor, reason });
      waited.inc({ vendor }, waitMs / 1000);
    },
    watchBreaker(vendor, breaker) {
      if (!breakers.some((known) => known.breaker.deref() === breaker)) breakers.push({ vendor, breaker: new WeakRef(breaker) });
    },
  };
}
