// Vendor-call metrics (prom-client) on a registry the caller owns: requests by outcome, latency,
// retries by reason, and breaker trips. The HttpClient reports through the small CallObserver interface.

import { Counter, Histogram, type Registry } from 'prom-client';

export interface CallObserver {
  /** One attempt finished: HTTP status, or 'timeout' / 'network' / 'circuit_open'. */
  attempt(vendor: string, operation: string, outcome: string, seconds: number): void;
  retry(vendor: string, reason: string, waitMs: number): void;
}

export function connectorMetrics(registry: Registry): CallObserver {
  const requests = new Counter({ name: 'hivewatch_vendor_requests_total', help: 'Vendor API attempts by vendor and outcome (HTTP status, timeout, network, circuit_open)', labelNames: ['vendor', 'outcome'] as const, registers: [registry] });
  const latency = new Histogram({ name: 'hivewatch_vendor_request_seconds', help: 'Seconds per vendor API attempt', labelNames: ['vendor'] as const, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60], registers: [registry] });
  const retries = new Counter({ name: 'hivewatch_vendor_retries_total', help: 'Vendor API retries by reason', labelNames: ['vendor', 'reason'] as const, registers: [registry] });
  const waited = new Counter({ name: 'hivewatch_vendor_retry_wait_seconds_total', help: 'Seconds spent waiting before vendor retries (rate limits, backoff)', labelNames: ['vendor'] as const, registers: [registry] });
  return {
    attempt(vendor, _operation, outcome, seconds) {
      requests.inc({ vendor, outcome });
      if (outcome !== 'circuit_open') latency.observe({ vendor }, seconds);
    },
    retry(vendor, reason, waitMs) {
      retries.inc({ vendor, reason });
      waited.inc({ vendor }, waitMs / 1000);
    },
  };
}
