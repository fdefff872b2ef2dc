// Bearer tokens: cached, refreshed before they expire, fetched by one caller at a time (single flight),
// and dropped on a 401 so the client can re-authenticate once.

import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

export interface IssuedToken {
  accessToken: string;
  /** Lifetime in seconds, as the token endpoint said. */
  expiresIn: number;
}

export interface TokenCacheOptions {
  /** Refresh when this fraction of the lifetime has passed (default 0.8). */
  refreshRatio?: number;
  clock?: Clock;
}

export class TokenCache {
  private token: string | null = null;
  private refreshAt = 0;
  private inflight: Promise<string> | null = null;
  private readonly ratio: number;
  private readonly clock: Clock;
  /** How many times the token endpoint was called (for metrics and tests). */
  issued = 0;

  constructor(private readonly fetchToken: () => Promise<IssuedToken>, opts: TokenCacheOptions = {}) {
    this.ratio = opts.refreshRatio ?? 0.8;
    this.clock = opts.clock ?? systemClock;
  }

  async get(): Promise<string> {
    if (this.token !== null && this.clock.now() < this.refreshAt) return this.token;
    if (!this.inflight) {
      this.inflight = this.fetchToken()
        .then((t) => {
          this.issued += 1;
          this.token = t.accessToken;
          this.refreshAt = this.clock.now() + Math.max(0, t.expiresIn) * 1000 * this.ratio;
          return t.accessToken;
        })
        .finally(() => {
          this.inflight = null;
        });
    }
    return this.inflight;
  }

  /** Forget the token (after a 401), unless a newer one replaced it already. */
  invalidate(token?: string): void {
    if (token === undefined || token === this.token) {
      this.token = null;
      this.refreshAt = 0;
    }
  }

  /** The current token, for redaction only. */
  current(): string | null {
    return this.token;
  }
}
