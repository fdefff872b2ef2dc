// A small circuit breaker, one per vendor: after `failureThreshold` consecutive failures it opens and
// fails fast for `cooldownMs`, then lets one trial call through (half-open); success closes it.

import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold?: number;
  cooldownMs?: number;
  clock?: Clock;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private stateValue: BreakerState = 'closed';
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  private readonly clock: Clock;

  constructor(opts: BreakerOptions = {}) {
    this.failureThreshold = opts.failureThreshold ?? 5;
    this.cooldownMs = opts.cooldownMs ?? 30_000;
    this.clock = opts.clock ?? systemClock;
  }

  get state(): BreakerState {
    if (this.stateValue === 'open' && this.clock.now() - this.openedAt >= this.cooldownMs) {
      this.stateValue = 'half-open';
      this.trialInFlight = false;
    }
    return this.stateValue;
  }

  /** Milliseconds until an open breaker lets a trial through. */
  get retryInMs(): number {
    return this.stateValue === 'open' ? Math.max(0, this.cooldownMs - (this.clock.now() - this.openedAt)) : 0;
  }

  /** Whether a call may go out now; in half-open only one trial at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open') return false;
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  onSuccess(): void {
    this.failures = 0;
    this.trialInFlight = false;
    this.stateValue = 'closed';
  }

  onFailure(): void {
    this.trialInFlight = false;
    if (this.stateValue === 'half-open') {
      this.trip();
      return;
    }
    this.failures += 1;
    if (this.failures >= this.failureThreshold) this.trip();
  }

  private trip(): void {
    this.stateValue = 'open';
    this.openedAt = this.clock.now();
    this.failures = 0;
  }
}

const shared = new Map<string, CircuitBreaker>();

/** The process-wide breaker of one vendor endpoint, so every client of that vendor shares its state. */
export function breakerFor(key: string, opts: BreakerOptions = {}): CircuitBreaker {
  let breaker = shared.get(key);
  if (!breaker) {
    breaker = new CircuitBreaker(opts);
    shared.set(key, breaker);
  }
  return breaker;
}
