// The Elastic connector: events from Elasticsearch `_search` over the rule's index patterns, alerts and
// their status through Kibana's detection engine API, host state from endpoint metadata, and response
// actions (isolate, unisolate, kill_process) polled through `GET /api/endpoint/action/{id}`.

import type { z } from 'zod';
import { getField, getString } from '../../detection/fields.js';
import type { Secret } from '../config.js';
import {
  ActionLedger,
  ConnectorError,
  HttpClient,
  MemoryKeyStore,
  SingleFlight,
  collectPages,
  elasticRetryPolicy,
  searchAfterPage,
  staticHeaderAuth,
  systemClock,
  validateActionRequest,
  validateWindow,
  callSettings,
  vendorBreaker,
  type VendorCallOptions,
  type Clock,
  type RetryPolicy,
  keyMarker,
} from '../http/index.js';
import type {
  ActionKind,
  ActionRequest,
  ActionStatus,
  Connector,
  EcsEvent,
  HostDetails,
  ProcessRef,
  QueryResult,
  TimeWindow,
} from '../types.js';
import { ELASTIC_ACTIONS, kibanaActionState } from './actions.js';
import { COVERAGE_SLACK_MS, DEFAULT_INDICES, type Category } from './indices.js';
import { actionListSchema, actionResponseSchema, metadataListSchema, searchResponseSchema, statusUpdateSchema } from './schemas.js';

export interface ElasticConnectorOptions extends VendorCallOptions {
  elasticsearchUrl: string;
  kibanaUrl: string;
  /** Base64 `id:api_key`. */
  apiKey: string | Secret;
  space?: string;
  indices?: Partial<Record<Category, string[]>>;
  /** Half-width of the window that pins a pid without entity id (default 5 min). */
  pidWindowMs?: number;
  pageSize?: number;
  maxPages?: number;
  retryPolicy?: RetryPolicy;
}

type Filter = Record<string, unknown>;

const ALERT_STATUS = { open: 'open', acknowledged: 'acknowledged', closed: 'closed' } as const;
const SYNTHETIC = 'hw:';
/** A configured concrete index that does not exist must not fail the whole search (coverage says it). */
const SEARCH_PARAMS = { ignore_unavailable: true, allow_no_indices: true };

const COMMANDS = { isolate_host: 'isolate', release_host: 'unisolate', kill_process: 'kill-process' } as const;

export class ElasticConnector implements Connector {
  readonly vendor = 'elastic';
  readonly actions = ELASTIC_ACTIONS;
  readonly es: HttpClient;
  readonly kibana: HttpClient;
  private readonly ledger: ActionLedger;
  /** Identical concurrent searches share one request. */
  private readonly searches = new SingleFlight<unknown>();
  private readonly indices: Record<Category, string[]>;
  private readonly pidWindowMs: number;
  private readonly pageSize: number;
  private readonly maxPages: number;
  private readonly clock: Clock;

  constructor(opts: ElasticConnectorOptions) {
    const key = typeof opts.apiKey === 'string' ? opts.apiKey : opts.apiKey.reveal();
    this.clock = opts.clock ?? systemClock;
    const common = {
      ...callSettings(opts, this.clock, vendorBreaker(opts, this.clock)),
      vendor: 'elastic',
      auth: staticHeaderAuth('Authorization', `ApiKey ${key}`),
      retryPolicy: opts.retryPolicy ?? elasticRetryPolicy(),
    };
    this.es = new HttpClient({ ...common, baseURL: opts.elasticsearchUrl.replace(/\/$/, '') });
    const kibanaBase = opts.kibanaUrl.replace(/\/$/, '') + (opts.space && opts.space !== 'default' ? `/s/${opts.space}` : '');
    this.kibana = new HttpClient({ ...common, baseURL: kibanaBase, headers: { 'elastic-api-version': '2023-10-31' } });
    this.indices = { ...DEFAULT_INDICES, ...Object.fromEntries(Object.entries(opts.indices ?? {}).filter(([, v]) => v && v.length)) };
    this.pidWindowMs = opts.pidWindowMs ?? 5 * 60_000;
    this.pageSize = opts.pageSize ?? 500;
    this.maxPages = opts.maxPages ?? 20;
    this.ledger = new ActionLedger('elastic', opts.keyStore ?? new MemoryKeyStore(), this.clock);
  }

  // ------------------------------------------------------------------ queries

  async getProcessEvent(ref: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getProcessEvent', window);
    if (ref.entityId) return this.searchEvents('getProcessEvent', 'process', [term('process.entity_id', ref.entityId), processStart()], window, ref.hostId);
    const pid = this.requirePid('getProcessEvent', ref);
    const pinned = this.pinWindow(ref, window);
    const res = await this.searchEvents('getProcessEvent', 'process', [term('host.id', ref.hostId), term('process.pid', pid), processStart()], pinned, ref.hostId);
    if (res.events.length > 1 && ref.startTime) {
      // pid reuse inside the window: keep the start nearest the one asked for
      const target = Date.parse(ref.startTime);
      const nearest = [...res.events].sort((a, b) => Math.abs(ts(a) - target) - Math.abs(ts(b) - target))[0]!;
      res.events = [nearest];
    }
    return { ...res, note: joinNotes(res.note, 'matched by host.id + process.pid in a tight window (the source has no process.entity_id)') };
  }

  async getSiblingProcesses(parent: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getSiblingProcesses', window);
    return this.childrenOf('getSiblingProcesses', parent, window);
  }

  async getChildProcesses(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getChildProcesses', window);
    return this.childrenOf('getChildProcesses', proc, window);
  }

  async getAncestry(proc: ProcessRef, levels: number, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getAncestry', window);
    const self = await this.getProcessEvent(proc, window);
    const event = self.events[0];
    if (!event) return { ...self, events: [], note: joinNotes(self.note, 'the process start event was not found, so its ancestry is unknown') };
    const ancestry = getField(event, 'process.Ext.ancestry');
    const upTo: TimeWindow = { from: new Date(0).toISOString(), to: window.to };
    if (Array.isArray(ancestry) && ancestry.length > 0) {
      // Elastic Defend lists ancestor entity ids nearest first: one query answers every level
      const ids = ancestry.slice(0, levels).map(String);
      const res = await this.searchEvents('getAncestry', 'process', [terms('process.entity_id', ids), processStart()], upTo, undefined);
      const byId = new Map(res.events.map((e) => [getString(e, 'process.entity_id'), e]));
      const events = ids.map((id) => byId.get(id)).filter((e): e is EcsEvent => e !== undefined);
      const missing = ids.length - events.length;
      return {
        ...res,
        events,
        coverage: missing > 0 && res.coverage === 'full' ? 'partial' : res.coverage,
        note: joinNotes(res.note, missing > 0 ? `${missing} of ${ids.length} ancestors have no start event in the searched indices (retention or an ingest gap)` : undefined),
      };
    }
    // Sources without Ext.ancestry: walk up one parent at a time
    const events: EcsEvent[] = [];
    const queries: string[] = [self.query];
    let current = event;
    let note: string | undefined;
    for (let level = 0; level < levels; level++) {
      const parentEntity = getString(current, 'process.parent.entity_id');
      const parentPid = getField(current, 'process.parent.pid');
      let res: QueryResult;
      if (parentEntity) {
        res = await this.searchEvents('getAncestry', 'process', [term('process.entity_id', parentEntity), processStart()], upTo, undefined);
      } else if (parentPid !== undefined && parentPid !== null) {
        // the parent is the latest start of that pid on the host before the child started
        const before: TimeWindow = { from: new Date(ts(current) - 30 * 86_400_000).toISOString(), to: new Date(ts(current)).toISOString() };
        res = await this.searchEvents('getAncestry', 'process', [term('host.id', proc.hostId), term('process.pid', Number(parentPid)), processStart()], before, undefined, { desc: true, limit: 1 });
      } else {
        break;
      }
      queries.push(res.query);
      const parent = res.events[0];
      if (!parent) {
        note = `the chain ends at level ${level + 1}: the parent's start event is not in the searched indices`;
        break;
      }
      events.push(parent);
      current = parent;
    }
    return { events, coverage: note ? 'partial' : 'full', query: queries.join('\n'), window, note };
  }

  async getFileEvents(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getFileEvents', window);
    return this.eventsOfTree('getFileEvents', 'file', proc, window);
  }

  async getNetworkEvents(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getNetworkEvents', window);
    return this.eventsOfTree('getNetworkEvents', 'network', proc, window);
  }

  async getAlertsForUser(userId: string, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getAlertsForUser', window);
    return this.searchAlerts('getAlertsForUser', term('user.id', userId), window);
  }

  async getAlertsForHost(hostId: string, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getAlertsForHost', window);
    return this.searchAlerts('getAlertsForHost', term('host.id', hostId), window);
  }

  async getAlertsForRule(ruleId: string, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getAlertsForRule', window);
    return this.searchAlerts('getAlertsForRule', { bool: { should: [term('kibana.alert.rule.rule_id', ruleId), term('kibana.alert.rule.uuid', ruleId)], minimum_should_match: 1 } }, window);
  }

  async getHostDetails(hostId: string): Promise<HostDetails> {
    const res = await this.kibana.request({
      operation: 'getHostDetails',
      method: 'GET',
      url: '/api/endpoint/metadata',
      params: { kuery: `united.endpoint.host.id:"${hostId.replace(/["\\]/g, '\\$&')}"`, page: 0, pageSize: 10 },
    });
    const list = this.parse(this.kibana, 'getHostDetails', metadataListSchema, res.data);
    const info = list.data[0];
    if (!info) return { hostId, agentId: null, online: null, isolated: null };
    const status = info.host_status;
    return {
      hostId,
      agentId: info.metadata.agent.id,
      hostName: info.metadata.host.name ?? info.metadata.host.hostname,
      os: info.metadata.host.os?.name,
      online: status === undefined ? null : status === 'healthy' || status === 'updating',
      isolated: info.metadata.Endpoint?.state?.isolation ?? null,
    };
  }

  // ------------------------------------------------------------------ actions

  async runAction(request: ActionRequest): Promise<ActionStatus> {
    if (request.kind === 'disable_account' || request.kind === 'enable_account') {
      return { actionId: `${SYNTHETIC}unsupported:${request.kind}`, kind: request.kind, state: 'unsupported', vendor: this.vendor, detail: 'Elastic has no identity-provider action; use the Entra ID (Defender) connector to disable accounts' };
    }
    validateActionRequest(this.vendor, request);
    return this.ledger.run(request, () => this.startAction(request), (id, kind) => this.getActionStatus(id, kind));
  }

  async getActionStatus(actionId: string, kind: ActionKind): Promise<ActionStatus> {
    if (actionId.startsWith(SYNTHETIC)) {
      const [, state, detail] = actionId.split(':');
      const known = state === 'done' || state === 'failed' || state === 'unsupported' ? state : 'failed';
      return { actionId, kind, state: known, vendor: this.vendor, detail: detail ? decodeURIComponent(detail) : undefined };
    }
    const res = await this.kibana.request({ operation: 'getActionStatus', method: 'GET', url: `/api/endpoint/action/${encodeURIComponent(actionId)}` });
    const { data } = this.parse(this.kibana, 'getActionStatus', actionResponseSchema, res.data);
    return { actionId, kind, vendor: this.vendor, ...kibanaActionState(data) };
  }

  async findAction(idempotencyKey: string, request?: ActionRequest): Promise<ActionStatus | null> {
    const known = await this.ledger.find(idempotencyKey, (id, kind) => this.getActionStatus(id, kind));
    if (known || !request || (request.kind !== 'isolate_host' && request.kind !== 'release_host' && request.kind !== 'kill_process')) return known;
    // The ledger forgot (another process sent it): the key travels in the action's comment, so Kibana's
    // action list for the agent and command finds it (E14).
    const operation = `findAction ${request.kind}`;
    const hostId = request.kind === 'kill_process' ? request.process?.hostId : request.hostId;
    if (!hostId) return null;
    const host = await this.getHostDetails(hostId);
    if (!host.agentId) return null;
    const command = COMMANDS[request.kind];
    const marker = keyMarker(idempotencyKey);
    for (let page = 1; page <= 10; page++) {
      const res = await this.kibana.request({ operation, method: 'GET', url: '/api/endpoint/action', params: { agentIds: [host.agentId], commands: [command], page, pageSize: 100 } });
      const list = this.parse(this.kibana, operation, actionListSchema, res.data);
      const match = list.data.find((action) => typeof action.comment === 'string' && action.comment.includes(marker));
      if (match) {
        await this.ledger.store.set(idempotencyKey, { actionId: match.id, kind: request.kind, vendor: this.vendor, startedAt: new Date(this.clock.now()).toISOString() });
        return { actionId: match.id, kind: request.kind, vendor: this.vendor, ...kibanaActionState(match), detail: `found the ${command} action sent under ${idempotencyKey}` };
      }
      if (list.data.length < 100) return null;
    }
    return null;
  }

  async close(): Promise<void> {
    await Promise.all([this.es.close(), this.kibana.close()]);
  }

  private async startAction(req: ActionRequest): Promise<ActionStatus> {
    const operation = `runAction ${req.kind}`;
    if (req.kind === 'set_alert_status') {
      const res = await this.kibana.request({
        operation,
        method: 'POST',
        url: '/api/detection_engine/signals/status',
        headers: { 'kbn-xsrf': 'true' },
        data: { signal_ids: req.alertIds, status: ALERT_STATUS[req.alertStatus!] },
        idempotent: true, // setting a status twice is harmless
      });
      const out = this.parse(this.kibana, operation, statusUpdateSchema, res.data);
      const updated = out.updated ?? 0;
      const ok = (out.failures?.length ?? 0) === 0 && updated > 0;
      const detail = `${updated} of ${req.alertIds!.length} alerts set to ${req.alertStatus}`;
      return { actionId: synthetic(ok ? 'done' : 'failed', detail, req.idempotencyKey), kind: req.kind, state: ok ? 'done' : 'failed', vendor: this.vendor, detail };
    }

    const hostId = req.kind === 'kill_process' ? req.process!.hostId : req.hostId!;
    const host = await this.getHostDetails(hostId);
    if (!host.agentId) {
      throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_NOT_FOUND', vendor: this.vendor, operation, detail: `host.id ${hostId} has no Elastic Defend endpoint`, hint: 'check the host is enrolled in Elastic Defend (Fleet) and the host.id is right' });
    }
    const command = COMMANDS[req.kind as keyof typeof COMMANDS];
    if (req.kind === 'isolate_host' && host.isolated === true) {
      return { actionId: synthetic('done', 'host already isolated', req.idempotencyKey), kind: req.kind, state: 'done', vendor: this.vendor, detail: 'host already isolated; nothing sent' };
    }
    if (req.kind === 'release_host' && host.isolated === false) {
      return { actionId: synthetic('done', 'host not isolated', req.idempotencyKey), kind: req.kind, state: 'done', vendor: this.vendor, detail: 'host is not isolated; nothing sent' };
    }
    if (req.kind !== 'kill_process') {
      // an action already pending for this agent is adopted rather than duplicated
      const pending = await this.kibana.request({ operation, method: 'GET', url: '/api/endpoint/action', params: { agentIds: [host.agentId], commands: [command], statuses: ['pending'], page: 1, pageSize: 10 } });
      const list = this.parse(this.kibana, operation, actionListSchema, pending.data);
      const existing = list.data[0];
      if (existing) return { actionId: existing.id, kind: req.kind, vendor: this.vendor, ...kibanaActionState(existing), detail: `adopted the ${command} action already pending` };
    }
    const path = req.kind === 'isolate_host' ? 'isolate' : req.kind === 'release_host' ? 'unisolate' : 'kill_process';
    // The idempotency key rides in the comment, where findAction looks for it after a crash.
    const body: Record<string, unknown> = { endpoint_ids: [host.agentId], comment: `${req.comment ?? `hivewatch: ${req.kind}`} ${keyMarker(req.idempotencyKey)}` };
    if (req.alertIds?.length) body.alert_ids = req.alertIds;
    if (req.kind === 'kill_process') body.parameters = req.process!.entityId ? { entity_id: req.process!.entityId } : { pid: req.process!.pid };
    const res = await this.kibana.request({ operation, method: 'POST', url: `/api/endpoint/action/${path}`, headers: { 'kbn-xsrf': 'true' }, data: body });
    const { data } = this.parse(this.kibana, operation, actionResponseSchema, res.data);
    return { actionId: data.id, kind: req.kind, vendor: this.vendor, ...kibanaActionState(data) };
  }

  // ------------------------------------------------------------------ helpers

  private requirePid(operation: string, ref: ProcessRef): number {
    if (ref.pid === undefined) {
      throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_BAD_REQUEST', vendor: this.vendor, operation, detail: 'the ProcessRef has neither entityId nor pid', hint: 'pass process.entity_id, or host.id + process.pid (+ start time) from the alert' });
    }
    return ref.pid;
  }

  /** A pid without entity id is only trusted near its start time (PID reuse). */
  private pinWindow(ref: ProcessRef, window: TimeWindow): TimeWindow {
    if (!ref.startTime) return window;
    const start = Date.parse(ref.startTime);
    return { from: iso(Math.max(Date.parse(window.from), start - this.pidWindowMs)), to: iso(Math.min(Date.parse(window.to), start + this.pidWindowMs)) };
  }

  private async childrenOf(operation: string, parent: ProcessRef, window: TimeWindow, probe = true): Promise<QueryResult> {
    const hostId = probe ? parent.hostId : undefined;
    if (parent.entityId) return this.searchEvents(operation, 'process', [term('process.parent.entity_id', parent.entityId), processStart()], window, hostId);
    const pid = this.requirePid(operation, parent);
    // children start after the parent: never before its start time, so a reused pid is not matched
    const scoped = parent.startTime ? { from: iso(Math.max(Date.parse(window.from), Date.parse(parent.startTime))), to: window.to } : window;
    const res = await this.searchEvents(operation, 'process', [term('host.id', parent.hostId), term('process.parent.pid', pid), processStart()], scoped, hostId);
    return { ...res, note: joinNotes(res.note, 'matched by host.id + process.parent.pid inside the window (the source has no entity ids)') };
  }

  private async eventsOfTree(operation: string, category: Category, proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    const searchWindow = proc.entityId ? window : this.pinWindow(proc, window);
    // the coverage probe runs alongside the children lookup, so an empty answer costs no extra round trip
    const probe = this.hostSends(operation, category, proc.hostId, searchWindow);
    probe.catch(() => undefined);
    const children = await this.childrenOf(operation, proc, window, false);
    if (proc.entityId) {
      const ids = [proc.entityId, ...children.events.map((e) => getString(e, 'process.entity_id')).filter((x): x is string => !!x)];
      return this.searchEvents(operation, category, [terms('process.entity_id', [...new Set(ids)])], searchWindow, proc.hostId, { probe });
    }
    const pid = this.requirePid(operation, proc);
    const pids = [pid, ...children.events.map((e) => Number(getField(e, 'process.pid'))).filter((n) => Number.isFinite(n))];
    const res = await this.searchEvents(operation, category, [term('host.id', proc.hostId), terms('process.pid', [...new Set(pids)])], searchWindow, proc.hostId, { probe });
    return { ...res, note: joinNotes(res.note, 'matched by host.id + process.pid near the start time (the source has no entity ids)') };
  }

  /** Searches one category's indices with search_after paging, then decides coverage. */
  private async searchEvents(operation: string, category: Category, filters: Filter[], window: TimeWindow, hostId: string | undefined, opts: { desc?: boolean; limit?: number; probe?: Promise<boolean> } = {}): Promise<QueryResult> {
    const indexExpr = this.indices[category].join(',');
    const query = { bool: { filter: [...filters, categoryFilter(category), range(window)] } };
    const order = opts.desc ? 'desc' : 'asc';
    const size = Math.min(this.pageSize, opts.limit ?? this.pageSize);
    const stats = { shardsTotal: -1, failed: 0, timedOut: false };
    const collected = await collectPages<{ _source?: Record<string, unknown>; sort?: unknown[] }, unknown[]>(
      async (after) => {
        const body: Record<string, unknown> = { size, track_total_hits: false, query, sort: [{ '@timestamp': order }, { 'event.id': { order, unmapped_type: 'keyword' } }] };
        if (after) body.search_after = after;
        const url = `/${encodeURIComponent(indexExpr)}/_search`;
        const data = await this.searches.run(`${url} ${JSON.stringify(body)}`, async () => (await this.es.request({ operation, method: 'POST', url, params: SEARCH_PARAMS, data: body, idempotent: true })).data);
        const parsed = this.parse(this.es, operation, searchResponseSchema, data);
        if (stats.shardsTotal < 0) stats.shardsTotal = parsed._shards?.total ?? 1;
        stats.failed = Math.max(stats.failed, parsed._shards?.failed ?? 0);
        stats.timedOut ||= parsed.timed_out === true;
        return opts.limit !== undefined ? { items: parsed.hits.hits, next: undefined } : searchAfterPage(parsed.hits.hits, size);
      },
      { maxPages: this.maxPages },
    );
    const events = collected.items.map((h) => h._source ?? {});
    const text = `POST ${indexExpr}/_search ${JSON.stringify(query)}`;
    if (stats.shardsTotal === 0) {
      return { events, coverage: 'none', query: text, window, note: `no ${category} index exists (${indexExpr}); this cluster holds no ${category} telemetry` };
    }
    if (stats.failed > 0 || stats.timedOut || collected.truncated) {
      const why = [stats.failed > 0 ? `${stats.failed} shard(s) failed` : '', stats.timedOut ? 'the search timed out' : '', collected.truncated ? `stopped after ${collected.pages} pages` : ''].filter(Boolean).join(', ');
      return { events, coverage: 'partial', query: text, window, note: `${why}; results may be incomplete, re-run the query later` };
    }
    if (events.length === 0 && hostId && !(await (opts.probe ?? this.hostSends(operation, category, hostId, window)))) {
      return { events, coverage: 'none', query: text, window, note: `host ${hostId} sent no ${category} events within 1 h of the window; it does not ship this telemetry (check its integration/policy)` };
    }
    return { events, coverage: 'full', query: text, window };
  }

  /** Whether the host has any event of the category within an hour either side of the window. */
  private async hostSends(operation: string, category: Category, hostId: string, window: TimeWindow): Promise<boolean> {
    const wide = { from: iso(Date.parse(window.from) - COVERAGE_SLACK_MS), to: iso(Date.parse(window.to) + COVERAGE_SLACK_MS) };
    const body = { size: 1, track_total_hits: false, _source: ['@timestamp'], query: { bool: { filter: [term('host.id', hostId), categoryFilter(category), range(wide)] } } };
    const res = await this.es.request({ operation: `${operation} coverage probe`, method: 'POST', url: `/${encodeURIComponent(this.indices[category].join(','))}/_search`, params: SEARCH_PARAMS, data: body, idempotent: true });
    return this.parse(this.es, operation, searchResponseSchema, res.data).hits.hits.length > 0;
  }

  private async searchAlerts(operation: string, filter: Filter, window: TimeWindow): Promise<QueryResult> {
    const size = 1000;
    const query = { bool: { filter: [filter, range(window)] } };
    const res = await this.kibana.request({ operation, method: 'POST', url: '/api/detection_engine/signals/search', headers: { 'kbn-xsrf': 'true' }, data: { size, sort: [{ '@timestamp': 'desc' }], query }, idempotent: true });
    const parsed = this.parse(this.kibana, operation, searchResponseSchema, res.data);
    const events = parsed.hits.hits.map((h) => ({ 'kibana.alert.uuid': h._id, 'event.kind': 'signal', ...(h._source ?? {}) }));
    const text = `POST /api/detection_engine/signals/search ${JSON.stringify(query)}`;
    const partial = events.length >= size || (parsed._shards?.failed ?? 0) > 0;
    return { events, coverage: partial ? 'partial' : 'full', query: text, window, note: partial ? `more than ${size} alerts or failed shards; the list is incomplete` : undefined };
  }

  private parse<S extends z.ZodType>(client: HttpClient, operation: string, schema: S, data: unknown): z.infer<S> {
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw client.error({ operation }, 'HW_ERR_CONNECTOR_BAD_RESPONSE', `response field ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unexpected shape'}`);
    }
    return parsed.data;
  }
}

function term(field: string, value: string | number): Filter {
  return { term: { [field]: value } };
}

function terms(field: string, values: (string | number)[]): Filter {
  return { terms: { [field]: values } };
}

function range(window: TimeWindow): Filter {
  return { range: { '@timestamp': { gte: window.from, lte: window.to, format: 'strict_date_optional_time' } } };
}

/** Start events across sources (ECS event.type start; Defend's already_running for older processes). */
function processStart(): Filter {
  return { bool: { should: [term('event.type', 'start'), term('event.action', 'already_running')], minimum_should_match: 1 } };
}

function categoryFilter(category: Category): Filter {
  return term('event.category', category);
}

function ts(e: EcsEvent): number {
  return Date.parse(getString(e, '@timestamp') ?? '');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function joinNotes(...notes: (string | undefined)[]): string | undefined {
  const out = notes.filter(Boolean).join('; ');
  return out || undefined;
}

function synthetic(state: 'done' | 'failed', detail: string, key: string): string {
  return `${SYNTHETIC}${state}:${encodeURIComponent(detail)}:${encodeURIComponent(key)}`;
}
