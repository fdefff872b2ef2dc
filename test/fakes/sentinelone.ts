// A fake SentinelOne console on 127.0.0.1 (edr-apis §4, §6): ApiToken auth with an expired-token variant,
// /agents with cursor paging, disconnect/connect that select agents by filter (an empty filter selects the
// whole fleet, as the real API does) with networkStatus transitions and activities 1001/2010/1002, Deep
// Visibility init-query limited to 1/min per token, query-status RUNNING -> FINISHED (or FAILED), events
// with cursor paging over a small S1QL subset, threats and STAR alerts with incident status.
import type { Clock } from '../../connectors/http/clock.js';
import type { ContractScenario, ScenarioProcess } from '../connectors/contract.js';
import { FakeServer, type FakeRequest, type FakeResponse } from './harness.js';

export type DvEvent = Record<string, unknown>;

export interface FakeAgent {
  id: string;
  uuid: string;
  computerName: string;
  networkStatus: 'connected' | 'connecting' | 'disconnecting' | 'disconnected';
  osType: string;
  osName: string;
  isActive: boolean;
  /** Reads left before a transition completes. */
  pendingReads: number;
  /** The next disconnect of this agent fails (activity 2010, back to connected). */
  failNextDisconnect?: boolean;
}

export interface SentinelOneFakeOptions {
  token?: string;
  /** Bearer token of the SDL query API (long-running PowerQuery). */
  sdlToken?: string;
  clock?: Clock;
  latencyMs?: number;
}

const API = '/web/api/v2.1';

export class SentinelOneFake {
  readonly server: FakeServer;
  readonly token: string;
  readonly sdlToken: string;
  /** Long-running PowerQueries: steps advance one per poll; the forward tag changes on every answer. */
  readonly lrq = new Map<string, { rows: unknown[][]; columns: string[]; steps: number; tag: string; deleted: boolean }>();
  /** Steps a PowerQuery takes. */
  lrqSteps = 2;
  readonly expiredTokens = new Set<string>();
  readonly agents = new Map<string, FakeAgent>();
  readonly activities: { id: string; agentId: string; activityType: number; createdAt: string; primaryDescription: string }[] = [];
  readonly dvEvents: DvEvent[] = [];
  readonly dvQueries = new Map<string, { query: string; polls: number; state: string; results: DvEvent[]; outcome: string }>();
  readonly threats: Record<string, any>[] = [];
  readonly starAlerts: Record<string, any>[] = [];
  /** Deep Visibility init-query spacing per token (documented 1/min). */
  dvInitIntervalMs = 60_000;
  /** Send Retry-After with the init-query 429 (S1 sometimes does, sometimes not). */
  dvRetryAfter = true;
  /** The state the next Deep Visibility query ends in. */
  dvOutcome: 'FINISHED' | 'FAILED' | 'EMPTY_RESULTS' = 'FINISHED';
  /** Agent reads before disconnecting/connecting completes. */
  networkSteps = 2;
  private readonly lastInit = new Map<string, number>();

  constructor(opts: SentinelOneFakeOptions = {}) {
    this.server = new FakeServer({ clock: opts.clock, latencyMs: opts.latencyMs });
    this.token = opts.token ?? 's1-api-token-value-0001';
    this.sdlToken = opts.sdlToken ?? 's1-sdl-service-token-0001';
    this.routes();
  }

  get url(): string {
    return this.server.url;
  }

  start(): Promise<string> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private now(): number {
    return this.server.clock.now();
  }

  private routes(): void {
    const s = this.server;
    const guarded = (handler: (req: FakeRequest) => FakeResponse) => (req: FakeRequest) => this.auth(req) ?? handler(req);
    s.route('GET', `${API}/agents`, guarded((req) => this.listAgents(req)));
    s.route('POST', `${API}/agents/actions/:verb`, guarded((req) => this.agentAction(req)));
    s.route('GET', `${API}/activities`, guarded((req) => this.listActivities(req)));
    s.route('POST', `${API}/dv/init-query`, guarded((req) => this.initQuery(req)));
    s.route('GET', `${API}/dv/query-status`, guarded((req) => this.queryStatus(req)));
    s.route('GET', `${API}/dv/events`, guarded((req) => this.queryEvents(req)));
    s.route('POST', `${API}/dv/cancel-query`, guarded((req) => this.cancelQuery(req)));
    const bearer = (handler: (req: FakeRequest) => FakeResponse) => (req: FakeRequest) =>
      req.headers.authorization === `Bearer ${this.sdlToken}` ? handler(req) : this.error(401, 4010010, 'Authentication Failed', 'SDL queries need Authorization: Bearer <service-user token>, not ApiToken');
    s.route('POST', '/sdl/v2/api/queries', bearer((req) => this.launchPq(req)));
    s.route('GET', '/sdl/v2/api/queries/:id', bearer((req) => this.pollPq(req)));
    s.route('DELETE', '/sdl/v2/api/queries/:id', bearer((req) => this.deletePq(req)));
    s.route('GET', `${API}/threats`, guarded((req) => this.listThreats(req)));
    s.route('POST', `${API}/threats/incident`, guarded((req) => this.incident(req, this.threats, (t) => String(t.id), (t, v) => (t.threatInfo.incidentStatus = v))));
    s.route('GET', `${API}/cloud-detection/alerts`, guarded((req) => this.listStar(req)));
    s.route('POST', `${API}/cloud-detection/alerts/incident`, guarded((req) => this.incident(req, this.starAlerts, (a) => String(a.alertInfo.alertId), (a, v) => (a.alertInfo.incidentStatus = v))));
  }

  private error(status: number, code: number, title: string, detail: string): FakeResponse {
    return { status, body: { errors: [{ code, title, detail }], data: null } };
  }

  private auth(req: FakeRequest): FakeResponse | null {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('ApiToken ') ? header.slice(9) : '';
    if (token !== this.token) return this.error(401, 4010010, 'Authentication Failed', 'Missing or invalid ApiToken');
    if (this.expiredTokens.has(token)) return this.error(401, 4010020, 'Token expired', 'The ApiToken has expired; generate a new one');
    return null;
  }

  /** Pages a list by an opaque cursor (base64 of the offset). */
  private page<T>(items: T[], req: FakeRequest): { data: T[]; pagination: { nextCursor: string | null; totalItems: number } } {
    const limit = Math.min(1000, Number(req.query.get('limit') ?? 10));
    const cursor = req.query.get('cursor');
    const offset = cursor ? Number(Buffer.from(cursor, 'base64url').toString('utf8')) : 0;
    const next = offset + limit < items.length ? Buffer.from(String(offset + limit), 'utf8').toString('base64url') : null;
    return { data: items.slice(offset, offset + limit), pagination: { nextCursor: next, totalItems: items.length } };
  }

  private advance(agent: FakeAgent): void {
    if (agent.networkStatus !== 'disconnecting' && agent.networkStatus !== 'connecting') return;
    agent.pendingReads -= 1;
    if (agent.pendingReads > 0) return;
    const at = new Date(this.now()).toISOString();
    if (agent.networkStatus === 'disconnecting' && agent.failNextDisconnect) {
      agent.failNextDisconnect = false;
      agent.networkStatus = 'connected';
      this.activities.push({ id: this.server.nextId('act'), agentId: agent.id, activityType: 2010, createdAt: at, primaryDescription: `Agent ${agent.computerName} failed to disconnect from network` });
    } else if (agent.networkStatus === 'disconnecting') {
      agent.networkStatus = 'disconnected';
      this.activities.push({ id: this.server.nextId('act'), agentId: agent.id, activityType: 1001, createdAt: at, primaryDescription: `Agent ${agent.computerName} was disconnected from network` });
    } else {
      agent.networkStatus = 'connected';
      this.activities.push({ id: this.server.nextId('act'), agentId: agent.id, activityType: 1002, createdAt: at, primaryDescription: `Agent ${agent.computerName} was reconnected to network` });
    }
  }

  private view(agent: FakeAgent): Record<string, unknown> {
    const { pendingReads: _p, failNextDisconnect: _f, ...rest } = agent;
    return rest;
  }

  private listAgents(req: FakeRequest): FakeResponse {
    const csv = (name: string) => req.query.get(name)?.split(',').filter(Boolean);
    const ids = csv('ids');
    const uuids = csv('uuids');
    const name = req.query.get('computerName');
    const list = [...this.agents.values()].filter((a) => (!ids || ids.includes(a.id)) && (!uuids || uuids.includes(a.uuid)) && (!name || a.computerName === name));
    for (const agent of list) this.advance(agent);
    const page = this.page(list, req);
    return { status: 200, body: { ...page, data: page.data.map((a) => this.view(a)) } };
  }

  private selectAgents(filter: unknown): FakeAgent[] | string {
    // The real API applies the filter as given; no filter (or an empty one) selects every agent.
    if (filter === undefined || filter === null) return [...this.agents.values()];
    if (typeof filter !== 'object') return 'filter must be an object';
    const ids = (filter as { ids?: unknown }).ids;
    if (ids === undefined) return [...this.agents.values()];
    const list = Array.isArray(ids) ? ids.map(String) : String(ids).split(',');
    return [...this.agents.values()].filter((a) => list.includes(a.id));
  }

  private agentAction(req: FakeRequest): FakeResponse {
    const verb = req.params.verb;
    if (verb !== 'disconnect' && verb !== 'connect') return this.error(404, 4040010, 'Not Found', `no agent action ${verb}`);
    const selected = this.selectAgents((req.body as { filter?: unknown } | undefined)?.filter);
    if (typeof selected === 'string') return this.error(400, 4000010, 'Validation Error', selected);
    for (const agent of selected) {
      if (verb === 'disconnect' && agent.networkStatus !== 'disconnected') {
        agent.networkStatus = 'disconnecting';
        agent.pendingReads = this.networkSteps;
      }
      if (verb === 'connect' && agent.networkStatus !== 'connected') {
        agent.networkStatus = 'connecting';
        agent.pendingReads = this.networkSteps;
      }
    }
    return { status: 200, body: { data: { affected: selected.length } } };
  }

  private listActivities(req: FakeRequest): FakeResponse {
    const agentIds = req.query.get('agentIds')?.split(',');
    const types = req.query.get('activityTypes')?.split(',').map(Number);
    const after = req.query.get('createdAt__gt');
    const list = this.activities.filter((a) => (!agentIds || agentIds.includes(a.agentId)) && (!types || types.includes(a.activityType)) && (!after || Date.parse(a.createdAt) > Date.parse(after)));
    return { status: 200, body: this.page(list, req) };
  }

  private initQuery(req: FakeRequest): FakeResponse {
    const token = String(req.headers.authorization);
    const last = this.lastInit.get(token);
    if (last !== undefined && this.now() - last < this.dvInitIntervalMs) {
      const wait = Math.ceil((this.dvInitIntervalMs - (this.now() - last)) / 1000);
      return { status: 429, headers: this.dvRetryAfter ? { 'Retry-After': String(wait) } : {}, body: { errors: [{ code: 4290010, title: 'Too Many Requests', detail: 'dv/init-query allows 1 request per minute' }], data: null } };
    }
    const body = (req.body ?? {}) as { query?: unknown; fromDate?: unknown; toDate?: unknown };
    if (typeof body.query !== 'string' || body.query.trim() === '') return this.error(400, 4000010, 'Validation Error', 'query is required');
    const from = Date.parse(String(body.fromDate));
    const to = Date.parse(String(body.toDate));
    if (Number.isNaN(from) || Number.isNaN(to)) return this.error(400, 4000010, 'Validation Error', 'fromDate and toDate are required');
    let predicate: (e: DvEvent) => boolean;
    try {
      predicate = parseS1ql(body.query);
    } catch (e) {
      return this.error(400, 4000010, 'Validation Error', `query: ${(e as Error).message}`);
    }
    this.lastInit.set(token, this.now());
    const results = this.dvEvents
      .filter((e) => {
        const at = Date.parse(String(e.createdAt));
        return at >= from && at <= to && predicate(e);
      })
      .sort((a, b) => Date.parse(String(a.createdAt)) - Date.parse(String(b.createdAt)));
    const queryId = this.server.nextId('q');
    this.dvQueries.set(queryId, { query: body.query, polls: 0, state: 'RUNNING', results, outcome: this.dvOutcome });
    return { status: 200, body: { data: { queryId } } };
  }

  private queryStatus(req: FakeRequest): FakeResponse {
    const query = this.dvQueries.get(req.query.get('queryId') ?? '');
    if (!query) return { status: 200, body: { data: { responseState: 'QUERY_NOT_FOUND', progressStatus: 0 } } };
    if (query.state === 'RUNNING') {
      query.polls += 1;
      if (query.polls >= this.server.completeAfterPolls) query.state = query.outcome === 'FINISHED' && query.results.length === 0 ? 'EMPTY_RESULTS' : query.outcome;
    }
    return { status: 200, body: { data: { responseState: query.state, progressStatus: query.state === 'RUNNING' ? 40 : 100 } } };
  }

  private queryEvents(req: FakeRequest): FakeResponse {
    const query = this.dvQueries.get(req.query.get('queryId') ?? '');
    if (!query) return this.error(404, 4040010, 'Not Found', 'queryId not found');
    if (query.state !== 'FINISHED') return this.error(400, 4000010, 'Validation Error', `query is ${query.state}`);
    return { status: 200, body: this.page(query.results, req) };
  }

  private cancelQuery(req: FakeRequest): FakeResponse {
    const body = (req.body ?? {}) as { queryId?: string; queryID?: string };
    const query = this.dvQueries.get(body.queryId ?? body.queryID ?? '');
    if (query) query.state = 'QUERY_CANCEL';
    return { status: 200, body: { data: { success: true } } };
  }

  private launchPq(req: FakeRequest): FakeResponse {
    const body = (req.body ?? {}) as { queryType?: unknown; startTime?: unknown; endTime?: unknown; pq?: { query?: unknown; resultType?: unknown } };
    if (body.queryType !== 'PQ' || typeof body.pq?.query !== 'string') return this.error(400, 4000010, 'Validation Error', 'queryType PQ and pq.query are required');
    const from = Date.parse(String(body.startTime));
    const to = Date.parse(String(body.endTime));
    if (Number.isNaN(from) || Number.isNaN(to)) return this.error(400, 4000010, 'Validation Error', 'startTime and endTime are required');
    let parsed: ReturnType<typeof parsePowerQuery>;
    try {
      parsed = parsePowerQuery(body.pq.query);
    } catch (e) {
      return this.error(400, 4000010, 'Validation Error', `pq.query: ${(e as Error).message}`);
    }
    const matched = this.dvEvents.filter((e) => {
      const at = Date.parse(String(e.createdAt));
      return at >= from && at <= to && parsed.where(e);
    });
    matched.sort((a, b) => Date.parse(String(a.createdAt)) - Date.parse(String(b.createdAt)));
    const rows = matched.slice(0, parsed.limit).map((e) => parsed.columns.map((c) => pqField(e, c) ?? null));
    const id = this.server.nextId('lrq');
    const entry = { rows, columns: parsed.columns, steps: 0, tag: this.server.nextId('tag'), deleted: false };
    this.lrq.set(id, entry);
    return { status: 200, headers: { 'X-Dataset-Query-Forward-Tag': entry.tag }, body: { id, stepsCompleted: 0, stepsTotal: this.lrqSteps } };
  }

  private pqAnswer(id: string, entry: { rows: unknown[][]; columns: string[]; steps: number; tag: string }): FakeResponse {
    const done = entry.steps >= this.lrqSteps;
    return {
      status: 200,
      headers: { 'X-Dataset-Query-Forward-Tag': entry.tag },
      body: { id, stepsCompleted: entry.steps, stepsTotal: this.lrqSteps, data: done ? { columns: entry.columns.map((name) => ({ name })), values: entry.rows, matchCount: entry.rows.length } : null },
    };
  }

  private pollPq(req: FakeRequest): FakeResponse {
    const entry = this.lrq.get(req.params.id!);
    if (!entry || entry.deleted) return this.error(404, 4040010, 'Not Found', 'query not found');
    // The tag routes the poll to the query's server; a stale or missing one is refused.
    if (req.headers['x-dataset-query-forward-tag'] !== entry.tag) return this.error(400, 4000010, 'Validation Error', 'X-Dataset-Query-Forward-Tag missing or stale');
    entry.steps = Math.min(this.lrqSteps, entry.steps + 1);
    entry.tag = this.server.nextId('tag');
    return this.pqAnswer(req.params.id!, entry);
  }

  private deletePq(req: FakeRequest): FakeResponse {
    const entry = this.lrq.get(req.params.id!);
    if (!entry || entry.deleted) return this.error(404, 4040010, 'Not Found', 'query not found');
    if (req.headers['x-dataset-query-forward-tag'] !== entry.tag) return this.error(400, 4000010, 'Validation Error', 'X-Dataset-Query-Forward-Tag missing or stale');
    entry.deleted = true;
    return { status: 204 };
  }

  private inRange(req: FakeRequest, at: string): boolean {
    const gte = req.query.get('createdAt__gte');
    const lte = req.query.get('createdAt__lte');
    return (!gte || Date.parse(at) >= Date.parse(gte)) && (!lte || Date.parse(at) <= Date.parse(lte));
  }

  private listThreats(req: FakeRequest): FakeResponse {
    const agentIds = req.query.get('agentIds')?.split(',');
    const ids = req.query.get('ids')?.split(',');
    const text = req.query.get('query')?.toLowerCase();
    const list = this.threats.filter(
      (t) =>
        (!agentIds || agentIds.includes(t.agentRealtimeInfo.agentId)) &&
        (!ids || ids.includes(t.id)) &&
        (!text || JSON.stringify(t).toLowerCase().includes(text)) &&
        this.inRange(req, t.threatInfo.createdAt),
    );
    return { status: 200, body: this.page(list, req) };
  }

  private listStar(req: FakeRequest): FakeResponse {
    const uuid = req.query.get('origAgentUuid__contains');
    const list = this.starAlerts.filter((a) => (!uuid || String(a.agentDetectionInfo.uuid).includes(uuid)) && this.inRange(req, a.alertInfo.createdAt));
    return { status: 200, body: this.page(list, req) };
  }

  private incident<T>(req: FakeRequest, list: T[], idOf: (item: T) => string, set: (item: T, value: string) => void): FakeResponse {
    const body = (req.body ?? {}) as { filter?: { ids?: unknown }; data?: { incidentStatus?: unknown } };
    const status = body.data?.incidentStatus;
    if (!['unresolved', 'in_progress', 'resolved'].includes(String(status))) return this.error(400, 4000010, 'Validation Error', 'data.incidentStatus is invalid');
    const ids = body.filter?.ids;
    const wanted = ids === undefined ? null : Array.isArray(ids) ? ids.map(String) : String(ids).split(',');
    const matched = list.filter((item) => !wanted || wanted.includes(idOf(item)));
    for (const item of matched) set(item, String(status));
    return { status: 200, body: { data: { affected: matched.length } } };
  }

  // ---- seeding -------------------------------------------------------------------------------------

  /** Loads the connector contract scenario: agents (uuid = host.id), DV events, and the alerts as threats. */
  seedScenario(s: ContractScenario): void {
    let n = 1;
    const agentIds = new Map<string, string>();
    for (const host of Object.values(s.hosts)) {
      const id = `17000000000000000${n++}`;
      agentIds.set(host.id, id);
      this.agents.set(id, { id, uuid: host.id, computerName: host.name.split('.')[0]!.toUpperCase(), networkStatus: 'connected', osType: 'windows', osName: 'Windows 10 Pro', isActive: true, pendingReads: 0 });
    }
    const processes = Object.values(s.processes) as ScenarioProcess[];
    const byEntity = new Map(processes.map((p) => [p.entityId, p]));
    const actor = (p: ScenarioProcess): DvEvent => ({
      agentUuid: p.hostId,
      agentName: p.hostName.split('.')[0]!.toUpperCase(),
      agentOs: 'windows',
      processUniqueKey: p.entityId,
      pid: String(p.pid),
      processName: p.name,
      processImagePath: p.executable,
      processCmd: p.commandLine,
      processStartTime: p.start,
      parentProcessUniqueKey: p.parent?.entityId,
      parentPid: p.parent ? String(p.parent.pid) : undefined,
      parentProcessStartTime: p.parent?.start,
      parentProcessName: p.parent ? byEntity.get(p.parent.entityId)?.name : undefined,
      user: `${p.user.domain}\\${p.user.name}`,
      publisher: 'MICROSOFT WINDOWS',
      signedStatus: 'signed',
      storyline: `story-${p.hostId}`,
    });
    for (const p of processes) this.dvEvents.push({ id: this.server.nextId('ev'), eventType: 'Process Creation', createdAt: p.start, ...actor(p) });
    for (const f of s.fileEvents) this.dvEvents.push({ id: this.server.nextId('ev'), eventType: 'File Creation', createdAt: f.at, fileFullName: f.path, ...actor(f.process as ScenarioProcess) });
    for (const net of s.networkEvents) {
      this.dvEvents.push({ id: this.server.nextId('ev'), eventType: 'IP Connect', createdAt: net.at, dstIp: net.destinationIp, dstPort: net.destinationPort, srcIp: net.sourceIp, srcPort: net.sourcePort, direction: 'OUTGOING', ...actor(net.process as ScenarioProcess) });
    }
    for (const a of s.alerts) {
      this.threats.push({
        id: a.id,
        agentRealtimeInfo: { agentId: agentIds.get(a.hostId), agentComputerName: a.hostName.split('.')[0]!.toUpperCase() },
        agentDetectionInfo: { agentUuid: a.hostId },
        threatInfo: { threatName: a.ruleName, classification: 'Malware', confidenceLevel: 'suspicious', mitigationStatus: 'not_mitigated', incidentStatus: 'unresolved', analystVerdict: 'undefined', processUser: `CORP\\${a.userName}`, storyline: `story-${a.hostId}`, sha1: 'ab'.repeat(20), createdAt: a.at },
      });
    }
  }
}

// S1QL 1.0 subset: `Field = "v"`, `Field In ("a", "b")`, `Field Contains "v"`, joined by AND.
const S1QL_FIELDS: Record<string, (e: DvEvent) => unknown> = {
  AgentUUID: (e) => e.agentUuid,
  EventType: (e) => e.eventType,
  TgtProcUID: (e) => (e.eventType === 'Process Creation' ? e.processUniqueKey : undefined),
  SrcProcUID: (e) => (e.eventType === 'Process Creation' ? e.parentProcessUniqueKey : e.processUniqueKey),
  TgtProcPID: (e) => (e.eventType === 'Process Creation' ? e.pid : undefined),
  SrcProcPID: (e) => (e.eventType === 'Process Creation' ? e.parentPid : e.pid),
};

export function parseS1ql(query: string): (e: DvEvent) => boolean {
  const clauses = query.split(/\s+AND\s+/).map((clause) => {
    const m = /^(\w+)\s+(=|In|Contains)\s+(.+)$/.exec(clause.trim());
    if (!m) throw new Error(`cannot read "${clause}"`);
    const read = S1QL_FIELDS[m[1]!];
    if (!read) throw new Error(`unknown field ${m[1]}`);
    const values = m[2] === 'In' ? (JSON.parse(`[${m[3]!.trim().replace(/^\(|\)$/g, '')}]`) as string[]) : [JSON.parse(m[3]!) as string];
    if (m[2] === 'Contains') return (e: DvEvent) => String(read(e) ?? '').toLowerCase().includes(values[0]!.toLowerCase());
    return (e: DvEvent) => values.includes(String(read(e)));
  });
  return (e) => clauses.every((c) => c(e));
}

// PowerQuery subset: `field = 'v'` and `field in ('a', 'b')` filters (implicit AND) before the first pipe,
// then `| columns a, b` and `| limit N`. Fields are read off the stored DV events by their PQ names.
export function pqField(e: DvEvent, field: string): unknown {
  const creation = e.eventType === 'Process Creation';
  const own: Record<string, string> = { uid: 'processUniqueKey', pid: 'pid', name: 'processName', cmdline: 'processCmd', 'image.path': 'processImagePath', startTime: 'processStartTime', user: 'user' };
  const parentOf: Record<string, string> = { uid: 'parentProcessUniqueKey', pid: 'parentPid', name: 'parentProcessName', startTime: 'parentProcessStartTime' };
  const direct: Record<string, string> = { 'event.time': 'createdAt', 'event.type': 'eventType', 'agent.uuid': 'agentUuid', 'endpoint.name': 'agentName', 'tgt.file.path': 'fileFullName', 'src.ip.address': 'srcIp', 'src.port.number': 'srcPort', 'dst.ip.address': 'dstIp', 'dst.port.number': 'dstPort' };
  if (direct[field]) return e[direct[field]!];
  let m = /^tgt\.process\.(.+)$/.exec(field);
  if (m) return creation && own[m[1]!] ? e[own[m[1]!]!] : undefined;
  m = /^src\.process\.parent\.(.+)$/.exec(field);
  if (m) return !creation && parentOf[m[1]!] ? e[parentOf[m[1]!]!] : undefined;
  m = /^src\.process\.(.+)$/.exec(field);
  if (m) return creation ? (parentOf[m[1]!] ? e[parentOf[m[1]!]!] : undefined) : own[m[1]!] ? e[own[m[1]!]!] : undefined;
  return undefined;
}

export function parsePowerQuery(query: string): { where: (e: DvEvent) => boolean; columns: string[]; limit: number } {
  const [filter, ...stages] = query.split('|').map((part) => part.trim());
  const tests: ((e: DvEvent) => boolean)[] = [];
  const re = /([a-z][\w.]*)\s*(=|in)\s*('(?:[^'\\]|\\.)*'|\((?:'(?:[^'\\]|\\.)*'\s*,?\s*)+\))/gy;
  let rest = filter ?? '';
  re.lastIndex = 0;
  let pos = 0;
  for (;;) {
    while (rest[pos] === ' ') pos++;
    if (pos >= rest.length) break;
    re.lastIndex = pos;
    const m = re.exec(rest);
    if (!m) throw new Error(`cannot read "${rest.slice(pos, pos + 30)}"`);
    pos = re.lastIndex;
    const values = [...m[3]!.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((v) => v[1]!.replace(/\\(.)/g, '$1'));
    const field = m[1]!;
    tests.push((e) => values.includes(String(pqField(e, field))));
  }
  let columns: string[] = ['event.time', 'event.type'];
  let limit = 1000;
  for (const stage of stages) {
    if (stage.startsWith('columns ')) columns = stage.slice(8).split(',').map((c) => c.trim());
    else if (stage.startsWith('limit ')) limit = Number(stage.slice(6));
    else throw new Error(`unsupported stage ${stage}`);
  }
  return { where: (e) => tests.every((t) => t(e)), columns, limit };
}
