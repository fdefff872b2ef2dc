// The asset inventory from a CMDB URL that returns the same list as `assets.json`, cached with a TTL.
import axios, { type AxiosInstance } from 'axios';
import type { Asset, AssetInventory } from '../types.js';
import { AssetInventoryError, indexAssets, parseAssets } from './schema.js';

export interface HttpAssetInventoryOptions {
  url: string;
  /** How long a fetched inventory is trusted. Default 300 000 ms (5 min). */
  ttlMs?: number;
  /** Per-request timeout. Default 5 000 ms. */
  timeoutMs?: number;
  /**
   * When a refresh fails, keep answering from the last good copy for this long past its TTL.
   * Default 3 600 000 ms (1 h); 0 turns it off.
   */
  maxStaleMs?: number;
  /** Extra headers, e.g. the CMDB's Authorization. Never logged and never put in errors. */
  headers?: Record<string, string>;
  /** Clock, for tests. */
  now?: () => number;
  /** Axios instance, for callers that bring their own (proxy, TLS). */
  http?: AxiosInstance;
}

interface Snapshot {
  byHost: Map<string, Asset>;
  fetchedAt: number;
}

export class HttpAssetInventory implements AssetInventory {
  private snapshot: Snapshot | null = null;
  private inflight: Promise<Snapshot> | null = null;
  private readonly ttlMs: number;
  private readonly maxStaleMs: number;
  private readonly now: () => number;
  private readonly http: AxiosInstance;
  /** The URL without credentials or query string: the only form that goes into an error. */
  private readonly safeUrl: string;

  constructor(private readonly options: HttpAssetInventoryOptions) {
    this.ttlMs = options.ttlMs ?? 300_000;
    this.maxStaleMs = options.maxStaleMs ?? 3_600_000;
    this.now = options.now ?? Date.now;
    this.http = options.http ?? axios.create();
    this.safeUrl = redactUrl(options.url);
  }

  async getAsset(hostId: string): Promise<Asset | null> {
    return (await this.current()).byHost.get(hostId) ?? null;
  }

  async list(): Promise<Asset[]> {
    return [...(await this.current()).byHost.values()];
  }

  /** Forgets the cached copy; the next lookup fetches. */
  invalidate(): void {
    this.snapshot = null;
  }

  private async current(): Promise<Snapshot> {
    const snapshot = this.snapshot;
    const age = snapshot ? this.now() - snapshot.fetchedAt : Infinity;
    if (snapshot && age < this.ttlMs) return snapshot;
    // One fetch at a time: a burst of triage jobs after expiry shares a single request.
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = null;
    });
    try {
      this.snapshot = await this.inflight;
      return this.snapshot;
    } catch (error) {
      if (snapshot && age < this.ttlMs + this.maxStaleMs) return snapshot;
      throw error;
    }
  }

  private async fetch(): Promise<Snapshot> {
    let data: unknown;
    try {
      const response = await this.http.get(this.options.url, {
        timeout: this.options.timeoutMs ?? 5_000,
        headers: { Accept: 'application/json', ...this.options.headers },
        responseType: 'json',
        // Status is judged below, so that no axios error (which carries the request config) escapes.
        validateStatus: () => true,
      });
      if (response.status < 200 || response.status >= 300) {
        throw new AssetInventoryError(
          'HW_ERR_ASSETS_HTTP',
          `asset inventory ${this.safeUrl} answered HTTP ${response.status}; check the CMDB URL and its credentials`,
        );
      }
      data = response.data;
    } catch (error) {
      if (error instanceof AssetInventoryError) throw error;
      const reason = axios.isAxiosError(error) ? (error.code ?? 'request failed') : 'request failed';
      throw new AssetInventoryError(
        'HW_ERR_ASSETS_HTTP',
        `asset inventory ${this.safeUrl} could not be fetched (${reason}); check that the CMDB is reachable`,
      );
    }
    if (typeof data === 'string') {
      try {
        data = JSON.parse(data);
      } catch {
        throw new AssetInventoryError('HW_ERR_ASSETS_INVALID', `asset inventory ${this.safeUrl} did not return JSON; point the URL at the inventory list`);
      }
    }
    return { byHost: indexAssets(parseAssets(data, `asset inventory ${this.safeUrl}`)), fetchedAt: this.now() };
  }
}

/** Strips user info and the query string (either may hold a token). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
