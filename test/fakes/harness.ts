// A small fake-vendor server for tests and benches: node:http on 127.0.0.1 port 0, an injectable clock,
// deterministic ids, per-route fault injection, a recorded request log and an "action completes after
// N polls" knob. Vendor fakes (elastic.ts, crowdstrike.ts, ...) register their routes on it.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../connectors/http/clock.js';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names (node's parsing). */
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON or form body; the raw text when neither parses. */
  body: any;
  rawBody: string;
  /** Named path parameters (`:id`). */
  params: Record<string, string>;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export type Handler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface Fault {
  /** Apply on these 1-based call numbers of the route (e.g. [1] = the first call). */
  onCalls?: number[];
  /** Otherwise apply to the next `times` calls (default 1); Infinity = always. */
  times?: number;
  status?: number;
  /** Headers of the faulty answer; a function gets the fake clock's now (ms). */
  headers?: Record<string, string> | ((nowMs: number) => Record<string, string>);
  body?: unknown;
  /** Delay (real ms) before answering or dropping. With no status/drop the normal handler then answers. */
  latencyMs?: number;
  /** Destroy the socket instead of answering. */
  drop?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** Fake-clock time the request arrived (ms). */
  at: number;
  /** Status answered, or 0 when the connection was dropped. */
  status: number;
}

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  keys: string[];
  handler: Handler;
  calls: number;
  faults: Fault[];
}

/** A clock tests drive by hand: `sleep` advances time at once and records the wait. */
export class ManualClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private t = Date.parse('2026-05-01T12:00:00.000Z')) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += Math.max(0, ms);
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(ms: number): void {
    this.t = ms;
  }
}

export interface FakeServerOptions {
  clock?: Clock;
  /** Added to every response (real ms), e.g. to emulate WAN latency in a bench. */
  latencyMs?: number;
  /** Headers added to every response (e.g. CrowdStrike's X-Ratelimit-Limit). */
  defaultHeaders?: (req: FakeRequest) => Record<string, string>;
}

export class FakeServer {
  readonly clock: Clock;
  latencyMs: number;
  /** Async actions finish after this many status reads. */
  completeAfterPolls = 2;
  readonly log: RecordedRequest[] = [];
  private readonly routes: Route[] = [];
  private readonly counters = new Map<string, number>();
  private server: http.Server | null = null;
  private readonly defaultHeaders: FakeServerOptions['defaultHeaders'];
  url = '';

  constructor(opts: FakeServerOptions = {}) {
    this.clock = opts.clock ?? { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
    this.latencyMs = opts.latencyMs ?? 0;
    this.defaultHeaders = opts.defaultHeaders;
  }

  /** Deterministic ids: `<prefix>-0001`, `<prefix>-0002`, ... per prefix. */
  nextId(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}-${String(n).padStart(4, '0')}`;
  }

  /** Registers a handler; `:name` segments become params. First registered match wins. */
  route(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = [];
    const source = pattern
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          keys.push(seg.slice(1));
          return '([^/]+)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ method: method.toUpperCase(), pattern, regex: new RegExp(`^${source}$`), keys, handler, calls: 0, faults: [] });
    return this;
  }

  /** Injects a fault on a registered route (same method and pattern string as `route`). */
  fault(method: string, pattern: string, fault: Fault): this {
    const route = this.routes.find((r) => r.method === method.toUpperCase() && r.pattern === pattern);
    if (!route) throw new Error(`fake: no route ${method} ${pattern} to inject a fault into`);
    route.faults.push({ ...fault, times: fault.onCalls ? undefined : (fault.times ?? 1) });
    return this;
  }

  clearFaults(): void {
    for (const r of this.routes) r.faults = [];
  }

  /** How many times a route was called. */
  calls(method: string, pattern: string): number {
    return this.routes.find((r) => r.method === method.toUpperCase() && r.pattern === pattern)?.calls ?? 0;
  }

  /** The recorded requests, optionally filtered by method and path prefix/regex. */
  requests(method?: string, path?: string | RegExp): RecordedRequest[] {
    return this.log.filter(
      (r) => (!method || r.method === method.toUpperCase()) && (!path || (typeof path === 'string' ? r.path === path : path.test(r.path))),
    );
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = (req.method ?? 'GET').toUpperCase();
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: queryRecord(url.searchParams),
      headers: req.headers,
      body: parseBody(rawBody, req.headers['content-type']),
      at: this.clock.now(),
      status: 0,
    };
    this.log.push(record);
    const fakeReq: FakeRequest = { method, path: url.pathname, query: url.searchParams, headers: req.headers, body: record.body, rawBody, params: {} };

    if (this.latencyMs > 0) await delay(this.latencyMs);
    let route: Route | undefined;
    for (const r of this.routes) {
      if (r.method !== method) continue;
      const m = r.regex.exec(url.pathname);
      if (!m) continue;
      route = r;
      r.keys.forEach((k, i) => (fakeReq.params[k] = decodeURIComponent(m[i + 1] ?? '')));
      break;
    }
    let answer: FakeResponse;
    if (!route) {
      answer = { status: 404, body: { statusCode: 404, error: 'Not Found', message: `no route ${method} ${url.pathname}` } };
    } else {
      route.calls += 1;
      const fault = this.takeFault(route);
      if (fault?.latencyMs) await delay(fault.latencyMs);
      if (fault?.drop) {
        req.socket.destroy();
        return;
      }
      if (fault && fault.status !== undefined) {
        const headers = typeof fault.headers === 'function' ? fault.headers(this.clock.now()) : (fault.headers ?? {});
        answer = { status: fault.status, headers, body: fault.body };
      } else {
        try {
          answer = await route.handler(fakeReq);
        } catch (e) {
          answer = { status: 500, body: { message: `fake handler error: ${(e as Error).message}` } };
        }
      }
    }
    record.status = answer.status;
    const headers: Record<string, string> = { ...(this.defaultHeaders?.(fakeReq) ?? {}), ...(answer.headers ?? {}) };
    if (answer.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json; charset=utf-8';
    }
    res.writeHead(answer.status, headers);
    res.end(answer.body === undefined ? undefined : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  }

  private takeFault(route: Route): Fault | undefined {
    for (const f of route.faults) {
      if (f.onCalls) {
        if (f.onCalls.includes(route.calls)) return f;
        continue;
      }
      if ((f.times ?? 0) > 0) {
        f.times = (f.times ?? 1) - 1;
        return f;
      }
    }
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function parseBody(raw: string, contentType: string | undefined): any {
  if (raw === '') return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? (all[0] ?? '') : all;
  }
  return out;
}
