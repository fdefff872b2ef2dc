// A fake CrowdStrike Falcon API per docs/edr-apis.md §2 and §6: OAuth2 client credentials (201, short
// expires_in, 401 envelope on expired tokens), X-Ratelimit-* on every response, device containment state
// machine (202, pending -> contained after N reads), RTR sessions and kill, alerts v2 (FQL subset,
// offset/limit, entities, combined with `after`, PATCH v3), and NG-SIEM query jobs with a CQL subset.

import type { Clock } from '../../connectors/http/clock.js';
import { FakeServer, type FakeRequest, type FakeResponse } from './harness.js';

export interface CsDevice {
  device_id: string;
  hostname: string;
  status?: 'normal' | 'containment_pending' | 'contained' | 'lift_containment_pending';
  platform_name?: string;
  os_version?: string;
  last_seen?: string;
  local_ip?: string;
}

/** A raw CrowdStrike event as NG-SIEM returns it (ProcessRollup2, *Written, NetworkConnectIP4, ...). */
export type CsEvent = Record<string, unknown> & { '#event_simpleName': string; aid: string; '@timestamp': number };

export type CsAlert = Record<string, any> & { composite_id: string; created_timestamp: string };

export interface CrowdStrikeFakeOptions {
  clientId?: string;
  clientSecret?: string;
  tokenTtlSec?: number;
  clock?: Clock;
  latencyMs?: number;
}

interface Job {
  query: string;
  start: number;
  end: number;
  polls: number;
  lastTouched: number;
}

interface RtrCommand {
  sessionId: string;
  deviceId: string;
  pid: number;
  polls: number;
}

const envelope = (errors: { code: number; message: string }[], resources: unknown[] = [], extra: Record<string, unknown> = {}) => ({
  meta: { query_time: 0.001, powered_by: 'fake-crowdstrike', trace_id: 'trace-fake', ...extra },
  resources,
  errors,
});

export class CrowdStrikeFake {
  readonly server: FakeServer;
  readonly clientId: string;
  readonly clientSecret: string;
  tokenTtlSec: number;
  readonly tokens = new Map<string, number>();
  readonly devices = new Map<string, CsDevice & { reads: number; outcome: 'success' | 'revert' }>();
  readonly events: CsEvent[] = [];
  readonly alerts = new Map<string, CsAlert>();
  readonly jobs = new Map<string, Job>();
  /** RTR session id -> device id. */
  readonly sessions = new Map<string, string>();
  readonly commands = new Map<string, RtrCommand>();
  /** Pids running per device; kill fails for others. */
  readonly running = new Map<string, Set<number>>();
  /** The next containment reverts to normal instead of completing. */
  nextContainOutcome: 'success' | 'revert' = 'success';
  /** RTR sessions expire before their command is polled. */
  expireSessions = false;
  /** NG-SIEM licensed; false answers 403 on query jobs. */
  ngsiemEnabled = true;
  /** Threat Graph scope granted; false answers 403. */
  threatGraphEnabled = true;
  /** A job not polled for this long is gone (LogScale ~90 s). */
  jobTtlMs = 90_000;
  private remaining = 6000;

  constructor(opts: CrowdStrikeFakeOptions = {}) {
    this.clientId = opts.clientId ?? 'fake-client-id';
    this.clientSecret = opts.clientSecret ?? 'fake-client-secret-0123456789';
    this.tokenTtlSec = opts.tokenTtlSec ?? 1799;
    this.server = new FakeServer({
      clock: opts.clock,
      latencyMs: opts.latencyMs,
      defaultHeaders: () => ({ 'X-Ratelimit-Limit': '6000', 'X-Ratelimit-Remaining': String(Math.max(0, --this.remaining)), 'X-Cs-Traceid': 'trace-fake' }),
    });
    this.routes();
  }

  get clock(): Clock {
    return this.server.clock;
  }

  async start(): Promise<string> {
    return this.server.start();
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  addDevice(d: CsDevice, runningPids: number[] = []): void {
    this.devices.set(d.device_id, { status: 'normal', platform_name: 'Windows', last_seen: new Date(this.clock.now()).toISOString(), ...d, reads: 0, outcome: 'success' });
    this.running.set(d.device_id, new Set(runningPids));
  }

  addEvents(events: CsEvent[]): void {
    this.events.push(...events);
  }

  addAlert(a: Omit<CsAlert, 'composite_id'> & { composite_id?: string }): string {
    const id = a.composite_id ?? `cid:ind:${this.server.nextId('alert')}`;
    this.alerts.set(id, { status: 'new', product: 'epp', ...a, composite_id: id } as unknown as CsAlert);
    return id;
  }

  /** 429 with X-Ratelimit-Retryafter = now + `inSeconds` (epoch seconds) on the next call of a route. */
  rateLimit(method: string, pattern: string, inSeconds: number, times = 1): void {
    this.server.fault(method, pattern, {
      status: 429,
      times,
      headers: (now) => ({ 'X-Ratelimit-Retryafter': String(Math.ceil(now / 1000) + inSeconds), 'X-Ratelimit-Remaining': '0' }),
      body: envelope([{ code: 429, message: 'API rate limit exceeded.' }]),
    });
  }

  private authed(handler: (req: FakeRequest) => FakeResponse): (req: FakeRequest) => FakeResponse {
    return (req) => {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      const exp = m ? this.tokens.get(m[1]!) : undefined;
      if (exp === undefined || exp <= this.clock.now()) return { status: 401, body: envelope([{ code: 401, message: 'access denied, authorization failed' }]) };
      return handler(req);
    };
  }

  private routes(): void {
    const s = this.server;
    s.route('POST', '/oauth2/token', (req) => {
      if (!String(req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
        return { status: 400, body: envelope([{ code: 400, message: 'unsupported content type' }]) };
      }
      if (req.body?.client_id !== this.clientId || req.body?.client_secret !== this.clientSecret) {
        return { status: 403, body: envelope([{ code: 403, message: 'access denied, invalid client' }]) };
      }
      const token = `cs-token-${s.nextId('t')}`;
      this.tokens.set(token, this.clock.now() + this.tokenTtlSec * 1000);
      return { status: 201, headers: { 'X-Cs-Region': 'us-1' }, body: { access_token: token, token_type: 'bearer', expires_in: this.tokenTtlSec } };
    });

    // ---- devices
    s.route('GET', '/devices/entities/devices/v2', this.authed((req) => {
      const ids = req.query.getAll('ids');
      const found = ids.map((id) => this.devices.get(id)).filter((d) => d !== undefined);
      for (const d of found) this.advance(d);
      const missing = ids.filter((id) => !this.devices.has(id));
      const resources = found.map(({ reads: _r, outcome: _o, ...d }) => d);
      return { status: found.length === 0 ? 404 : 200, body: envelope(missing.map((id) => ({ code: 404, message: `Device ${id} not found` })), resources) };
    }));
    s.route('GET', '/devices/queries/devices/v1', this.authed((req) => {
      const m = /^hostname:'([^']*)'$/.exec(req.query.get('filter') ?? '');
      const ids = [...this.devices.values()].filter((d) => !m || d.hostname === m[1]).map((d) => d.device_id);
      return { status: 200, body: envelope([], ids, { pagination: { offset: 0, limit: 100, total: ids.length } }) };
    }));
    s.route('POST', '/devices/entities/devices-actions/v2', this.authed((req) => {
      const action = req.query.get('action_name');
      if (action !== 'contain' && action !== 'lift_containment') return { status: 400, body: envelope([{ code: 400, message: `invalid action_name ${action}` }]) };
      const ids: string[] = Array.isArray(req.body?.ids) ? req.body.ids : [];
      if (ids.length === 0) return { status: 400, body: envelope([{ code: 400, message: 'ids is required' }]) };
      const errors: { code: number; message: string }[] = [];
      const resources: unknown[] = [];
      for (const id of ids) {
        const d = this.devices.get(id);
        if (!d) {
          errors.push({ code: 404, message: `Device ${id} not found` });
          continue;
        }
        d.status = action === 'contain' ? 'containment_pending' : 'lift_containment_pending';
        d.reads = 0;
        d.outcome = this.nextContainOutcome;
        resources.push({ id, path: `/devices/entities/devices/v2?ids=${id}` });
      }
      return { status: resources.length ? 202 : 404, body: envelope(errors, resources) };
    }));

    // ---- RTR
    s.route('POST', '/real-time-response/entities/sessions/v1', this.authed((req) => {
      const device = req.body?.device_id;
      if (!this.devices.has(device)) return { status: 404, body: envelope([{ code: 404, message: 'Could not find sensor' }]) };
      const session = s.nextId('session');
      this.sessions.set(session, device);
      return { status: 201, body: envelope([], [{ session_id: session, scripts: [] }]) };
    }));
    s.route('DELETE', '/real-time-response/entities/sessions/v1', this.authed((req) => {
      this.sessions.delete(req.query.get('session_id') ?? '');
      return { status: 204 };
    }));
    s.route('POST', '/real-time-response/entities/active-responder-command/v1', this.authed((req) => {
      const b = req.body ?? {};
      if (!this.sessions.has(b.session_id)) return { status: 404, body: envelope([{ code: 404, message: 'Session not found' }]) };
      const m = /^kill (\d+)$/.exec(String(b.command_string ?? ''));
      if (b.base_command !== 'kill' || !m) return { status: 400, body: envelope([{ code: 400, message: 'unsupported command' }]) };
      const id = s.nextId('cloudreq');
      this.commands.set(id, { sessionId: b.session_id, deviceId: this.sessions.get(b.session_id)!, pid: Number(m[1]), polls: 0 });
      return { status: 201, body: envelope([], [{ cloud_request_id: id, session_id: b.session_id, queued_command_offline: false }]) };
    }));
    s.route('GET', '/real-time-response/entities/active-responder-command/v1', this.authed((req) => {
      const cmd = this.commands.get(req.query.get('cloud_request_id') ?? '');
      if (!cmd) return { status: 404, body: envelope([{ code: 404, message: 'cloud_request_id not found' }]) };
      if (this.expireSessions) {
        this.sessions.delete(cmd.sessionId);
        return { status: 404, body: envelope([{ code: 404, message: 'Session has expired' }]) };
      }
      cmd.polls += 1;
      const complete = cmd.polls >= s.completeAfterPolls;
      let stdout = '';
      let stderr = '';
      if (complete) {
        const running = this.running.get(cmd.deviceId);
        if (running?.has(cmd.pid)) {
          stdout = `Process ${cmd.pid} killed`;
          running.delete(cmd.pid);
        } else stderr = `Could not find process with PID ${cmd.pid}`;
      }
      return { status: 200, body: envelope([], [{ complete, stdout, stderr, base_command: 'kill', sequence_id: Number(req.query.get('sequence_id') ?? 0), task_id: req.query.get('cloud_request_id') }]) };
    }));

    // ---- alerts
    s.route('GET', '/alerts/queries/alerts/v2', this.authed((req) => {
      let list: CsAlert[];
      try {
        list = this.filterAlerts(req.query.get('filter') ?? '', req.query.get('sort') ?? 'created_timestamp|desc');
      } catch (e) {
        return { status: 400, body: envelope([{ code: 400, message: (e as Error).message }]) };
      }
      const offset = Number(req.query.get('offset') ?? 0);
      const limit = Math.min(10_000, Number(req.query.get('limit') ?? 100));
      return { status: 200, body: envelope([], list.slice(offset, offset + limit).map((a) => a.composite_id), { pagination: { offset, limit, total: list.length } }) };
    }));
    s.route('POST', '/alerts/entities/alerts/v2', this.authed((req) => {
      const ids: string[] = req.body?.composite_ids ?? [];
      if (ids.length > 1000) return { status: 400, body: envelope([{ code: 400, message: 'too many ids' }]) };
      return { status: 200, body: envelope([], ids.map((id) => this.alerts.get(id)).filter(Boolean)) };
    }));
    s.route('POST', '/alerts/combined/alerts/v1', this.authed((req) => {
      const b = req.body ?? {};
      let list: CsAlert[];
      try {
        list = this.filterAlerts(b.filter ?? '', b.sort ?? 'created_timestamp|desc');
      } catch (e) {
        return { status: 400, body: envelope([{ code: 400, message: (e as Error).message }]) };
      }
      const offset = b.after ? Number(Buffer.from(String(b.after), 'base64url').toString()) : 0;
      const limit = Math.min(1000, Number(b.limit ?? 100));
      const page = list.slice(offset, offset + limit);
      const next = offset + limit < list.length ? Buffer.from(String(offset + limit)).toString('base64url') : undefined;
      return { status: 200, body: envelope([], page, { pagination: { total: list.length, ...(next ? { after: next } : {}) } }) };
    }));
    s.route('PATCH', '/alerts/entities/alerts/v3', this.authed((req) => {
      const b = req.body ?? {};
      const ids: string[] = b.composite_ids ?? [];
      const status = (b.action_parameters ?? []).find((p: { name: string }) => p.name === 'update_status')?.value;
      if (status && !['new', 'in_progress', 'reopened', 'closed'].includes(status)) return { status: 400, body: envelope([{ code: 400, message: `invalid update_status ${status}` }]) };
      const missing = ids.filter((id) => !this.alerts.has(id));
      for (const id of ids) {
        const a = this.alerts.get(id);
        if (a && status) a.status = status;
        const comment = (b.action_parameters ?? []).find((p: { name: string }) => p.name === 'append_comment')?.value;
        if (a && comment) (a.comments ??= []).push(comment);
      }
      return { status: 200, body: envelope(missing.map((id) => ({ code: 404, message: `alert ${id} not found` })), []) };
    }));

    // ---- Threat Graph (built from the same ProcessRollup2 events)
    const vertex = (id: string): CsEvent | undefined => {
      const m = /^pid:([^:]+):(.+)$/.exec(id);
      return m ? this.events.find((e) => e['#event_simpleName'] === 'ProcessRollup2' && e.aid === m[1] && String(e.TargetProcessId) === m[2]) : undefined;
    };
    const tgDenied = (): FakeResponse => ({ status: 403, body: envelope([{ code: 403, message: 'access denied, missing required scope threatgraph:read' }]) });
    s.route('GET', '/threatgraph/combined/processes/summary/v1', this.authed((req) => {
      if (!this.threatGraphEnabled) return tgDenied();
      const ids = req.query.getAll('ids');
      if (ids.length > 100) return { status: 400, body: envelope([{ code: 400, message: 'at most 100 ids' }]) };
      const resources = ids.flatMap((id) => {
        const e = vertex(id);
        if (!e) return [];
        return [{
          id,
          vertex_type: 'process',
          properties: {
            CommandLine: e.CommandLine,
            ImageFileName: e.ImageFileName,
            SHA256HashData: e.SHA256HashData,
            UserSid: e.UserSid,
            UserName: e.UserName,
            ParentProcessId: e.ParentProcessId,
            RawProcessId: e.RawProcessId,
            ProcessStartTime_formatted: new Date(e['@timestamp']).toISOString(),
            ComputerName: e.ComputerName,
          },
          edges: {},
        }];
      });
      return { status: 200, body: envelope([], resources) };
    }));
    s.route('GET', '/threatgraph/combined/edges/v1', this.authed((req) => {
      if (!this.threatGraphEnabled) return tgDenied();
      const id = req.query.get('ids') ?? '';
      const type = req.query.get('edge_type');
      const self = vertex(id);
      if (!self) return { status: 404, body: envelope([{ code: 404, message: `vertex ${id} not found` }]) };
      let targets: CsEvent[] = [];
      if (type === 'child_process') targets = this.events.filter((e) => e['#event_simpleName'] === 'ProcessRollup2' && e.aid === self.aid && String(e.ParentProcessId ?? '') === String(self.TargetProcessId));
      else if (type === 'parent_process') targets = this.events.filter((e) => e['#event_simpleName'] === 'ProcessRollup2' && e.aid === self.aid && String(e.TargetProcessId) === String(self.ParentProcessId ?? ''));
      else return { status: 400, body: envelope([{ code: 400, message: `unknown edge_type ${type}` }]) };
      targets.sort((a, b) => a['@timestamp'] - b['@timestamp']);
      const offset = Number(req.query.get('offset') || 0);
      const limit = Math.min(100, Number(req.query.get('limit') ?? 100));
      const page = targets.slice(offset, offset + limit);
      const next = offset + limit < targets.length ? String(offset + limit) : undefined;
      return {
        status: 200,
        body: envelope([], page.map((e) => ({ id: `pid:${e.aid}:${e.TargetProcessId}`, edge_type: type, timestamp: new Date(e['@timestamp']).toISOString(), direction: 'primary' })), next ? { pagination: { offset: next } } : {}),
      };
    }));

    // ---- NG-SIEM query jobs
    s.route('POST', '/humio/api/v1/repositories/:repo/queryjobs', this.authed((req) => {
      if (!this.ngsiemEnabled) return { status: 403, body: envelope([{ code: 403, message: 'access denied, missing required scope' }]) };
      if (req.params.repo !== 'search-all') return { status: 404, body: { message: `repository ${req.params.repo} not found` } };
      const b = req.body ?? {};
      if (typeof b.queryString !== 'string') return { status: 400, body: { message: 'queryString is required' } };
      const id = s.nextId('job');
      this.jobs.set(id, { query: b.queryString, start: timeArg(b.start, this.clock.now()), end: timeArg(b.end ?? 'now', this.clock.now()), polls: 0, lastTouched: this.clock.now() });
      return { status: 200, body: { id, hashedQueryOnView: 'x' } };
    }));
    s.route('GET', '/humio/api/v1/repositories/:repo/queryjobs/:id', this.authed((req) => {
      const job = this.jobs.get(req.params.id ?? '');
      if (!job || this.clock.now() - job.lastTouched > this.jobTtlMs) {
        this.jobs.delete(req.params.id ?? '');
        return { status: 404, body: { message: 'No query with id found' } };
      }
      job.polls += 1;
      job.lastTouched = this.clock.now();
      const done = job.polls >= s.completeAfterPolls;
      let events: CsEvent[] = [];
      if (done) {
        try {
          events = runCql(this.events, job.query, job.start, job.end);
        } catch (e) {
          return { status: 400, body: { message: (e as Error).message } };
        }
      }
      return { status: 200, body: { done, cancelled: false, events, metaData: { eventCount: events.length, pollAfter: 250, isAggregate: false } } };
    }));
    s.route('DELETE', '/humio/api/v1/repositories/:repo/queryjobs/:id', this.authed((req) => {
      this.jobs.delete(req.params.id ?? '');
      return { status: 204 };
    }));
  }

  private advance(d: CsDevice & { reads: number; outcome: 'success' | 'revert' }): void {
    if (d.status !== 'containment_pending' && d.status !== 'lift_containment_pending') return;
    d.reads += 1;
    if (d.reads < this.server.completeAfterPolls) return;
    const containing = d.status === 'containment_pending';
    d.status = d.outcome === 'success' ? (containing ? 'contained' : 'normal') : containing ? 'normal' : 'contained';
  }

  private filterAlerts(filter: string, sort: string): CsAlert[] {
    const clauses = parseFql(filter);
    const [field, dir] = sort.split(/[|.](?=asc$|desc$)/);
    const list = [...this.alerts.values()].filter((a) => clauses.every((c) => c(a)));
    list.sort((a, b) => {
      const x = String(pick(a, field ?? 'created_timestamp'));
      const y = String(pick(b, field ?? 'created_timestamp'));
      return (x < y ? -1 : x > y ? 1 : 0) * (dir === 'asc' ? 1 : -1);
    });
    return list;
  }
}

function pick(obj: Record<string, any>, path: string): unknown {
  return path.split('.').reduce<any>((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);
}

/** FQL subset: `field:'v'`, `field:>='iso'`, `field:<='iso'`, `field:>'v'`, `field:<'v'`, joined by `+` (AND). */
function parseFql(filter: string): ((a: Record<string, any>) => boolean)[] {
  if (!filter.trim()) return [];
  return filter.split('+').map((clause) => {
    const m = /^([\w.]+):(>=|<=|>|<|!)?'([^']*)'$/.exec(clause.trim());
    if (!m) throw new Error(`Invalid filter expression near "${clause}"`);
    const [, field, op, value] = m;
    return (a) => {
      const v = pick(a, field!);
      if (v === undefined) return false;
      const s = String(v);
      switch (op) {
        case '>=': return s >= value!;
        case '<=': return s <= value!;
        case '>': return s > value!;
        case '<': return s < value!;
        case '!': return s !== value;
        default: return s === value;
      }
    };
  });
}

function timeArg(v: unknown, now: number): number {
  if (typeof v === 'number') return v;
  const s = String(v);
  if (s === 'now') return now;
  const m = /^(\d+)([smhd])$/.exec(s);
  if (m) return now - Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's'];
  const parsed = Date.parse(s);
  if (Number.isNaN(parsed)) throw new Error(`bad time ${s}`);
  return parsed;
}

/**
 * CQL subset over stored events: whitespace-separated `Field=value`, `Field="quoted"`, `Field=/regex/`,
 * and `in(Field, values=["a","b"])`, all ANDed; after the first `|` only `head(N)` is honoured.
 */
export function runCql(events: CsEvent[], query: string, start: number, end: number): CsEvent[] {
  const [filterPart, ...pipes] = query.split('|');
  const preds: ((e: CsEvent) => boolean)[] = [];
  const re = /in\(\s*([#@\w.]+)\s*,\s*values\s*=\s*\[([^\]]*)\]\s*\)|([#@\w.]+)\s*=\s*("(?:[^"\\]|\\.)*"|\/(?:[^/\\]|\\.)*\/|[^\s]+)/g;
  const text = (filterPart ?? '').trim();
  let consumed = '';
  for (const m of text.matchAll(re)) {
    consumed += m[0];
    if (m[1]) {
      const field = m[1];
      const values = [...m[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]!.replace(/\\(.)/g, '$1'));
      preds.push((e) => values.includes(String(e[field])));
    } else {
      const field = m[3]!;
      const raw = m[4]!;
      if (raw.startsWith('/')) {
        const rx = new RegExp(raw.slice(1, -1));
        preds.push((e) => rx.test(String(e[field] ?? '')));
      } else {
        const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
        preds.push((e) => e[field] !== undefined && String(e[field]) === value);
      }
    }
  }
  if (consumed.replace(/\s/g, '').length !== text.replace(/\s/g, '').length) throw new Error(`unsupported CQL in fake: ${text}`);
  let out = events.filter((e) => e['@timestamp'] >= start && e['@timestamp'] <= end && preds.every((p) => p(e)));
  out.sort((a, b) => a['@timestamp'] - b['@timestamp']);
  for (const p of pipes) {
    const head = /^\s*head\((\d+)\)\s*$/.exec(p);
    if (head) out = out.slice(0, Number(head[1]));
  }
  return out;
}
