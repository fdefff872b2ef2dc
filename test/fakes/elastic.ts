// A fake Elasticsearch + Kibana that follows the documented contract (docs/edr-apis.md §1, §6):
// ApiKey auth (401), kbn-xsrf on Kibana writes (400), _search over index patterns with bool/term/terms/
// range, sort + search_after, _source, _shards failures; endpoint metadata; response actions that go
// pending -> successful/failed/expired after N polls; signals search and status.

import type { Clock } from '../../connectors/http/clock.js';
import { FakeServer, type FakeRequest, type FakeResponse } from './harness.js';
import { QueryError, dateMath, globToRegex, matches, runSearch, type StoredDoc } from './es-query.js';

export interface FakeEndpoint {
  agentId: string;
  hostId: string;
  hostName: string;
  os?: string;
  status?: 'healthy' | 'offline' | 'updating' | 'inactive' | 'unenrolled';
  isolated?: boolean;
}

export type ActionOutcome = 'success' | 'failure' | 'expire';

interface FakeAction {
  details: Record<string, any>;
  polls: number;
  outcome: ActionOutcome;
}

export interface ElasticFakeOptions {
  apiKey?: string;
  clock?: Clock;
  latencyMs?: number;
}

export const ALERTS_INDEX = '.alerts-security.alerts-default';

export class ElasticFake {
  readonly server: FakeServer;
  readonly apiKey: string;
  readonly docs: StoredDoc[] = [];
  readonly endpoints = new Map<string, FakeEndpoint>();
  readonly actions = new Map<string, FakeAction>();
  /** Outcome of the next created response action. */
  nextOutcome: ActionOutcome = 'success';
  /** Indices (globs) whose shards fail: their docs are left out and `_shards.failed` counts them. */
  failingIndices: string[] = [];
  /** Answer searches with `timed_out: true`. */
  timedOut = false;

  constructor(opts: ElasticFakeOptions = {}) {
    this.apiKey = opts.apiKey ?? 'ZmFrZS1pZDpmYWtlLWtleQ==';
    this.server = new FakeServer({ clock: opts.clock, latencyMs: opts.latencyMs });
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

  /** Stores events (ECS, nested or dotted) in a concrete index such as `logs-endpoint.events.process-default`. */
  addEvents(index: string, events: Record<string, unknown>[]): void {
    for (const source of events) this.docs.push({ index, id: this.server.nextId('doc'), source });
  }

  /** Stores a detection alert (`kibana.alert.*`, `event.kind: signal`); returns its _id. */
  addAlert(source: Record<string, unknown>): string {
    const id = this.server.nextId('alert');
    this.docs.push({ index: ALERTS_INDEX, id, source: { 'event.kind': 'signal', 'kibana.alert.workflow_status': 'open', ...source } });
    return id;
  }

  addEndpoint(e: FakeEndpoint): void {
    this.endpoints.set(e.agentId, { status: 'healthy', isolated: false, os: 'Windows', ...e });
  }

  alert(id: string): Record<string, unknown> | undefined {
    return this.docs.find((d) => d.id === id && d.index === ALERTS_INDEX)?.source;
  }

  private authorised(req: FakeRequest): boolean {
    return req.headers.authorization === `ApiKey ${this.apiKey}`;
  }

  private es(handler: (req: FakeRequest) => FakeResponse): (req: FakeRequest) => FakeResponse {
    return (req) => {
      if (!this.authorised(req)) {
        return { status: 401, headers: { 'WWW-Authenticate': 'ApiKey' }, body: { error: { root_cause: [{ type: 'security_exception', reason: 'unable to authenticate with provided credentials' }], type: 'security_exception', reason: 'unable to authenticate with provided credentials' }, status: 401 } };
      }
      return handler(req);
    };
  }

  private kibana(handler: (req: FakeRequest) => FakeResponse): (req: FakeRequest) => FakeResponse {
    return (req) => {
      if (!this.authorised(req)) return { status: 401, body: { statusCode: 401, error: 'Unauthorized', message: '[security_exception]: unable to authenticate with provided credentials' } };
      if (req.method !== 'GET' && req.method !== 'HEAD' && req.headers['kbn-xsrf'] === undefined) {
        return { status: 400, body: { statusCode: 400, error: 'Bad Request', message: 'Request must contain a kbn-xsrf header.' } };
      }
      return handler(req);
    };
  }

  private search(indexExpr: string, body: any, ignoreUnavailable = false): FakeResponse {
    const patterns = indexExpr.split(',').filter(Boolean);
    const known = [...new Set(this.docs.map((d) => d.index))];
    const matched = new Set<string>();
    for (const p of patterns) {
      const hits = known.filter((i) => globToRegex(p).test(i));
      if (hits.length === 0 && !p.includes('*') && !ignoreUnavailable) {
        return { status: 404, body: { error: { root_cause: [{ type: 'index_not_found_exception', reason: `no such index [${p}]` }], type: 'index_not_found_exception', reason: `no such index [${p}]` }, status: 404 } };
      }
      hits.forEach((h) => matched.add(h));
    }
    const failing = [...matched].filter((i) => this.failingIndices.some((f) => globToRegex(f).test(i)));
    const docs = this.docs.filter((d) => matched.has(d.index) && !failing.includes(d.index));
    let result;
    try {
      result = runSearch(docs, body, this.clock.now());
    } catch (e) {
      if (e instanceof QueryError) return { status: 400, body: { error: { root_cause: [{ type: 'parsing_exception', reason: e.message }], type: 'parsing_exception', reason: e.message }, status: 400 } };
      throw e;
    }
    return {
      status: 200,
      body: {
        took: 1,
        timed_out: this.timedOut,
        _shards: {
          total: matched.size,
          successful: matched.size - failing.length,
          skipped: 0,
          failed: failing.length,
          ...(failing.length ? { failures: failing.map((index) => ({ shard: 0, index, reason: { type: 'node_not_connected_exception', reason: 'node disconnected' } })) } : {}),
        },
        hits: {
          ...(body?.track_total_hits === false ? {} : { total: { value: result.total, relation: 'eq' } }),
          max_score: null,
          hits: result.hits,
        },
      },
    };
  }

  private hostInfo(e: FakeEndpoint): Record<string, unknown> {
    return {
      host_status: e.status,
      metadata: {
        agent: { id: e.agentId, type: 'endpoint' },
        host: { id: e.hostId, name: e.hostName, hostname: e.hostName, os: { name: e.os, family: 'windows' } },
        Endpoint: { state: { isolation: e.isolated }, configuration: { isolation: e.isolated }, capabilities: ['isolation', 'kill_process'] },
      },
    };
  }

  private routes(): void {
    const s = this.server;
    const searchRoute = this.es((req) => this.search(req.params.index ?? '', req.body ?? {}, req.query.get('ignore_unavailable') === 'true'));
    s.route('POST', '/:index/_search', searchRoute);
    s.route('GET', '/:index/_search', searchRoute);
    // Kibana routes answer in the default space and under /s/{space_id}
    const kb = (method: string, path: string, handler: (req: FakeRequest) => FakeResponse): void => {
      s.route(method, path, handler);
      s.route(method, `/s/:space${path}`, handler);
    };

    kb('GET', '/api/endpoint/metadata', this.kibana((req) => {
      const kuery = req.query.get('kuery') ?? '';
      const m = /^(?:united\.endpoint\.)?(host\.id|host\.hostname|host\.name|agent\.id)\s*:\s*"?([^"]*)"?$/.exec(kuery.trim());
      let list = [...this.endpoints.values()];
      if (kuery && !m) return { status: 400, body: { statusCode: 400, error: 'Bad Request', message: `[request query.kuery]: cannot parse ${kuery}` } };
      if (m) {
        const [, field, value] = m;
        list = list.filter((e) => (field === 'host.id' ? e.hostId : field === 'agent.id' ? e.agentId : e.hostName) === value);
      }
      const page = Number(req.query.get('page') ?? 0);
      const pageSize = Number(req.query.get('pageSize') ?? 10);
      return { status: 200, body: { data: list.slice(page * pageSize, page * pageSize + pageSize).map((e) => this.hostInfo(e)), total: list.length, page, pageSize } };
    }));
    kb('GET', '/api/endpoint/metadata/:agentId', this.kibana((req) => {
      const e = this.endpoints.get(req.params.agentId ?? '');
      return e ? { status: 200, body: this.hostInfo(e) } : { status: 404, body: { statusCode: 404, error: 'Not Found', message: `Endpoint ${req.params.agentId} not found` } };
    }));

    for (const [path, command] of [['isolate', 'isolate'], ['unisolate', 'unisolate'], ['kill_process', 'kill-process']] as const) {
      kb('POST', `/api/endpoint/action/${path}`, this.kibana((req) => this.createAction(command, req.body)));
    }
    kb('GET', '/api/endpoint/action/:id', this.kibana((req) => {
      const action = this.actions.get(req.params.id ?? '');
      if (!action) return { status: 404, body: { statusCode: 404, error: 'Not Found', message: `Action [${req.params.id}] not found` } };
      action.polls += 1;
      if (!action.details.isCompleted && !action.details.isExpired && action.polls >= s.completeAfterPolls) this.complete(action);
      return { status: 200, body: { data: action.details } };
    }));
    kb('GET', '/api/endpoint/action', this.kibana((req) => {
      const agentIds = req.query.getAll('agentIds');
      const commands = req.query.getAll('commands');
      const statuses = req.query.getAll('statuses');
      const list = [...this.actions.values()]
        .map((a) => a.details)
        .filter((d) => (agentIds.length === 0 || d.agents.some((x: string) => agentIds.includes(x))) && (commands.length === 0 || commands.includes(d.command)) && (statuses.length === 0 || statuses.includes(d.status)));
      const page = Number(req.query.get('page') ?? 1);
      const pageSize = Math.min(100, Number(req.query.get('pageSize') ?? 10));
      return { status: 200, body: { page, pageSize, total: list.length, data: list.slice((page - 1) * pageSize, page * pageSize) } };
    }));

    kb('POST', '/api/detection_engine/signals/search', this.kibana((req) => this.search(ALERTS_INDEX, req.body ?? {})));
    kb('POST', '/api/detection_engine/signals/status', this.kibana((req) => {
      const body = req.body ?? {};
      const statuses = ['open', 'acknowledged', 'in-progress', 'closed'];
      if (!statuses.includes(body.status)) return { status: 400, body: { status_code: 400, message: `[request body.status]: expected one of ${statuses.join(', ')}` } };
      if (!Array.isArray(body.signal_ids) && !body.query) return { status: 400, body: { status_code: 400, message: '[request body]: signal_ids or query is required' } };
      const targets = this.docs.filter((d) => d.index === ALERTS_INDEX && (Array.isArray(body.signal_ids) ? body.signal_ids.includes(d.id) : matches(d.source, body.query, this.clock.now())));
      for (const t of targets) t.source['kibana.alert.workflow_status'] = body.status;
      return { status: 200, body: { took: 1, timed_out: false, total: targets.length, updated: targets.length, deleted: 0, batches: 1, version_conflicts: 0, noops: 0, failures: [] } };
    }));
  }

  private createAction(command: string, body: any): FakeResponse {
    if (!Array.isArray(body?.endpoint_ids) || body.endpoint_ids.length === 0 || !body.endpoint_ids.every((x: unknown) => typeof x === 'string')) {
      return { status: 400, body: { statusCode: 400, error: 'Bad Request', message: '[request body.endpoint_ids]: array size is [0], but at least one item is required' } };
    }
    if (command === 'kill-process' && !body.parameters?.entity_id && body.parameters?.pid === undefined) {
      return { status: 400, body: { statusCode: 400, error: 'Bad Request', message: '[request body.parameters]: entity_id or pid is required' } };
    }
    const unknown = body.endpoint_ids.filter((id: string) => !this.endpoints.has(id));
    if (unknown.length) return { status: 404, body: { statusCode: 404, error: 'Not Found', message: `Endpoint(s) not found: ${unknown.join(', ')}` } };
    const id = this.server.nextId('action');
    const agents: string[] = body.endpoint_ids;
    const details = {
      id,
      agents,
      hosts: Object.fromEntries(agents.map((a) => [a, { name: this.endpoints.get(a)?.hostName }])),
      command,
      agentType: 'endpoint',
      status: 'pending',
      isCompleted: false,
      wasSuccessful: false,
      isExpired: false,
      errors: null as string[] | null,
      startedAt: new Date(this.clock.now()).toISOString(),
      completedAt: null as string | null,
      createdBy: 'svc-soar',
      comment: body.comment,
      parameters: body.parameters ?? {},
      agentState: Object.fromEntries(agents.map((a) => [a, { isCompleted: false, wasSuccessful: false, errors: null, completedAt: null }])),
    };
    this.actions.set(id, { details, polls: 0, outcome: this.nextOutcome });
    return { status: 200, body: { action: id, data: details } };
  }

  private complete(action: FakeAction): void {
    const d = action.details;
    const now = new Date(this.clock.now()).toISOString();
    if (action.outcome === 'expire') {
      Object.assign(d, { isExpired: true, status: 'failed' });
      return;
    }
    const ok = action.outcome === 'success';
    Object.assign(d, { isCompleted: true, wasSuccessful: ok, status: ok ? 'successful' : 'failed', completedAt: now, errors: ok ? null : ['The action failed on the endpoint: endpoint unreachable'] });
    for (const a of d.agents as string[]) {
      d.agentState[a] = { isCompleted: true, wasSuccessful: ok, errors: d.errors, completedAt: now };
      const e = this.endpoints.get(a);
      if (ok && e && d.command === 'isolate') e.isolated = true;
      if (ok && e && d.command === 'unisolate') e.isolated = false;
    }
    if (ok && d.command === 'kill-process') d.outputs = Object.fromEntries((d.agents as string[]).map((a) => [a, { type: 'json', content: { code: 'ra_kill-process_success', command: 'kill-process', ...d.parameters } }]));
  }
}

export { dateMath };
