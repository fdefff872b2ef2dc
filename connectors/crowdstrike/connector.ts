// The CrowdStrike Falcon connector: OAuth2 client credentials (cached, refreshed at 80 % of its life),
// process/file/network events through NG-SIEM query jobs, alerts v2, containment through devices-actions
// polled on the device status, kill through a Real Time Response session, and alert status via v3.

import type { z } from 'zod';
import { getField, getString } from '../../detection/fields.js';
import type { Secret } from '../config.js';
import {
  ActionLedger,
  ConnectorError,
  HttpClient,
  MemoryKeyStore,
  SingleFlight,
  TokenCache,
  bearerAuth,
  clientCredentialsGrant,
  collectPages,
  crowdstrikeRetryPolicy,
  cursorPage,
  offsetPage,
  systemClock,
  validateActionRequest,
  validateWindow,
  callSettings,
  vendorBreaker,
  type VendorCallOptions,
  type Clock,
  type RetryPolicy,
} from '../http/index.js';
import type { ActionKind, ActionRequest, ActionStatus, Connector, EcsEvent, HostDetails, ProcessRef, QueryResult, TimeWindow } from '../types.js';
import { CROWDSTRIKE_ACTIONS, CS_ALERT_STATUS } from './actions.js';
import { cql, eq, inList } from './cql.js';
import { alertToEcs, eventToEcs, type CsCategory } from './mapping.js';
import { ThreatGraph } from './threatgraph.js';
import { alertSchema, commandSchema, commandStatusSchema, deviceSchema, envelopeSchema, jobPollSchema, queryJobSchema, sessionSchema } from './schemas.js';

export interface CrowdStrikeConnectorOptions extends VendorCallOptions {
  baseUrl: string;
  clientId: string | Secret;
  clientSecret: string | Secret;
  memberCid?: string;
  ngsiemRepository?: string;
  /** Where process queries go: NG-SIEM, Threat Graph, or NG-SIEM falling back to Threat Graph when unlicensed (default). */
  processSource?: 'auto' | 'ngsiem' | 'threatgraph';
  queryPollMs?: number;
  queryDeadlineMs?: number;
  /** Events per NG-SIEM query (`| head(N)`); a full page is reported as partial. */
  queryLimit?: number;
  /** Events in the one-job ancestry scan (every process start on the sensor over the day before the window). */
  ancestryScanLimit?: number;
  pidWindowMs?: number;
  onlineWithinMs?: number;
  alertPageSize?: number;
  retryPolicy?: RetryPolicy;
}

const SYNTHETIC = 'hw:';
const COVERAGE_SLACK_MS = 3_600_000;
/** How long after a contain/lift request a stale device status still counts as pending. */
const CONTAIN_GRACE_MS = 60_000;
const reveal = (s: string | Secret): string => (typeof s === 'string' ? s : s.reveal());

export class CrowdStrikeConnector implements Connector {
  readonly vendor = 'crowdstrike';
  readonly actions = CROWDSTRIKE_ACTIONS;
  readonly http: HttpClient;
  readonly tokens: TokenCache;
  private readonly ledger: ActionLedger;
  private readonly jobs = new SingleFlight<Record<string, unknown>[] | 'unavailable'>();
  private readonly clock: Clock;
  private readonly graph: ThreatGraph;
  /** Set once NG-SIEM answered 403/404: the tenant has no event search, so `auto` goes to Threat Graph. */
  private ngsiemUnavailable = false;
  private readonly o: Required<Pick<CrowdStrikeConnectorOptions, 'ngsiemRepository' | 'processSource' | 'queryPollMs' | 'queryDeadlineMs' | 'queryLimit' | 'ancestryScanLimit' | 'pidWindowMs' | 'onlineWithinMs' | 'alertPageSize'>>;

  constructor(opts: CrowdStrikeConnectorOptions) {
    this.clock = opts.clock ?? systemClock;
    const clientId = reveal(opts.clientId);
    const clientSecret = reveal(opts.clientSecret);
    const common = {
      ...callSettings(opts, this.clock, vendorBreaker(opts, this.clock)),
      vendor: 'crowdstrike',
      baseURL: opts.baseUrl.replace(/\/$/, ''),
      retryPolicy: opts.retryPolicy ?? crowdstrikeRetryPolicy(),
    };
    // the token endpoint shares the breaker; its client has no auth of its own
    const tokenHttp = new HttpClient({ ...common, auth: { headers: async () => ({}), secrets: () => [clientSecret] } });
    this.tokens = new TokenCache(
      clientCredentialsGrant(tokenHttp, { tokenUrl: '/oauth2/token', clientId, clientSecret, extra: opts.memberCid ? { member_cid: opts.memberCid } : undefined }),
      { clock: this.clock, refreshRatio: 0.8 },
    );
    this.http = new HttpClient({ ...common, auth: bearerAuth(this.tokens, [clientSecret]) });
    this.tokenHttp = tokenHttp;
    this.graph = new ThreatGraph(this.http);
    this.o = {
      ngsiemRepository: opts.ngsiemRepository ?? 'search-all',
      processSource: opts.processSource ?? 'auto',
      queryPollMs: opts.queryPollMs ?? 500,
      queryDeadlineMs: opts.queryDeadlineMs ?? 60_000,
      queryLimit: opts.queryLimit ?? 1000,
      ancestryScanLimit: opts.ancestryScanLimit ?? opts.queryLimit ?? 5000,
      pidWindowMs: opts.pidWindowMs ?? 5 * 60_000,
      onlineWithinMs: opts.onlineWithinMs ?? 15 * 60_000,
      alertPageSize: opts.alertPageSize ?? 500,
    };
    this.ledger = new ActionLedger('crowdstrike', opts.keyStore ?? new MemoryKeyStore(), this.clock);
  }

  private readonly tokenHttp: HttpClient;

  // ------------------------------------------------------------------ queries

  async getProcessEvent(ref: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getProcessEvent', window);
    return this.viaGraph(() => this.searchProcessEvent(ref, window), () => this.graph.processEvent(ref, window));
  }

  private async searchProcessEvent(ref: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    if (ref.entityId) return this.events('getProcessEvent', 'process', ref.hostId, [eq('TargetProcessId', ref.entityId)], window);
    const pid = this.requirePid('getProcessEvent', ref);
    const res = await this.events('getProcessEvent', 'process', ref.hostId, [eq('RawProcessId', pid)], this.pin(ref, window));
    if (res.events.length > 1 && ref.startTime) {
      const target = Date.parse(ref.startTime);
      res.events = [[...res.events].sort((a, b) => Math.abs(ts(a) - target) - Math.abs(ts(b) - target))[0]!];
    }
    return { ...res, note: join(res.note, 'matched by aid + RawProcessId near the start time (no TargetProcessId given)') };
  }

  async getSiblingProcesses(parent: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getSiblingProcesses', window);
    return this.viaGraph(() => this.childrenOf('getSiblingProcesses', parent, window), () => this.graph.children('getSiblingProcesses', parent, window));
  }

  async getChildProcesses(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getChildProcesses', window);
    return this.viaGraph(() => this.childrenOf('getChildProcesses', proc, window), () => this.graph.children('getChildProcesses', proc, window));
  }

  async getAncestry(proc: ProcessRef, levels: number, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getAncestry', window);
    return this.viaGraph(() => this.searchAncestry(proc, levels, window), () => this.graph.ancestry(proc, levels, window));
  }

  /**
   * One job fetches every process start on the sensor from a day before the window to its end (ProcessRollup2
   * has no ancestry list, and parents start before the window); the chain is walked locally, so the ancestry
   * costs one job however deep it is. Only when that scan was cut at its limit and a link is missing does the
   * walk fall back to one targeted job per level.
   */
  private async searchAncestry(proc: ProcessRef, levels: number, window: TimeWindow): Promise<QueryResult> {
    const back: TimeWindow = { from: iso(Date.parse(window.from) - 86_400_000), to: window.to };
    const scan = this.events('getAncestry', 'process', proc.hostId, [], back, false, this.o.ancestryScanLimit);
    scan.catch(() => undefined);
    const self = await this.searchProcessEvent(proc, window);
    let current = self.events[0];
    if (!current) return { ...self, events: [], note: join(self.note, 'the process start event was not found, so its ancestry is unknown') };
    const candidates = await scan;
    if (candidates.coverage === 'none') return { events: [], coverage: 'none', query: [self.query, candidates.query].join('\n'), window, note: candidates.note };
    const byId = new Map<string, EcsEvent>();
    for (const e of candidates.events) {
      const id = getString(e, 'process.entity_id');
      if (id && !byId.has(id)) byId.set(id, e);
    }
    const scanComplete = candidates.coverage === 'full';
    const events: EcsEvent[] = [];
    const queries = [self.query, candidates.query];
    let note: string | undefined;
    for (let level = 0; level < levels; level++) {
      const parentId = getString(current, 'process.parent.entity_id');
      if (!parentId) break;
      let parent = byId.get(parentId);
      if (!parent && !scanComplete) {
        const res = await this.events('getAncestry', 'process', proc.hostId, [eq('TargetProcessId', parentId)], back, false);
        queries.push(res.query);
        if (res.coverage === 'none') return { events, coverage: 'none', query: queries.join('\n'), window, note: res.note };
        parent = res.events[0];
      }
      if (!parent) {
        note = `the chain ends at level ${level + 1}: parent ${parentId} has no ProcessRollup2 in the last day before the window`;
        break;
      }
      events.push(parent);
      current = parent;
    }
    return { events, coverage: note ? 'partial' : 'full', query: queries.join('\n'), window, note };
  }

  async getFileEvents(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getFileEvents', window);
    return this.treeEvents('getFileEvents', 'file', proc, window);
  }

  async getNetworkEvents(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getNetworkEvents', window);
    return this.treeEvents('getNetworkEvents', 'network', proc, window);
  }

  async getAlertsForUser(userId: string, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getAlertsForUser', window);
    return this.queryAlerts('getAlertsForUser', `user_id:${fql(userId)}`, window);
  }

  async getAlertsForHost(hostId: string, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getAlertsForHost', window);
    return this.queryAlerts('getAlertsForHost', `device.device_id:${fql(hostId)}`, window);
  }

  /** CrowdStrike's own detections: `ruleId` is the alert `pattern_id`. Walks combined/v1 with its `after` cursor. */
  async getAlertsForRule(ruleId: string, window: TimeWindow): Promise<QueryResult> {
    validateWindow(this.vendor, 'getAlertsForRule', window);
    const operation = 'getAlertsForRule';
    const filter = `pattern_id:${fql(ruleId)}+${timeFilter(window)}`;
    const collected = await collectPages<Record<string, any>, string>(async (after) => {
      const res = await this.http.request({ operation, method: 'POST', url: '/alerts/combined/alerts/v1', data: { filter, sort: 'created_timestamp|desc', limit: this.o.alertPageSize, ...(after ? { after } : {}) }, idempotent: true });
      const body = this.parse(operation, envelopeSchema(alertSchema), res.data);
      return cursorPage(body.resources ?? [], body.meta?.pagination?.after);
    });
    return { events: collected.items.map(alertToEcs), coverage: collected.truncated ? 'partial' : 'full', query: `POST /alerts/combined/alerts/v1 filter=${filter}`, window, note: collected.truncated ? 'more alerts than the page limit; the list is incomplete' : undefined };
  }

  async getHostDetails(hostId: string): Promise<HostDetails> {
    const device = await this.device('getHostDetails', hostId);
    if (!device) return { hostId, agentId: null, online: null, isolated: null };
    const seen = device.last_seen ? Date.parse(device.last_seen) : NaN;
    return {
      hostId,
      agentId: device.device_id,
      hostName: device.hostname,
      os: device.os_version ?? device.platform_name,
      // the device entity has no online flag: a sensor seen recently counts as online
      online: Number.isNaN(seen) ? null : this.clock.now() - seen <= this.o.onlineWithinMs,
      isolated: device.status === undefined ? null : device.status === 'contained' || device.status === 'lift_containment_pending',
    };
  }

  // ------------------------------------------------------------------ actions

  async runAction(request: ActionRequest): Promise<ActionStatus> {
    if (request.kind === 'disable_account' || request.kind === 'enable_account') {
      return { actionId: `${SYNTHETIC}unsupported:${request.kind}`, kind: request.kind, state: 'unsupported', vendor: this.vendor, detail: 'CrowdStrike has no account disable action; use the identity provider (Entra ID via the Defender connector, or AD)' };
    }
    validateActionRequest(this.vendor, request);
    return this.ledger.run(request, () => this.startAction(request), (id, kind) => this.getActionStatus(id, kind));
  }

  async getActionStatus(actionId: string, kind: ActionKind): Promise<ActionStatus> {
    const operation = 'getActionStatus';
    const [prefix, a, b] = actionId.split(':');
    const status = (state: ActionStatus['state'], detail: string): ActionStatus => ({ actionId, kind, state, vendor: this.vendor, detail });
    if (prefix === 'hw') return status(a === 'done' ? 'done' : a === 'unsupported' ? 'unsupported' : 'failed', decodeURIComponent(b ?? ''));
    if (prefix === 'cs-contain' || prefix === 'cs-lift') {
      const device = await this.device(operation, decodeURIComponent(a ?? ''));
      if (!device) return status('failed', 'the device no longer exists');
      const want = prefix === 'cs-contain' ? 'contained' : 'normal';
      const pendingState = prefix === 'cs-contain' ? 'containment_pending' : 'lift_containment_pending';
      if (device.status === want) return status('done', `device status ${want}`);
      if (device.status === pendingState) return status('pending', `device status ${pendingState} (waits for the sensor to check in)`);
      const startedAt = Number(b);
      if (Number.isFinite(startedAt) && this.clock.now() - startedAt < CONTAIN_GRACE_MS) return status('pending', `device status ${device.status ?? 'unknown'}; the request may not be reflected yet`);
      return status('failed', `device status is ${device.status ?? 'unknown'}, not ${want}`);
    }
    if (prefix === 'cs-rtr') {
      const sessionId = decodeURIComponent(a ?? '');
      const res = await this.http.request({ operation, method: 'GET', url: '/real-time-response/entities/active-responder-command/v1', params: { cloud_request_id: decodeURIComponent(b ?? ''), sequence_id: 0 }, acceptStatus: [404] });
      if (res.status === 404) return status('failed', 'the RTR session or command expired before it completed; start a new kill');
      const cmd = this.parse(operation, envelopeSchema(commandStatusSchema), res.data).resources?.[0];
      if (!cmd) return status('failed', 'RTR returned no command status');
      if (!cmd.complete) return status('pending', 'RTR kill queued');
      void this.closeSession(sessionId);
      return cmd.stderr ? status('failed', `RTR kill: ${cmd.stderr}`) : status('done', `RTR kill: ${cmd.stdout || 'completed'}`);
    }
    throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_NOT_FOUND', vendor: this.vendor, operation, detail: `unknown action id format "${actionId.slice(0, 80)}"`, hint: 'pass an actionId returned by this connector' });
  }

  /** The ledger only: the vendor cannot be searched for the key (devices-actions and RTR carry no comment); startAction adopts by device state. */
  async findAction(idempotencyKey: string, _request?: ActionRequest): Promise<ActionStatus | null> {
    return this.ledger.find(idempotencyKey, (id, kind) => this.getActionStatus(id, kind));
  }

  async close(): Promise<void> {
    await Promise.all([this.http.close(), this.tokenHttp.close()]);
  }

  private async startAction(req: ActionRequest): Promise<ActionStatus> {
    const operation = `runAction ${req.kind}`;
    const done = (state: 'done' | 'failed', detail: string): ActionStatus => ({ actionId: `${SYNTHETIC}${state}:${encodeURIComponent(detail)}:${encodeURIComponent(req.idempotencyKey)}`, kind: req.kind, state, vendor: this.vendor, detail });

    if (req.kind === 'set_alert_status') {
      const params: { name: string; value: string }[] = [{ name: 'update_status', value: CS_ALERT_STATUS[req.alertStatus!] }];
      if (req.comment) params.push({ name: 'append_comment', value: req.comment });
      const res = await this.http.request({ operation, method: 'PATCH', url: '/alerts/entities/alerts/v3', data: { composite_ids: req.alertIds, action_parameters: params }, idempotent: true });
      const errors = this.parse(operation, envelopeSchema(alertSchema), res.data).errors ?? [];
      return errors.length ? done('failed', `alert status not set: ${errors.map((e) => e.message).join('; ')}`) : done('done', `${req.alertIds!.length} alerts set to ${CS_ALERT_STATUS[req.alertStatus!]}`);
    }

    if (req.kind === 'kill_process') {
      const proc = req.process!;
      const checked = await this.checkPid(operation, proc);
      if (typeof checked === 'string') return done('failed', checked);
      const pid = checked;
      const session = await this.http.request({ operation, method: 'POST', url: '/real-time-response/entities/sessions/v1', params: { timeout: 30 }, data: { device_id: proc.hostId, queue_offline: false } });
      const sessionId = this.parse(operation, envelopeSchema(sessionSchema), session.data).resources?.[0]?.session_id;
      if (!sessionId) throw this.http.error({ operation }, 'HW_ERR_CONNECTOR_BAD_RESPONSE', 'RTR init returned no session_id');
      let requestId: string | undefined;
      try {
        const cmd = await this.http.request({ operation, method: 'POST', url: '/real-time-response/entities/active-responder-command/v1', data: { base_command: 'kill', command_string: `kill ${pid}`, session_id: sessionId, persist: false } });
        requestId = this.parse(operation, envelopeSchema(commandSchema), cmd.data).resources?.[0]?.cloud_request_id;
        if (!requestId) throw this.http.error({ operation }, 'HW_ERR_CONNECTOR_BAD_RESPONSE', 'RTR command returned no cloud_request_id');
      } catch (e) {
        void this.closeSession(sessionId); // do not leave the session open on the sensor
        throw e;
      }
      return { actionId: `cs-rtr:${encodeURIComponent(sessionId)}:${encodeURIComponent(requestId)}`, kind: req.kind, state: 'pending', vendor: this.vendor, detail: `RTR kill ${pid} queued` };
    }

    // isolate / release: read the device state first
    const hostId = req.hostId!;
    const contain = req.kind === 'isolate_host';
    const device = await this.device(operation, hostId);
    if (!device) throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_NOT_FOUND', vendor: this.vendor, operation, detail: `device ${hostId} not found`, hint: 'check the host.id is the CrowdStrike aid of a sensor in this CID' });
    const prefix = contain ? 'cs-contain' : 'cs-lift';
    // the start time rides in the id, so a status that has not caught up yet reads as pending, not failed
    const actionId = `${prefix}:${encodeURIComponent(hostId)}:${this.clock.now()}`;
    if (device.status === (contain ? 'contained' : 'normal')) return done('done', contain ? 'device already contained; nothing sent' : 'device not contained; nothing sent');
    if (device.status === (contain ? 'containment_pending' : 'lift_containment_pending')) {
      return { actionId, kind: req.kind, state: 'pending', vendor: this.vendor, detail: `adopted the ${device.status} already under way` };
    }
    const res = await this.http.request({ operation, method: 'POST', url: '/devices/entities/devices-actions/v2', params: { action_name: contain ? 'contain' : 'lift_containment' }, data: { ids: [hostId] } });
    const errors = this.parse(operation, envelopeSchema(deviceSchema.partial()), res.data).errors ?? [];
    if (errors.length) throw this.http.error({ operation }, 'HW_ERR_CONNECTOR_VENDOR_ERROR', `devices-actions answered errors: ${errors.map((e) => `${e.code ?? ''} ${e.message ?? ''}`.trim()).join('; ')}`);
    return { actionId, kind: req.kind, state: 'pending', vendor: this.vendor, detail: `${contain ? 'contain' : 'lift_containment'} accepted (HTTP ${res.status})` };
  }

  // ------------------------------------------------------------------ helpers

  private async device(operation: string, aid: string): Promise<z.infer<typeof deviceSchema> | null> {
    const res = await this.http.request({ operation, method: 'GET', url: '/devices/entities/devices/v2', params: { ids: [aid] }, acceptStatus: [404] });
    if (res.status === 404) return null;
    return this.parse(operation, envelopeSchema(deviceSchema), res.data).resources?.[0] ?? null;
  }

  /**
   * RTR kills an OS pid, and pids are reused: before killing, the pid must still belong to the process
   * (TargetProcessId) and no later process on the sensor may have taken it. Returns the pid, or why not.
   */
  private async checkPid(operation: string, proc: ProcessRef): Promise<number | string> {
    if (!proc.entityId) return proc.pid!; // a bare pid from the alert: nothing to check it against
    if (this.o.processSource !== 'threatgraph' && !this.ngsiemUnavailable) {
      const checked = await this.checkPidWithEvents(operation, proc, proc.entityId);
      if (checked !== null) return checked;
    }
    return this.checkPidWithGraph(operation, proc, proc.entityId);
  }

  /** NG-SIEM: the pid must belong to the TargetProcessId, and no later process may hold it. null = NG-SIEM unavailable. */
  private async checkPidWithEvents(operation: string, proc: ProcessRef, entityId: string): Promise<number | string | null> {
    const now = this.clock.now();
    const lookback: TimeWindow = { from: iso(now - 7 * 86_400_000), to: iso(now) };
    let pid = proc.pid;
    if (pid === undefined) {
      const found = await this.events(operation, 'process', proc.hostId, [eq('TargetProcessId', entityId)], lookback, false);
      if (this.ngsiemUnavailable) return null;
      pid = found.events[0] ? Number(getField(found.events[0], 'process.pid')) : NaN;
      if (!Number.isFinite(pid)) {
        throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_NOT_FOUND', vendor: this.vendor, operation, detail: `no RawProcessId found for TargetProcessId ${entityId}`, hint: 'RTR kill needs the OS pid; pass process.pid from the alert' });
      }
    }
    const holders = await this.events(operation, 'process', proc.hostId, [eq('RawProcessId', pid)], lookback, false);
    if (this.ngsiemUnavailable) return null;
    const target = holders.events.find((e) => getString(e, 'process.entity_id') === entityId);
    if (!target) return `pid ${pid} does not belong to process ${entityId} on this sensor; not killing`;
    const later = holders.events.find((e) => getString(e, 'process.entity_id') !== entityId && ts(e) >= ts(target));
    if (later) return `pid ${pid} was reused by ${getString(later, 'process.name') ?? 'another process'} after the target started; not killing`;
    return pid;
  }

  /** Threat Graph: the vertex's RawProcessId must be the pid (later reuse cannot be seen there). */
  private async checkPidWithGraph(operation: string, proc: ProcessRef, entityId: string): Promise<number | string> {
    const found = await this.graph.summaries(operation, proc.hostId, [entityId]);
    const raw = found !== 'unavailable' && found[0] ? Number(getField(found[0], 'process.pid')) : NaN;
    if (Number.isFinite(raw)) {
      if (proc.pid !== undefined && proc.pid !== raw) return `pid ${proc.pid} does not belong to process ${entityId} (Threat Graph says ${raw}); not killing`;
      return raw;
    }
    if (proc.pid !== undefined) return proc.pid;
    throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_NOT_FOUND', vendor: this.vendor, operation, detail: `no RawProcessId found for TargetProcessId ${entityId}`, hint: 'RTR kill needs the OS pid; pass process.pid from the alert' });
  }

  private async closeSession(sessionId: string): Promise<void> {
    await this.http.request({ operation: 'rtr close session', method: 'DELETE', url: '/real-time-response/entities/sessions/v1', params: { session_id: sessionId }, acceptStatus: [404] }).catch(() => undefined);
  }

  private requirePid(operation: string, ref: ProcessRef): number {
    if (ref.pid === undefined) {
      throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_BAD_REQUEST', vendor: this.vendor, operation, detail: 'the ProcessRef has neither entityId (TargetProcessId) nor pid', hint: 'pass process.entity_id, or host.id + process.pid (+ start time) from the alert' });
    }
    return ref.pid;
  }

  private pin(ref: ProcessRef, window: TimeWindow): TimeWindow {
    if (!ref.startTime) return window;
    const start = Date.parse(ref.startTime);
    return { from: iso(Math.max(Date.parse(window.from), start - this.o.pidWindowMs)), to: iso(Math.min(Date.parse(window.to), start + this.o.pidWindowMs)) };
  }

  /** CrowdStrike has no parent pid: a parent known only by pid is first resolved to its TargetProcessId. */
  private async childrenOf(operation: string, parent: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    let parentId = parent.entityId;
    if (!parentId) {
      const found = await this.getProcessEvent(parent, window);
      parentId = found.events[0] ? getString(found.events[0], 'process.entity_id') : undefined;
      if (!parentId) return { ...found, events: [], note: join(found.note, 'the parent process was not found by pid, so its children are unknown') };
    }
    // the coverage probe runs alongside, so "no children" costs no extra round trip (siblings and children share it)
    const probe = this.hostSends(operation, 'process', parent.hostId, window);
    probe.catch(() => undefined);
    return this.events(operation, 'process', parent.hostId, [eq('ParentProcessId', parentId)], window, probe);
  }

  /** NG-SIEM first; Threat Graph when configured, or in `auto` once NG-SIEM proved unavailable. */
  private async viaGraph(search: () => Promise<QueryResult>, graph: () => Promise<QueryResult>): Promise<QueryResult> {
    const source = this.o.processSource;
    if (source === 'threatgraph' || (source === 'auto' && this.ngsiemUnavailable)) return graph();
    const res = await search();
    return source === 'auto' && this.ngsiemUnavailable && res.coverage === 'none' ? graph() : res;
  }

  private async treeEvents(operation: string, category: CsCategory, proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    if (this.o.processSource === 'threatgraph' || this.ngsiemUnavailable) {
      const why = this.ngsiemUnavailable ? 'which is unavailable to this API client (grant "NGSIEM: Read")' : 'which this connector is configured not to use (processSource threatgraph)';
      return { events: [], coverage: 'none', query: `(${category} events need NG-SIEM)`, window, note: `${category} events come from NG-SIEM event search, ${why}` };
    }
    let selfId = proc.entityId;
    if (!selfId) {
      const found = await this.getProcessEvent(proc, window);
      selfId = found.events[0] ? getString(found.events[0], 'process.entity_id') : undefined;
      if (!selfId) return { ...found, events: [], note: join(found.note, `the process was not found by pid, so its ${category} events are unknown`) };
    }
    // Three jobs at once, none waiting for another: the children, every event of the category on the sensor
    // in the window (kept when its actor is in the tree), and the coverage probe. Only a scan cut at its
    // limit costs a second, targeted job (ContextProcessId in the tree) after the children are known.
    const probe = this.hostSends(operation, category, proc.hostId, window);
    probe.catch(() => undefined);
    const scan = this.events(operation, category, proc.hostId, [], window, false);
    scan.catch(() => undefined);
    const children = await this.events(operation, 'process', proc.hostId, [eq('ParentProcessId', selfId)], window, false);
    const ids = [...new Set([selfId, ...children.events.map((e) => getString(e, 'process.entity_id')).filter((x): x is string => !!x)])];
    const all = await scan;
    if (all.coverage === 'full') {
      const tree = new Set(ids);
      const events = all.events.filter((e) => tree.has(getString(e, 'process.entity_id') ?? ''));
      const query = cql(category, proc.hostId, [inList('ContextProcessId', ids)], this.o.queryLimit);
      // the scan saw events of the category on this sensor, so an empty answer is "none found", not "not collected"
      if (events.length === 0 && all.events.length === 0 && !(await probe)) {
        return { events, coverage: 'none', query, window, note: `sensor ${proc.hostId} sent no ${category} events within 1 h of the window; this telemetry is not collected for the host` };
      }
      return { events, coverage: 'full', query, window };
    }
    return this.events(operation, category, proc.hostId, [inList('ContextProcessId', ids)], window, probe);
  }

  /** One NG-SIEM query; coverage `none` when event search is unavailable or the host sends no such events. */
  private async events(operation: string, category: CsCategory, aid: string, clauses: string[], window: TimeWindow, probe: boolean | Promise<boolean> = true, limit = this.o.queryLimit): Promise<QueryResult> {
    const query = cql(category, aid, clauses, limit);
    const run = await this.runJob(operation, query, window);
    if (run === 'unavailable') {
      return { events: [], coverage: 'none', query, window, note: 'NG-SIEM event search is unavailable to this API client (not licensed, scope missing or repository absent); grant "NGSIEM: Read" or use Threat Graph' };
    }
    const events = run.map(eventToEcs);
    if (events.length >= limit) return { events, coverage: 'partial', query, window, note: `stopped at ${limit} events; narrow the window` };
    if (events.length === 0 && probe !== false) {
      if (!(await (probe === true ? this.hostSends(operation, category, aid, window) : probe))) {
        return { events, coverage: 'none', query, window, note: `sensor ${aid} sent no ${category} events within 1 h of the window; this telemetry is not collected for the host` };
      }
    }
    return { events, coverage: 'full', query, window };
  }

  /** Whether the sensor sent any event of the category within an hour either side of the window. */
  private async hostSends(operation: string, category: CsCategory, aid: string, window: TimeWindow): Promise<boolean> {
    const wide = { from: iso(Date.parse(window.from) - COVERAGE_SLACK_MS), to: iso(Date.parse(window.to) + COVERAGE_SLACK_MS) };
    const any = await this.runJob(`${operation} coverage probe`, cql(category, aid, [], 1), wide);
    return any === 'unavailable' || any.length > 0;
  }

  /** Creates a query job, polls it to done within the deadline, deletes it. Restarts once if it expired. */
  private runJob(operation: string, queryString: string, window: TimeWindow): Promise<Record<string, unknown>[] | 'unavailable'> {
    // identical concurrent queries (the process event, the children) share one job
    return this.jobs.run(`${queryString}|${window.from}|${window.to}`, () => this.runJobOnce(operation, queryString, window));
  }

  private async runJobOnce(operation: string, queryString: string, window: TimeWindow, retried = false): Promise<Record<string, unknown>[] | 'unavailable'> {
    const base = `/humio/api/v1/repositories/${encodeURIComponent(this.o.ngsiemRepository)}/queryjobs`;
    const created = await this.http.request({ operation, method: 'POST', url: base, data: { queryString, start: Date.parse(window.from), end: Date.parse(window.to), isLive: false }, idempotent: true, acceptStatus: [403, 404] });
    if (created.status === 403 || created.status === 404) {
      this.ngsiemUnavailable = true;
      return 'unavailable';
    }
    const { id } = this.parse(operation, queryJobSchema, created.data);
    const deadline = this.clock.now() + this.o.queryDeadlineMs;
    try {
      for (;;) {
        const res = await this.http.request({ operation, method: 'GET', url: `${base}/${encodeURIComponent(id)}`, acceptStatus: [404] });
        if (res.status === 404) {
          if (retried) throw this.http.error({ operation }, 'HW_ERR_CONNECTOR_VENDOR_ERROR', 'the NG-SIEM query job expired twice before it finished');
          return this.runJobOnce(operation, queryString, window, true);
        }
        const poll = this.parse(operation, jobPollSchema, res.data);
        if (poll.cancelled) throw this.http.error({ operation }, 'HW_ERR_CONNECTOR_VENDOR_ERROR', 'the NG-SIEM query job was cancelled');
        if (poll.done) return poll.events ?? [];
        if (this.clock.now() >= deadline) throw this.http.error({ operation }, 'HW_ERR_CONNECTOR_TIMEOUT', `the NG-SIEM query job did not finish within ${this.o.queryDeadlineMs} ms`);
        await this.clock.sleep(Math.min(poll.metaData?.pollAfter ?? this.o.queryPollMs, this.o.queryPollMs));
      }
    } finally {
      void this.http.request({ operation: `${operation} cleanup`, method: 'DELETE', url: `${base}/${encodeURIComponent(id)}`, acceptStatus: [404] }).catch(() => undefined);
    }
  }

  private async queryAlerts(operation: string, clause: string, window: TimeWindow): Promise<QueryResult> {
    const filter = `${clause}+${timeFilter(window)}`;
    const limit = this.o.alertPageSize;
    const ids = await collectPages<string, number>(async (offset) => {
      const res = await this.http.request({ operation, method: 'GET', url: '/alerts/queries/alerts/v2', params: { filter, sort: 'created_timestamp|desc', limit, offset: offset ?? 0 } });
      const body = this.parse(operation, envelopeSchema(alertSchema.shape.composite_id), res.data);
      return offsetPage(body.resources ?? [], offset ?? 0, body.meta?.pagination?.total);
    });
    const alerts: EcsEvent[] = [];
    for (let i = 0; i < ids.items.length; i += 100) {
      const res = await this.http.request({ operation, method: 'POST', url: '/alerts/entities/alerts/v2', data: { composite_ids: ids.items.slice(i, i + 100) }, idempotent: true });
      alerts.push(...(this.parse(operation, envelopeSchema(alertSchema), res.data).resources ?? []).map(alertToEcs));
    }
    return { events: alerts, coverage: ids.truncated ? 'partial' : 'full', query: `GET /alerts/queries/alerts/v2?filter=${filter}`, window, note: ids.truncated ? 'more alerts than the page limit; the list is incomplete' : undefined };
  }

  private parse<S extends z.ZodType>(operation: string, schema: S, data: unknown): z.infer<S> {
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw this.http.error({ operation }, 'HW_ERR_CONNECTOR_BAD_RESPONSE', `response field ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'unexpected shape'}`);
    }
    return parsed.data;
  }
}

/** An FQL string literal; single quotes inside are escaped. */
function fql(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function timeFilter(window: TimeWindow): string {
  return `created_timestamp:>=${fql(window.from)}+created_timestamp:<=${fql(window.to)}`;
}

function ts(e: EcsEvent): number {
  return Date.parse(getString(e, '@timestamp') ?? '');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function join(...notes: (string | undefined)[]): string | undefined {
  return notes.filter(Boolean).join('; ') || undefined;
}
