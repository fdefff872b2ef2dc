// The one axios-based HTTP client every vendor connector uses: per-request timeouts, retries paced by
// the vendor's RetryPolicy, a per-vendor circuit breaker, one re-auth on 401, and ConnectorErrors whose
// messages carry no secret.

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosRequestConfig } from 'axios';
import type { Logger } from 'pino';
import type { AuthProvider } from './auth.js';
import { CircuitBreaker, breakerFor, type BreakerOptions } from './breaker.js';
import { systemClock, type Clock } from './clock.js';
import { ConnectorError, type ConnectorErrorCode } from './errors.js';
import type { CallObserver } from './metrics.js';
import { quoteVendorText } from './redact.js';
import { fullJitter, type RetryPolicy } from './retry.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpClientOptions {
  vendor: string;
  baseURL: string;
  /** Per-request timeout in ms (default 15 000). */
  timeoutMs?: number;
  retryPolicy?: RetryPolicy;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** The longest single wait a retry may take; a vendor asking for more fails fast (default 60 000). */
  maxWaitMs?: number;
  /** A breaker instance, or options for the shared breaker of this vendor + base URL. */
  breaker?: CircuitBreaker | BreakerOptions;
  auth?: AuthProvider;
  clock?: Clock;
  headers?: Record<string, string>;
  logger?: Logger;
  /** Metrics sink (see connectorMetrics). */
  observer?: CallObserver;
}

export interface RequestSpec {
  operation: string;
  method: HttpMethod;
  /** Path relative to baseURL (or an absolute URL, e.g. a nextLink on the same host). */
  url: string;
  params?: Record<string, string | number | boolean | string[] | undefined>;
  data?: unknown;
  /** Send `data` as application/x-www-form-urlencoded. */
  form?: boolean;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Safe to repeat after a timeout or 5xx. Default: true for GET/DELETE, false for writes. */
  idempotent?: boolean;
  /** Skip the AuthProvider (token endpoints). */
  noAuth?: boolean;
  /** Statuses the caller interprets itself; they are returned, not thrown. */
  acceptStatus?: number[];
}

export interface HttpResponse<T = unknown> {
  status: number;
  data: T;
  headers: Record<string, string | undefined>;
}

const RETRYABLE_5XX = new Set([500, 502, 503, 504]);

export class HttpClient {
  readonly vendor: string;
  readonly breaker: CircuitBreaker;
  private readonly axios: AxiosInstance;
  private readonly opts: HttpClientOptions;
  private readonly clock: Clock;
  private readonly policy: RetryPolicy;
  private readonly agents: { http: http.Agent; https: https.Agent };
  /** Counters for tests and metrics. */
  readonly stats = { requests: 0, retries: 0, reauths: 0 };

  constructor(opts: HttpClientOptions) {
    this.opts = opts;
    this.vendor = opts.vendor;
    this.clock = opts.clock ?? systemClock;
    this.policy = opts.retryPolicy ?? { name: 'default', delayMs: (ctx) => fullJitter(ctx.attempt) };
    this.breaker =
      opts.breaker instanceof CircuitBreaker
        ? opts.breaker
        : breakerFor(`${opts.vendor}|${opts.baseURL}`, { clock: this.clock, ...(opts.breaker ?? {}) });
    opts.observer?.watchBreaker?.(opts.vendor, this.breaker);
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
      https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
    };
    this.axios = axios.create({
      baseURL: opts.baseURL,
      timeout: opts.timeoutMs ?? 15_000,
      validateStatus: () => true,
      maxRedirects: 0,
      httpAgent: this.agents.http,
      httpsAgent: this.agents.https,
      transitional: { clarifyTimeoutError: true },
      headers: { Accept: 'application/json', ...(opts.headers ?? {}) },
    });
  }

  /** Values to mask in any text this client quotes. */
  secrets(): string[] {
    return this.opts.auth?.secrets() ?? [];
  }

  async request<T = unknown>(spec: RequestSpec): Promise<HttpResponse<T>> {
    const maxRetries = this.opts.maxRetries ?? 3;
    const maxWaitMs = this.opts.maxWaitMs ?? 60_000;
    const idempotent = spec.idempotent ?? (spec.method === 'GET' || spec.method === 'DELETE');
    if (/^https?:\/\//i.test(spec.url) && new URL(spec.url).origin !== new URL(this.opts.baseURL).origin) {
      // a nextLink (or any absolute URL) on another host would receive our credentials
      throw this.error(spec, 'HW_ERR_CONNECTOR_BAD_RESPONSE', `refusing to follow ${new URL(spec.url).origin}, which is not the configured ${this.vendor} host`);
    }
    let attempt = 0;
    let reauthed = false;
    for (;;) {
      if (!this.breaker.tryAcquire()) {
        this.opts.observer?.attempt(this.vendor, spec.operation, 'circuit_open', 0);
        throw this.error(spec, 'HW_ERR_CONNECTOR_CIRCUIT_OPEN', `circuit open after repeated failures; next trial in ${Math.ceil(this.breaker.retryInMs / 1000)} s`, undefined, true);
      }
      this.stats.requests += 1;
      let status: number | undefined;
      let headers: Record<string, string | undefined> = {};
      let failure: ConnectorError;
      const started = performance.now();
      try {
        const res = await this.axios.request(await this.axiosConfig(spec));
        status = res.status;
        this.opts.observer?.attempt(this.vendor, spec.operation, String(status), (performance.now() - started) / 1000);
        headers = normaliseHeaders(res.headers as Record<string, unknown>);
        if ((status >= 200 && status < 300) || spec.acceptStatus?.includes(status)) {
          this.breaker.onSuccess();
          return { status, data: res.data as T, headers };
        }
        if (status === 401 && !spec.noAuth && !reauthed && this.opts.auth?.refresh) {
          this.breaker.onSuccess();
          reauthed = true;
          this.stats.reauths += 1;
          if (await this.opts.auth.refresh()) continue;
        }
        failure = this.statusError(spec, status, res.data);
        if (status >= 500) this.breaker.onFailure();
        else this.breaker.onSuccess(); // the vendor is alive; a 4xx/429 says nothing about its health
        const retryable = status === 429 || (RETRYABLE_5XX.has(status) && (idempotent || status === 503));
        if (!retryable || attempt >= maxRetries) throw failure;
      } catch (e) {
        if (e instanceof ConnectorError) throw e;
        failure = this.transportError(spec, e);
        this.opts.observer?.attempt(this.vendor, spec.operation, failure.code === 'HW_ERR_CONNECTOR_TIMEOUT' ? 'timeout' : 'network', (performance.now() - started) / 1000);
        this.breaker.onFailure();
        const refused = (e as { code?: string }).code === 'ECONNREFUSED';
        if (!(idempotent || refused) || attempt >= maxRetries) throw failure;
      }
      attempt += 1;
      const wait = this.policy.delayMs({ attempt, status, headers, now: this.clock.now() });
      if (wait > maxWaitMs) {
        throw this.error(spec, status === 429 ? 'HW_ERR_CONNECTOR_RATE_LIMITED' : failure.code, `${failure.detail}; the vendor asks to wait ${Math.ceil(wait / 1000)} s, over the ${Math.ceil(maxWaitMs / 1000)} s maximum`, status, true);
      }
      this.stats.retries += 1;
      this.opts.observer?.retry(this.vendor, status === undefined ? (failure.code === 'HW_ERR_CONNECTOR_TIMEOUT' ? 'timeout' : 'network') : String(status), wait);
      this.opts.logger?.warn({ vendor: this.vendor, operation: spec.operation, status, attempt, waitMs: wait, policy: this.policy.name }, 'retrying vendor call');
      await this.clock.sleep(wait);
    }
  }

  async close(): Promise<void> {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private async axiosConfig(spec: RequestSpec): Promise<AxiosRequestConfig> {
    const headers: Record<string, string> = { ...(spec.headers ?? {}) };
    if (!spec.noAuth && this.opts.auth) Object.assign(headers, await this.opts.auth.headers());
    let data = spec.data;
    if (spec.form && data && typeof data === 'object') {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      data = new URLSearchParams(Object.entries(data as Record<string, string>).filter(([, v]) => v !== undefined)).toString();
    }
    return {
      method: spec.method,
      url: spec.url,
      params: spec.params,
      paramsSerializer: { indexes: null },
      data,
      headers,
      timeout: spec.timeoutMs ?? this.opts.timeoutMs ?? 15_000,
    };
  }

  private statusError(spec: RequestSpec, status: number, body: unknown): ConnectorError {
    const code: ConnectorErrorCode =
      status === 400 || status === 405 || status === 422 ? 'HW_ERR_CONNECTOR_BAD_REQUEST'
      : status === 401 ? 'HW_ERR_CONNECTOR_UNAUTHORIZED'
      : status === 403 ? 'HW_ERR_CONNECTOR_FORBIDDEN'
      : status === 404 ? 'HW_ERR_CONNECTOR_NOT_FOUND'
      : status === 409 ? 'HW_ERR_CONNECTOR_CONFLICT'
      : status === 429 ? 'HW_ERR_CONNECTOR_RATE_LIMITED'
      : 'HW_ERR_CONNECTOR_VENDOR_ERROR';
    const said = vendorMessage(body);
    const detail = `HTTP ${status} on ${spec.method} ${pathOf(spec.url)}${said ? `: ${quoteVendorText(said, this.secrets())}` : ''}`;
    const err = this.error(spec, code, detail, status, status === 429 || status >= 500);
    if (status === 401 && !this.opts.auth?.refresh) {
      // a static key has no refresh: say so rather than "refused after re-authenticating"
      return new ConnectorError({ code, vendor: this.vendor, operation: spec.operation, detail: err.detail, status, hint: 'the API key or token was refused; check it is current, not revoked, and for this cluster/tenant' });
    }
    return err;
  }

  private transportError(spec: RequestSpec, e: unknown): ConnectorError {
    const code = (e as { code?: string }).code ?? '';
    const timeout = code === 'ETIMEDOUT' || code === 'ECONNABORTED';
    const what = timeout
      ? `no answer within ${spec.timeoutMs ?? this.opts.timeoutMs ?? 15_000} ms`
      : `connection failed (${code || 'network error'})`;
    return this.error(spec, timeout ? 'HW_ERR_CONNECTOR_TIMEOUT' : 'HW_ERR_CONNECTOR_UNREACHABLE', `${what} on ${spec.method} ${pathOf(spec.url)}`, undefined, true);
  }

  error(spec: { operation: string }, code: ConnectorErrorCode, detail: string, status?: number, retryable?: boolean): ConnectorError {
    return new ConnectorError({ code, vendor: this.vendor, operation: spec.operation, detail: quoteVendorText(detail, this.secrets(), 600), status, retryable });
  }
}

function normaliseHeaders(raw: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(raw ?? {})) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v === undefined || v === null ? undefined : String(v);
  return out;
}

/** The path without its query string (queries may carry filters with user data; keep messages short). */
function pathOf(url: string): string {
  try {
    return new URL(url, 'http://x').pathname;
  } catch {
    return url.split('?')[0] ?? url;
  }
}

/** The vendor's own error words, from the envelopes the docs describe (ES, Kibana, CrowdStrike, MS, S1, OAuth). */
export function vendorMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 300) || undefined;
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, any>;
  if (b.error && typeof b.error === 'object') {
    const err = b.error as Record<string, any>;
    if (typeof err.reason === 'string') return `${err.type ?? 'error'}: ${err.reason}`;
    if (typeof err.message === 'string') return `${err.code ?? 'error'}: ${err.message}`;
  }
  if (Array.isArray(b.errors) && b.errors.length > 0) {
    const first = b.errors[0] as Record<string, any>;
    const text = first?.message ?? first?.title ?? first?.detail;
    if (typeof text === 'string') return first.code !== undefined ? `${first.code}: ${text}` : text;
  }
  if (typeof b.error_description === 'string') return `${b.error ?? 'error'}: ${b.error_description}`;
  if (typeof b.message === 'string') return b.message;
  if (typeof b.error === 'string') return b.error;
  return undefined;
}
