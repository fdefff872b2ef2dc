// SentinelOne (Management API v2.1): events from Deep Visibility (or its replacement, SDL PowerQuery),
// agents disconnect/connect for network quarantine, threats and STAR alerts. Deep Visibility allows one
// init-query a minute per token, so the questions asked about a host together (one tick) are merged into
// one query over the union of their windows (a snapshot), each answered from it; a later question inside
// a fresh snapshot's window needs no query. Ancestry older than the snapshot costs one more query
// (process creations only). PowerQuery has no such limit but is used the same way.
import { callSettings, vendorBreaker, type VendorCallOptions } from '../http/vendor-options.js';
import { z } from 'zod';
import { getString } from '../../detection/fields.js';
import { staticHeaderAuth } from '../http/auth.js';
import { HttpClient } from '../http/client.js';
import { systemClock, type Clock } from '../http/clock.js';
import { ConnectorError, type ConnectorErrorCode } from '../http/errors.js';
import { MemoryKeyStore } from '../http/keystore.js';
import { ActionLedger } from '../http/ledger.js';
import { collectPages, cursorPage } from '../http/paginate.js';
import { sentinelOneRetryPolicy } from '../http/retry.js';
import { actionRequestIssues } from '../replay/request.js';
import type { ActionKind, ActionRequest, ActionStatus, Connector, Coverage, EcsEvent, HostDetails, ProcessRef, QueryResult, TimeWindow } from '../types.js';
import { SENTINELONE_ACTIONS, UNSUPPORTED_WHY } from './declarations.js';
import { dvEventToEcs, starAlertToEcs, threatToEcs } from './ecs.js';
import { powerQuery, pqRowToDvEvent, tableRows } from './powerquery.js';

export interface SentinelOneConnectorOptions extends VendorCallOptions {
  /** `https://<tenant>.sentinelone.net`; paths go under /web/api/v2.1. */
  baseUrl: string;
  /** Already resolved (connectors/config.ts); sent only as the `Authorization: ApiToken` header. */
  apiToken: string;
  /**
   * `deep-visibility` (default; /dv/*, 1 init-query a minute, sunset 2027-02-15) or `powerquery` (SDL
   * long-running queries, 100/s, Bearer auth with `sdlToken`).
   */
  engine?: 'deep-visibility' | 'powerquery';
  /** Service-user token for the SDL query API (Bearer); required with engine `powerquery`. */
  sdlToken?: string;
  /** Base URL of the SDL query API. Default: `baseUrl`. */
  sdlBaseUrl?: string;
  /** Spacing of Deep Visibility init-queries (documented limit: 1 per minute per token). Default 60 000 ms. */
  dvInitIntervalMs?: number;
  /** How often a running Deep Visibility query is polled. Default 1 000 ms (query-status allows 1/s). */
  dvPollMs?: number;
  /** How long to wait for a Deep Visibility query to finish. Default 120 000 ms. */
  dvDeadlineMs?: number;
  /** Most events one snapshot reads; beyond it answers are partial. Default 20 000. */
  dvMaxEvents?: number;
  /** Events per page. Default 1 000. */
  pageSize?: number;
  /** How far back from the window's end an ancestor's start is looked for (at least the window). Default 24 h. */
  ancestryLookbackMs?: number;
  /** How long a host+window snapshot is reused. Default 300 000 ms. */
  snapshotTtlMs?: number;
  /** How far a pid's start time may be from the one asked for. Default 1 000 ms. */
  pidToleranceMs?: number;
  /** Randomness for backoff jitter (tests). */
  random?: () => number;
}

const VENDOR = 'sentinelone';
const API = '/web/api/v2.1';
const DV_PENDING = new Set(['RUNNING', 'PLANNING', 'PROCESS_RUNNING', 'EVENTS_RUNNING', 'QUERY_RUNNING']);
const SNAPSHOT_TYPES = ['Process Creation', 'File Creation', 'File Modification', 'File Rename', 'File Deletion', 'IP Connect', 'IP Listen'];
const INCIDENT_STATUS = { open: 'unresolved', acknowledged: 'in_progress', closed: 'resolved' } as const;

const agentSchema = z.looseObject({
  id: z.string(),
  uuid: z.string(),
  computerName: z.string().nullish(),
  networkStatus: z.string().nullish(),
  osType: z.string().nullish(),
  osName: z.string().nullish(),
  isActive: z.boolean().nullish(),
});
type Agent = z.infer<typeof agentSchema>;
const listSchema = z.looseObject({
  data: z.array(z.record(z.string(), z.unknown())),
  pagination: z.looseObject({ nextCursor: z.string().nullish(), totalItems: z.number().nullish() }).nullish(),
});
const affectedSchema = z.looseObject({ data: z.looseObject({ affected: z.number() }) });

interface Snapshot {
  events: EcsEvent[];
  query: string;
  coverage: Coverage;
  note?: string;
}

type Span = { from: number; to: number };

export class SentinelOneConnector implements Connector {
  readonly vendor = VENDOR;
  readonly actions = SENTINELONE_ACTIONS;
  readonly http: HttpClient;
  /** The SDL query client (engine `powerquery`), Bearer-authenticated. */
  readonly sdl: HttpClient | null;
  private readonly opts: SentinelOneConnectorOptions;
  private readonly clock: Clock;
  private readonly ledger: ActionLedger;
  private readonly tolerance: number;
  private nextInitAt = 0;
  /** Snapshots per key (`events|host` or `lineage|host`), newest last. */
  private readonly snapshots = new Map<string, { span: Span; at: number; snapshot: Promise<Snapshot> }[]>();
  /** Questions waiting for this tick's merged query, per key. */
  private readonly batches = new Map<string, { spans: Span[]; done: Promise<{ span: Span; snapshot: Promise<Snapshot> }> }>();
  private readonly agents = new Map<string, { at: number; agent: Promise<Agent | null> }>();

  constructor(opts: SentinelOneConnectorOptions) {
    if (!opts.apiToken) throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_CONFIG', vendor: VENDOR, operation: 'configure', detail: 'connector.apiToken is empty', hint: 'set HW_SENTINELONE_API_TOKEN or its _FILE (a service-user token)' });
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.tolerance = opts.pidToleranceMs ?? 1_000;
    const common = {
      ...callSettings(opts, this.clock, vendorBreaker(opts, this.clock, `${VENDOR}|${opts.baseUrl}`)),
      vendor: VENDOR,
      retryPolicy: sentinelOneRetryPolicy(opts.random ? { random: opts.random } : {}),
    };
    this.http = new HttpClient({
      ...common,
      baseURL: opts.baseUrl.replace(/\/+$/, ''),
      // The header, never the APIToken query parameter: query strings end up in access logs.
      auth: staticHeaderAuth('Authorization', `ApiToken ${opts.apiToken}`),
    });
    this.ledger = new ActionLedger(VENDOR, opts.keyStore ?? new MemoryKeyStore(), this.clock);
    if (opts.engine === 'powerquery') {
      if (!opts.sdlToken) throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_CONFIG', vendor: VENDOR, operation: 'configure', detail: 'connector.sdlToken is empty but engine is powerquery', hint: 'set HW_SENTINELONE_SDL_TOKEN or its _FILE (a service-user token for the SDL query API)' });
      this.sdl = new HttpClient({
        ...common,
        baseURL: (opts.sdlBaseUrl ?? opts.baseUrl).replace(/\/+$/, ''),
        auth: staticHeaderAuth('Authorization', `Bearer ${opts.sdlToken}`),
      });
    } else {
      this.sdl = null;
    }
  }

  // ---- queries -------------------------------------------------------------------------------------

  async getProcessEvent(ref: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    const span = this.span('getProcessEvent', window);
    this.requireRef('getProcessEvent', ref);
    const snap = await this.snapshot('getProcessEvent', ref.hostId, span);
    const events = snap.events.filter((e) => isProcessStart(e) && this.isProcess(e, ref));
    return this.answer(snap, `EventType = "Process Creation" AND ${this.refFilter('TgtProc', ref)}`, events, window);
  }

  async getSiblingProcesses(parent: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    return this.children('getSiblingProcesses', parent, window);
  }

  async getChildProcesses(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    return this.children('getChildProcesses', proc, window);
  }

  async getAncestry(proc: ProcessRef, levels: number, window: TimeWindow): Promise<QueryResult> {
    const span = this.span('getAncestry', window);
    this.requireRef('getAncestry', proc);
    // Ancestors may predate the window: reach back at least the configured lookback.
    const back = { from: Math.min(span.from, span.to - (this.opts.ancestryLookbackMs ?? 86_400_000)), to: span.to };
    // Ancestors usually started long before the alert, so the lineage query is nearly always needed. When no
    // init-query pacing applies it starts now, alongside the merged events query (one round of queries, not
    // two in a row); under Deep Visibility's 1/min it stays lazy, so it spends the next slot only when needed.
    const eager = this.unpaced() ? this.snapshot('getAncestry', proc.hostId, back, 'lineage') : null;
    eager?.catch(() => undefined); // awaited below when used; a failure must not go unhandled if it is not
    // The process itself is near the end of an ancestry window (the alert): look there with the other questions.
    const near = await this.snapshot('getAncestry', proc.hostId, { from: Math.max(span.from, span.to - 3_600_000), to: span.to });
    if (near.coverage === 'none') return this.answer(near, `ancestry of ${this.refFilter('TgtProc', proc)}`, [], window);
    let pool = near.events.filter(isProcessStart);
    let lineage: Snapshot | null = null;
    // One query for the host's process creations over the whole lookback answers every level.
    const widen = async (): Promise<boolean> => {
      if (lineage) return false;
      lineage = await (eager ?? this.snapshot('getAncestry', proc.hostId, back, 'lineage'));
      pool = lineage.events;
      return true;
    };
    let current = pool.find((e) => this.isProcess(e, proc));
    if (!current && (await widen())) current = pool.find((e) => this.isProcess(e, proc));
    const chain: EcsEvent[] = [];
    let note: string | undefined;
    while (current && chain.length < levels) {
      const parentUid = getString(current, 'process.parent.entity_id');
      if (!parentUid) break;
      let parent = pool.find((e) => getString(e, 'process.entity_id') === parentUid);
      if (!parent && (await widen())) parent = pool.find((e) => getString(e, 'process.entity_id') === parentUid);
      if (!parent || chain.includes(parent)) {
        note = `ancestry stops after ${chain.length} of ${levels} levels: no Process Creation event for ${parentUid} in Deep Visibility for this window`;
        break;
      }
      chain.push(parent);
      current = parent;
    }
    const used = lineage as Snapshot | null;
    const query = `${(used ?? near).query} | ancestry of ${this.refFilter('TgtProc', proc)}`;
    const coverage: Coverage = note ? 'partial' : used ? used.coverage : near.coverage;
    const why = note ?? used?.note ?? near.note;
    return why ? { events: chain, coverage, query, window, note: why } : { events: chain, coverage, query, window };
  }

  async getFileEvents(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    return this.activity('getFileEvents', proc, 'file', window);
  }

  async getNetworkEvents(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    return this.activity('getNetworkEvents', proc, 'network', window);
  }

  async getAlertsForUser(userId: string, window: TimeWindow): Promise<QueryResult> {
    const span = this.span('getAlertsForUser', window);
    if (/^S-1-\d+(-\d+)+$/.test(userId)) {
      return { events: [], coverage: 'none', query: `threats query=${userId}`, window, note: 'SentinelOne records users as DOMAIN\\name without a SID; ask by user name' };
    }
    const name = userId.includes('\\') ? userId.slice(userId.indexOf('\\') + 1) : userId;
    const threats = await this.list('getAlertsForUser', '/threats', { query: name, createdAt__gte: iso(span.from), createdAt__lte: iso(span.to), sortBy: 'createdAt', sortOrder: 'asc' });
    // `query` is free text; keep only threats whose process user is this user.
    const events = threats.items
      .filter((t) => {
        const user = String((t.threatInfo as Record<string, unknown> | undefined)?.processUser ?? '').toLowerCase();
        return user === name.toLowerCase() || user.endsWith(`\\${name.toLowerCase()}`);
      })
      .map((t) => threatToEcs(t));
    return { events, coverage: threats.truncated ? 'partial' : 'full', query: `GET /threats?query=${name}&createdAt__gte=${iso(span.from)}`, window, ...(threats.truncated ? { note: 'more threats than one page walk reads' } : {}) };
  }

  async getAlertsForHost(hostId: string, window: TimeWindow): Promise<QueryResult> {
    const span = this.span('getAlertsForHost', window);
    const query = `GET /threats?agentIds=<agent of ${hostId}>&createdAt__gte=${iso(span.from)}; GET /cloud-detection/alerts?origAgentUuid__contains=${hostId}&createdAt__gte=${iso(span.from)}`;
    const range = { createdAt__gte: iso(span.from), createdAt__lte: iso(span.to) };
    // STAR alerts are asked by uuid, so they go out with the agent lookup; only /threats needs the agent id.
    const starList = this.list('getAlertsForHost', '/cloud-detection/alerts', { origAgentUuid__contains: hostId, ...range });
    starList.catch(() => undefined); // awaited below unless the agent is unknown
    const agent = await this.agentByUuid('getAlertsForHost', hostId);
    if (!agent) return { events: [], coverage: 'none', query, window, note: `no SentinelOne agent has uuid ${hostId}` };
    const [threats, star] = await Promise.all([
      this.list('getAlertsForHost', '/threats', { agentIds: agent.id, ...range, sortBy: 'createdAt', sortOrder: 'asc' }),
      starList,
    ]);
    const events = [...threats.items.map((t) => threatToEcs(t, hostId)), ...star.items.map(starAlertToEcs).filter((e) => getString(e, 'host.id') === hostId)].sort(byTime);
    const truncated = threats.truncated || star.truncated;
    return { events, coverage: truncated ? 'partial' : 'full', query, window, ...(truncated ? { note: 'more alerts than one page walk reads' } : {}) };
  }

  async getAlertsForRule(ruleId: string, window: TimeWindow): Promise<QueryResult> {
    this.span('getAlertsForRule', window);
    return { events: [], coverage: 'none', query: `(SentinelOne has no Elastic rule id ${ruleId})`, window, note: 'SentinelOne does not know Elastic rule ids; check rule recurrence in the SIEM' };
  }

  async getHostDetails(hostId: string): Promise<HostDetails> {
    const agent = await this.agentByUuid('getHostDetails', hostId, true);
    if (!agent) return { hostId, agentId: null, online: null, isolated: null };
    return {
      hostId,
      agentId: agent.id,
      ...(agent.computerName ? { hostName: agent.computerName } : {}),
      ...(agent.osName || agent.osType ? { os: (agent.osName ?? agent.osType)! } : {}),
      online: agent.isActive ?? null,
      isolated: agent.networkStatus ? agent.networkStatus === 'disconnected' || agent.networkStatus === 'disconnecting' : null,
    };
  }

  // ---- actions -------------------------------------------------------------------------------------

  async runAction(request: ActionRequest): Promise<ActionStatus> {
    const issues = actionRequestIssues(request);
    if (issues) throw this.error(`runAction ${String(request?.kind)}`, 'HW_ERR_CONNECTOR_BAD_REQUEST', issues, 'fix the action request fields named above');
    if (!this.actions.some((a) => a.kind === request.kind)) {
      return { actionId: `sentinelone-unsupported-${request.kind}`, kind: request.kind, state: 'unsupported', vendor: VENDOR, detail: UNSUPPORTED_WHY[request.kind] ?? `SentinelOne cannot ${request.kind}` };
    }
    return this.ledger.run(request, () => this.start(request), (id, kind) => this.getActionStatus(id, kind));
  }

  async getActionStatus(actionId: string, kind: ActionKind): Promise<ActionStatus> {
    if (actionId.startsWith('sentinelone-unsupported-')) return { actionId, kind, state: 'unsupported', vendor: VENDOR };
    const network = /^s1-(disconnect|connect)-(\d+)-(\d+)$/.exec(actionId);
    if (network) return this.networkStatus(actionId, kind, network[1] as 'disconnect' | 'connect', network[2]!, Number(network[3]));
    const status = /^s1-incident-(unresolved|in_progress|resolved)-(.+)$/.exec(actionId);
    if (status) return this.incidentStatus(actionId, kind, status[1]!, JSON.parse(decodeURIComponent(status[2]!)) as string[]);
    throw this.error('getActionStatus', 'HW_ERR_CONNECTOR_NOT_FOUND', `${actionId} is not a SentinelOne action id of this connector`, 'poll with the actionId runAction returned');
  }

  /** The ledger only: the vendor cannot be searched for the key (disconnect/connect carry no comment); startAction adopts by device state. */
  async findAction(idempotencyKey: string, _request?: ActionRequest): Promise<ActionStatus | null> {
    return this.ledger.find(idempotencyKey, (id, kind) => this.getActionStatus(id, kind));
  }

  async close(): Promise<void> {
    await Promise.all([this.http.close(), this.sdl?.close()]);
  }

  // ---- actions, internals --------------------------------------------------------------------------

  private async start(request: ActionRequest): Promise<ActionStatus> {
    if (request.kind === 'set_alert_status') return this.setIncidentStatus(request.alertIds!, INCIDENT_STATUS[request.alertStatus!]);
    const verb = request.kind === 'isolate_host' ? 'disconnect' : 'connect';
    const agent = await this.agentByUuid(request.kind, request.hostId!, true);
    if (!agent) throw this.error(request.kind, 'HW_ERR_CONNECTOR_NOT_FOUND', `no SentinelOne agent has uuid ${request.hostId}`, 'check the host.id (the agent uuid)');
    const requestedAt = this.clock.now();
    const actionId = `s1-${verb}-${agent.id}-${requestedAt}`;
    const target = verb === 'disconnect' ? 'disconnected' : 'connected';
    if (agent.networkStatus === target) {
      // Elastic's S1 client refuses to repeat a quarantine: the agent is already where the action leads.
      return { actionId, kind: request.kind, state: 'done', vendor: VENDOR, detail: `agent ${agent.id} is already ${target}; nothing sent` };
    }
    // The quarantine API carries no comment, so a retry cannot find an earlier request by its key; the agent's
    // own state can: one already on its way to the target is adopted, not asked again.
    const underWay = verb === 'disconnect' ? 'disconnecting' : 'connecting';
    if (agent.networkStatus === underWay) {
      return { actionId, kind: request.kind, state: 'pending', vendor: VENDOR, detail: `agent ${agent.id} is already ${underWay}; adopted, nothing sent` };
    }
    await this.agentAction(request.kind, verb, agent.id);
    return { actionId, kind: request.kind, state: 'pending', vendor: VENDOR, detail: `${verb} sent to agent ${agent.id}` };
  }

  /**
   * The "filter selects agents" pitfall: the body's filter picks the agents, so an empty or loose filter
   * quarantines the fleet. Only one explicit agent id is ever sent, and anything but affected == 1 fails.
   */
  private async agentAction(operation: string, verb: 'disconnect' | 'connect', agentId: string): Promise<void> {
    if (!/^\d+$/.test(agentId)) throw this.error(operation, 'HW_ERR_CONNECTOR_BAD_REQUEST', `refusing to send ${verb} for agent id "${agentId}": it must be one numeric agent id`, 'pass the console agent id from getHostDetails');
    const body = { filter: { ids: [agentId] }, data: {} };
    const res = await this.http.request({ operation, method: 'POST', url: `${API}/agents/actions/${verb}`, data: body });
    const affected = this.parse(operation, affectedSchema, res.data).data.affected;
    if (affected === 0) throw this.error(operation, 'HW_ERR_CONNECTOR_NOT_FOUND', `${verb} matched no agent (affected 0) for id ${agentId}`, 'check that the agent still exists in this site');
    if (affected !== 1) throw this.error(operation, 'HW_ERR_CONNECTOR_BAD_RESPONSE', `${verb} for one agent id reported affected ${affected}`, 'stop and check the console: more agents than the one requested may be quarantined');
  }

  private async networkStatus(actionId: string, kind: ActionKind, verb: 'disconnect' | 'connect', agentId: string, requestedAt: number): Promise<ActionStatus> {
    const res = await this.http.request({ operation: 'getActionStatus', method: 'GET', url: `${API}/agents`, params: { ids: agentId } });
    const agent = this.parse('getActionStatus', listSchema, res.data).data[0];
    if (!agent) return { actionId, kind, state: 'failed', vendor: VENDOR, detail: `agent ${agentId} no longer exists` };
    const status = String(agent.networkStatus ?? 'unknown');
    if (status === (verb === 'disconnect' ? 'disconnected' : 'connected')) return { actionId, kind, state: 'done', vendor: VENDOR, detail: `networkStatus ${status}` };
    if (verb === 'disconnect') {
      // Activity 2010 = "failed to disconnect from network".
      const acts = await this.http.request({ operation: 'getActionStatus', method: 'GET', url: `${API}/activities`, params: { agentIds: agentId, activityTypes: '2010', createdAt__gt: iso(requestedAt - 1) } });
      const failed = this.parse('getActionStatus', listSchema, acts.data).data[0];
      if (failed) return { actionId, kind, state: 'failed', vendor: VENDOR, detail: `SentinelOne: ${String(failed.primaryDescription ?? 'failed to disconnect from network')}` };
    }
    return { actionId, kind, state: 'pending', vendor: VENDOR, detail: `networkStatus ${status}` };
  }

  /** Threat ids go to /threats/incident, STAR alert ids (`star:` prefix) to /cloud-detection/alerts/incident. */
  private async setIncidentStatus(alertIds: string[], status: string): Promise<ActionStatus> {
    const actionId = `s1-incident-${status}-${encodeURIComponent(JSON.stringify(alertIds))}`;
    const threats = alertIds.filter((id) => !id.startsWith('star:'));
    const star = alertIds.filter((id) => id.startsWith('star:')).map((id) => id.slice(5));
    let affected = 0;
    for (const [path, ids] of [['/threats/incident', threats], ['/cloud-detection/alerts/incident', star]] as const) {
      if (ids.length === 0) continue;
      const res = await this.http.request({ operation: 'set_alert_status', method: 'POST', url: `${API}${path}`, data: { filter: { ids }, data: { incidentStatus: status } } });
      affected += this.parse('set_alert_status', affectedSchema, res.data).data.affected;
    }
    if (affected !== alertIds.length) {
      return { actionId, kind: 'set_alert_status', state: 'failed', vendor: VENDOR, detail: `affected ${affected} of ${alertIds.length} alerts; some ids do not exist` };
    }
    return { actionId, kind: 'set_alert_status', state: 'done', vendor: VENDOR, detail: `${affected} alert(s) set to ${status}` };
  }

  private async incidentStatus(actionId: string, kind: ActionKind, status: string, ids: string[]): Promise<ActionStatus> {
    const threats = ids.filter((id) => !id.startsWith('star:'));
    if (threats.length === 0) return { actionId, kind, state: 'done', vendor: VENDOR, detail: 'STAR alert status was acknowledged by the API' };
    const res = await this.http.request({ operation: 'getActionStatus', method: 'GET', url: `${API}/threats`, params: { ids: threats.join(',') } });
    const found = this.parse('getActionStatus', listSchema, res.data).data;
    const statuses = found.map((t) => String((t.threatInfo as Record<string, unknown> | undefined)?.incidentStatus));
    if (found.length < threats.length) return { actionId, kind, state: 'failed', vendor: VENDOR, detail: 'a threat of this action no longer exists' };
    return { actionId, kind, state: statuses.every((s) => s === status) ? 'done' : 'pending', vendor: VENDOR, detail: `incidentStatus ${statuses.join(', ')}` };
  }

  // ---- queries, internals --------------------------------------------------------------------------

  private async children(operation: string, parent: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    const span = this.span(operation, window);
    this.requireRef(operation, parent);
    const snap = await this.snapshot(operation, parent.hostId, span);
    const events = this.childrenIn(snap, parent);
    return this.answer(snap, `EventType = "Process Creation" AND ${this.refFilter('SrcProc', parent)}`, events, window);
  }

  private childrenIn(snap: Snapshot, parent: ProcessRef): EcsEvent[] {
    const parentStart = parent.startTime !== undefined ? Date.parse(parent.startTime) : Number.NaN;
    return snap.events.filter((e) => {
      if (!isProcessStart(e)) return false;
      if (parent.entityId !== undefined) return getString(e, 'process.parent.entity_id') === parent.entityId;
      if (Number(getString(e, 'process.parent.pid')) !== parent.pid) return false;
      if (Number.isNaN(parentStart)) return true;
      // A reused pid: a child older than this parent, or naming another parent start, is not its child.
      if (Date.parse(getString(e, '@timestamp') ?? '') < parentStart - this.tolerance) return false;
      const named = getString(e, 'process.parent.start');
      return named === undefined || Math.abs(Date.parse(named) - parentStart) <= this.tolerance;
    });
  }

  private async activity(operation: string, proc: ProcessRef, category: 'file' | 'network', window: TimeWindow): Promise<QueryResult> {
    const span = this.span(operation, window);
    this.requireRef(operation, proc);
    const snap = await this.snapshot(operation, proc.hostId, span);
    const self = snap.events.find((e) => isProcessStart(e) && this.isProcess(e, proc));
    const uid = proc.entityId ?? (self ? getString(self, 'process.entity_id') : undefined);
    const childUids = new Set(this.childrenIn(snap, proc).map((e) => getString(e, 'process.entity_id')).filter((v): v is string => !!v));
    const events = snap.events.filter((e) => {
      if (!hasCategory(e, category)) return false;
      const actor = getString(e, 'process.entity_id');
      if (uid !== undefined) return actor === uid || childUids.has(actor ?? '') || getString(e, 'process.parent.entity_id') === uid;
      return this.isProcess(e, proc);
    });
    const types = category === 'file' ? 'EventType In ("File Creation", "File Modification", "File Rename", "File Deletion")' : 'EventType In ("IP Connect", "IP Listen")';
    const who = uid !== undefined ? `(SrcProcUID = ${q(uid)} OR SrcProcParentUID = ${q(uid)})` : this.refFilter('SrcProc', proc);
    return this.answer(snap, `${types} AND ${who}`, events, window);
  }

  private answer(snap: Snapshot, filter: string, events: EcsEvent[], window: TimeWindow): QueryResult {
    const query = `${snap.query} | ${filter}`;
    return snap.note ? { events, coverage: snap.coverage, query, window, note: snap.note } : { events, coverage: snap.coverage, query, window };
  }

  private isProcess(e: EcsEvent, ref: ProcessRef): boolean {
    if (ref.entityId !== undefined) return getString(e, 'process.entity_id') === ref.entityId;
    if (Number(getString(e, 'process.pid')) !== ref.pid) return false;
    if (ref.startTime === undefined) return true;
    const start = getString(e, 'process.start');
    return start !== undefined && Math.abs(Date.parse(start) - Date.parse(ref.startTime)) <= this.tolerance;
  }

  private refFilter(prefix: 'TgtProc' | 'SrcProc', ref: ProcessRef): string {
    if (ref.entityId !== undefined) return `${prefix}UID = ${q(ref.entityId)}`;
    return `${prefix}PID = "${ref.pid}"${ref.startTime ? ` AND ${prefix}StartTime = ${q(ref.startTime)}` : ''}`;
  }

  /**
   * The host's events for a span: from a fresh snapshot whose window covers it, else from this tick's merged
   * query (every question about the host asked together shares one init-query over the union of windows).
   */
  private async snapshot(operation: string, hostId: string, span: Span, kind: 'events' | 'lineage' = 'events'): Promise<Snapshot> {
    const key = `${kind}|${hostId}`;
    const ttl = this.opts.snapshotTtlMs ?? 300_000;
    const now = this.clock.now();
    const fresh = (this.snapshots.get(key) ?? []).filter((c) => now - c.at < ttl);
    this.snapshots.set(key, fresh.slice(-8));
    const covering = fresh.find((c) => c.span.from <= span.from && c.span.to >= span.to);
    const taken = covering ?? (await this.joinBatch(operation, key, hostId, span, kind));
    return within(await taken.snapshot, span);
  }

  private joinBatch(operation: string, key: string, hostId: string, span: Span, kind: 'events' | 'lineage'): Promise<{ span: Span; snapshot: Promise<Snapshot> }> {
    const open = this.batches.get(key);
    if (open) {
      open.spans.push(span);
      return open.done;
    }
    const spans = [span];
    const done = new Promise<{ span: Span; snapshot: Promise<Snapshot> }>((resolve) => {
      // Questions started in the same tick (Promise.all in the playbook) join before the query goes out.
      setImmediate(() => {
        this.batches.delete(key);
        const union = { from: Math.min(...spans.map((s) => s.from)), to: Math.max(...spans.map((s) => s.to)) };
        const snapshot = this.takeSnapshot(operation, hostId, union, kind);
        const entry = { span: union, at: this.clock.now(), snapshot };
        this.snapshots.set(key, [...(this.snapshots.get(key) ?? []), entry]);
        snapshot.catch(() => this.snapshots.set(key, (this.snapshots.get(key) ?? []).filter((c) => c !== entry)));
        resolve(entry);
      });
    });
    this.batches.set(key, { spans, done });
    return done;
  }

  private async takeSnapshot(operation: string, hostId: string, span: Span, kind: 'events' | 'lineage'): Promise<Snapshot> {
    const types = kind === 'events' ? SNAPSHOT_TYPES : ['Process Creation'];
    const query = this.sdl
      ? powerQuery(hostId, types, this.opts.dvMaxEvents ?? 20_000)
      : types.length === 1 ? `AgentUUID = ${q(hostId)} AND EventType = ${q(types[0]!)}` : `AgentUUID = ${q(hostId)} AND EventType In (${types.map(q).join(', ')})`;
    const run = () => (this.sdl ? this.pqQuery(operation, this.sdl, query, span) : this.dvQuery(operation, query, span));
    // Unpaced, the query goes out with the agent lookup (one round trip saved). Under Deep Visibility's
    // 1 init-query a minute the agent is checked first, so an unknown host never spends that slot.
    const early = this.unpaced() ? settle(run()) : null;
    const agent = await this.agentByUuid(operation, hostId);
    if (!agent) return { events: [], query, coverage: 'none', note: `no SentinelOne agent has uuid ${hostId}; its telemetry is not in Deep Visibility` };
    let result: { events: Record<string, unknown>[]; truncated: boolean };
    try {
      result = early ? unsettle(await early) : await run();
    } catch (e) {
      if (e instanceof ConnectorError && e.status === 403) {
        return { events: [], query, coverage: 'none', note: 'Deep Visibility is not available to this token (needs the Complete SKU and SDL Data.viewEdr)' };
      }
      throw e;
    }
    const events = result.events.map(dvEventToEcs).sort(byTime);
    if (result.truncated) return { events, query, coverage: 'partial', note: `the host has more than ${this.opts.dvMaxEvents ?? 20_000} events in this window; narrow it` };
    return { events, query, coverage: 'full' };
  }

  /** init-query (paced to the documented 1/min) -> poll query-status -> page through events by cursor. */
  private async dvQuery(operation: string, s1ql: string, span: Span): Promise<{ events: Record<string, unknown>[]; truncated: boolean }> {
    await this.initGate();
    const init = await this.http.request({
      operation,
      method: 'POST',
      url: `${API}/dv/init-query`,
      data: { query: s1ql, fromDate: iso(span.from), toDate: iso(span.to), limit: this.opts.dvMaxEvents ?? 20_000, isVerbose: false, queryType: ['events'] },
      idempotent: true,
    });
    const queryId = this.parse(operation, z.looseObject({ data: z.looseObject({ queryId: z.string() }) }), init.data).data.queryId;
    const deadline = this.clock.now() + (this.opts.dvDeadlineMs ?? 120_000);
    for (;;) {
      const res = await this.http.request({ operation, method: 'GET', url: `${API}/dv/query-status`, params: { queryId } });
      const state = this.parse(operation, z.looseObject({ data: z.looseObject({ responseState: z.string() }) }), res.data).data.responseState;
      if (state === 'FINISHED') break;
      if (state === 'EMPTY_RESULTS') return { events: [], truncated: false };
      if (!DV_PENDING.has(state)) throw this.error(operation, 'HW_ERR_CONNECTOR_VENDOR_ERROR', `Deep Visibility query ended ${state}`, 'retry the investigation; if it repeats, narrow the window');
      if (this.clock.now() >= deadline) {
        void this.http.request({ operation, method: 'POST', url: `${API}/dv/cancel-query`, data: { queryId } }).catch(() => undefined);
        throw this.error(operation, 'HW_ERR_CONNECTOR_TIMEOUT', `Deep Visibility query still ${state} after ${this.opts.dvDeadlineMs ?? 120_000} ms`, 'raise dvDeadlineMs or narrow the window');
      }
      await this.clock.sleep(this.opts.dvPollMs ?? 1_000);
    }
    const pageSize = this.opts.pageSize ?? 1_000;
    const collected = await collectPages<Record<string, unknown>, string>(
      async (cursor) => {
        const res = await this.http.request({ operation, method: 'GET', url: `${API}/dv/events`, params: { queryId, limit: pageSize, sortBy: 'createdAt', sortOrder: 'asc', cursor } });
        const page = this.parse(operation, listSchema, res.data);
        return cursorPage(page.data, page.pagination?.nextCursor);
      },
      { maxItems: this.opts.dvMaxEvents ?? 20_000, maxPages: 1_000 },
    );
    return { events: collected.items, truncated: collected.truncated };
  }

  /** launch -> poll with lastStepSeen, echoing the forward tag (it may change) -> delete. */
  private async pqQuery(operation: string, sdl: HttpClient, pq: string, span: Span): Promise<{ events: Record<string, unknown>[]; truncated: boolean }> {
    const pqSchema = z.looseObject({
      id: z.string(),
      stepsCompleted: z.number(),
      stepsTotal: z.number(),
      data: z.looseObject({ columns: z.array(z.looseObject({ name: z.string() })).optional(), values: z.array(z.array(z.unknown())).optional(), matchCount: z.number().optional() }).nullish(),
    });
    const launch = await sdl.request({
      operation,
      method: 'POST',
      url: '/sdl/v2/api/queries',
      data: { queryType: 'PQ', startTime: iso(span.from), endTime: iso(span.to), pq: { query: pq, resultType: 'TABLE' }, tenant: true },
      idempotent: true,
    });
    let tag = launch.headers['x-dataset-query-forward-tag'];
    let state = this.parse(operation, pqSchema, launch.data);
    const id = state.id;
    const deadline = this.clock.now() + (this.opts.dvDeadlineMs ?? 120_000);
    try {
      // The first poll goes at once (as with Deep Visibility): a short query is often done by then.
      for (let polls = 0; state.stepsCompleted < state.stepsTotal; polls++) {
        if (this.clock.now() >= deadline) throw this.error(operation, 'HW_ERR_CONNECTOR_TIMEOUT', `PowerQuery ${id} at step ${state.stepsCompleted} of ${state.stepsTotal} after ${this.opts.dvDeadlineMs ?? 120_000} ms`, 'raise dvDeadlineMs or narrow the window');
        if (polls > 0) await this.clock.sleep(this.opts.dvPollMs ?? 1_000);
        const res = await sdl.request({ operation, method: 'GET', url: `/sdl/v2/api/queries/${encodeURIComponent(id)}`, params: { lastStepSeen: state.stepsCompleted }, headers: tag ? { 'X-Dataset-Query-Forward-Tag': tag } : {} });
        tag = res.headers['x-dataset-query-forward-tag'] ?? tag;
        state = this.parse(operation, pqSchema, res.data);
      }
    } finally {
      // Free the query server-side whatever happened; a failed delete changes nothing for the answer.
      await sdl.request({ operation, method: 'DELETE', url: `/sdl/v2/api/queries/${encodeURIComponent(id)}`, headers: tag ? { 'X-Dataset-Query-Forward-Tag': tag } : {}, acceptStatus: [404] }).catch(() => undefined);
    }
    const rows = tableRows(state.data ?? undefined);
    const limit = this.opts.dvMaxEvents ?? 20_000;
    return { events: rows.map(pqRowToDvEvent), truncated: rows.length >= limit || (state.data?.matchCount ?? 0) > rows.length };
  }

  /** No init-query budget to protect: PowerQuery (100/s), or Deep Visibility pacing switched off. */
  private unpaced(): boolean {
    return this.sdl !== null || (this.opts.dvInitIntervalMs ?? 60_000) <= 0;
  }

  /** Spaces init-queries by the interval; concurrent callers take consecutive slots. */
  private async initGate(): Promise<void> {
    const now = this.clock.now();
    const slot = Math.max(now, this.nextInitAt);
    this.nextInitAt = slot + (this.opts.dvInitIntervalMs ?? 60_000);
    if (slot > now) await this.clock.sleep(slot - now);
  }

  private async list(operation: string, path: string, params: Record<string, string | undefined>): Promise<{ items: Record<string, any>[]; truncated: boolean }> {
    const collected = await collectPages<Record<string, unknown>, string>(async (cursor) => {
      const res = await this.http.request({ operation, method: 'GET', url: `${API}${path}`, params: { ...params, limit: 100, cursor } });
      const page = this.parse(operation, listSchema, res.data);
      return cursorPage(page.data, page.pagination?.nextCursor);
    }, { maxPages: 20 });
    return { items: collected.items, truncated: collected.truncated };
  }

  /** The agent behind an ECS host.id (the agent uuid); `fresh` skips the cache (actions need the live state). */
  private agentByUuid(operation: string, uuid: string, fresh = false): Promise<Agent | null> {
    const cached = this.agents.get(uuid);
    if (!fresh && cached && this.clock.now() - cached.at < 60_000) return cached.agent;
    const agent = (async () => {
      const res = await this.http.request({ operation, method: 'GET', url: `${API}/agents`, params: { uuids: uuid } });
      const first = this.parse(operation, listSchema, res.data).data[0];
      return first ? this.parse(operation, agentSchema, first) : null;
    })();
    this.agents.set(uuid, { at: this.clock.now(), agent });
    agent.catch(() => this.agents.delete(uuid));
    return agent;
  }

  private span(operation: string, window: TimeWindow): Span {
    const from = Date.parse(window?.from);
    const to = Date.parse(window?.to);
    if (Number.isNaN(from) || Number.isNaN(to) || from > to) throw this.error(operation, 'HW_ERR_CONNECTOR_BAD_REQUEST', `window ${JSON.stringify(window)} is not an ISO from <= to`, 'pass a valid time window');
    return { from, to };
  }

  private requireRef(operation: string, ref: ProcessRef): void {
    if (!ref?.hostId) throw this.error(operation, 'HW_ERR_CONNECTOR_BAD_REQUEST', 'field "hostId" is missing', "pass the alert's host.id (the agent uuid)");
    if (ref.entityId === undefined && ref.pid === undefined) throw this.error(operation, 'HW_ERR_CONNECTOR_BAD_REQUEST', 'needs field "entityId" or "pid"', 'pass process.entity_id (processUniqueKey), or the pid with its start time');
  }

  private error(operation: string, code: ConnectorErrorCode, detail: string, hint?: string): ConnectorError {
    return new ConnectorError({ code, vendor: VENDOR, operation, detail, ...(hint ? { hint } : {}) });
  }

  private parse<T extends z.ZodType>(operation: string, schema: T, data: unknown): z.infer<T> {
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw this.error(operation, 'HW_ERR_CONNECTOR_BAD_RESPONSE', `unexpected response shape at ${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
/** A promise that never rejects (started early, awaited later or dropped without an unhandled rejection). */
const settle = <T>(p: Promise<T>): Promise<Settled<T>> => p.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
const unsettle = <T>(s: Settled<T>): T => {
  if (s.ok) return s.value;
  throw s.error;
};
const q = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const iso = (ms: number): string => new Date(ms).toISOString();
const byTime = (a: EcsEvent, b: EcsEvent): number => Date.parse(getString(a, '@timestamp') ?? '') - Date.parse(getString(b, '@timestamp') ?? '');
const hasCategory = (e: EcsEvent, category: string): boolean => {
  const value = (e.event as { category?: unknown } | undefined)?.category;
  return Array.isArray(value) ? value.includes(category) : value === category;
};
/** A snapshot cut to one question's window. */
function within(snap: Snapshot, span: Span): Snapshot {
  const events = snap.events.filter((e) => {
    const at = Date.parse(getString(e, '@timestamp') ?? '');
    return at >= span.from && at <= span.to;
  });
  return { ...snap, events };
}
const isProcessStart = (e: EcsEvent): boolean => getString(e, 'event.action') === 'Process Creation';
