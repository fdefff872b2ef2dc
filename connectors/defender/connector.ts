// Microsoft Defender for Endpoint, with Entra ID (Graph) for accounts and alert status. Queries are
// Advanced Hunting KQL; actions are MDE machine actions (polled to a terminal status) and Graph PATCHes.
import { callSettings, vendorBreaker, type VendorCallOptions } from '../http/vendor-options.js';
import { z } from 'zod';
import { bearerAuth } from '../http/auth.js';
import type { CircuitBreaker, BreakerOptions } from '../http/breaker.js';
import { HttpClient, vendorMessage } from '../http/client.js';
import { systemClock, type Clock } from '../http/clock.js';
import { ConnectorError } from '../http/errors.js';
import { MemoryKeyStore } from '../http/keystore.js';
import { ActionLedger } from '../http/ledger.js';
import { keyMarker } from '../http/action-request.js';
import { clientCredentialsGrant } from '../http/oauth2.js';
import { microsoftRetryPolicy } from '../http/retry.js';
import { TokenCache } from '../http/token.js';
import { actionRequestIssues } from '../replay/request.js';
import type {
  ActionDeclaration,
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
import { DEFENDER_BASE_ACTIONS, DEFENDER_KILL_ACTION } from './declarations.js';
import { alertRowToEcs, fileRowToEcs, networkRowToEcs, processRowToEcs, type Row } from './ecs.js';
import { parseMdeEntityId } from './entity.js';
import { ROW_LIMIT, activityKql, alertsKql, childrenKql, hostProcessesKql, processKql, processesKql, type PidPin, type Span } from './kql.js';

export interface DefenderConnectorOptions extends VendorCallOptions {
  tenantId: string;
  clientId: string;
  /** Already resolved (connectors/config.ts); never logged. */
  clientSecret: string;
  /** Default https://api.security.microsoft.com (regional hosts work too). */
  mdeBaseUrl?: string;
  /** Default https://graph.microsoft.com (the client adds /v1.0). */
  graphBaseUrl?: string;
  /** Default https://login.microsoftonline.com. */
  loginBaseUrl?: string;
  /** Default https://api.securitycenter.microsoft.com/.default. */
  mdeScope?: string;
  /** Default https://graph.microsoft.com/.default. */
  graphScope?: string;
  /** `mde`: POST /api/advancedqueries/run (default); `graph`: POST /v1.0/security/runHuntingQuery. */
  hunting?: 'mde' | 'graph';
  /** Default Full. */
  isolationType?: 'Full' | 'Selective';
  /** A Live Response library script that stops the pid given as its argument; without it kill is unsupported. */
  killScriptName?: string;
  /** How far a creation time may be from the one asked for and still be that process. Default 1 000 ms. */
  pidToleranceMs?: number;
  /** Advanced Hunting keeps 30 days; older windows answer coverage none. */
  retentionDays?: number;
  /** How far before a process the ancestry scan reaches for its ancestors. Default 24 h. */
  ancestryLookbackMs?: number;
  /** How long a machine lookup (onboarded or not) is reused. Default 60 000 ms. */
  machineCacheMs?: number;
  /** One breaker for every Defender call (MDE, Graph, login); default the process-wide one of this tenant. */
  breaker?: CircuitBreaker | BreakerOptions;
  /** Randomness for backoff jitter (tests). */
  random?: () => number;
}

const VENDOR = 'defender';
const inSpan = (ms: number, span: Span): boolean => ms >= span.from && ms <= span.to;
const MINUTE = 60_000;

const huntingResponse = z.looseObject({ Results: z.array(z.record(z.string(), z.unknown())).optional(), results: z.array(z.record(z.string(), z.unknown())).optional() });
const machineSchema = z.looseObject({
  id: z.string(),
  computerDnsName: z.string().nullish(),
  osPlatform: z.string().nullish(),
  osVersion: z.string().nullish(),
  healthStatus: z.string().nullish(),
});
type Machine = z.infer<typeof machineSchema>;
const machineActionSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  status: z.string(),
  machineId: z.string().nullish(),
  requestorComment: z.string().nullish(),
  creationDateTimeUtc: z.string().nullish(),
  lastUpdateDateTimeUtc: z.string().nullish(),
  lastUpdateTimeUtc: z.string().nullish(),
});
type MachineAction = z.infer<typeof machineActionSchema>;
const graphUserSchema = z.looseObject({
  id: z.string(),
  userPrincipalName: z.string().nullish(),
  accountEnabled: z.boolean().nullish(),
  onPremisesSyncEnabled: z.boolean().nullish(),
});
const graphAlertSchema = z.looseObject({ id: z.string(), status: z.string() });

const ALERT_STATUS = { open: 'new', acknowledged: 'inProgress', closed: 'resolved' } as const;
const MACHINE_ACTION_TYPE: Partial<Record<ActionKind, string>> = { isolate_host: 'Isolate', release_host: 'Unisolate', kill_process: 'LiveResponse' };

export class DefenderConnector implements Connector {
  readonly vendor = VENDOR;
  readonly actions: readonly ActionDeclaration[];
  readonly mde: HttpClient;
  readonly graph: HttpClient;
  readonly login: HttpClient;
  readonly mdeTokens: TokenCache;
  readonly graphTokens: TokenCache;
  private readonly opts: DefenderConnectorOptions;
  private readonly clock: Clock;
  private readonly ledger: ActionLedger;
  private readonly tolerance: number;
  private readonly machines = new Map<string, { at: number; machine: Promise<Machine | null> }>();

  constructor(opts: DefenderConnectorOptions) {
    for (const [field, value] of Object.entries({ tenantId: opts.tenantId, clientId: opts.clientId, clientSecret: opts.clientSecret })) {
      if (!value) throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_CONFIG', vendor: VENDOR, operation: 'configure', detail: `connector.${field} is empty`, hint: `set connector.${field} (secrets via env or file)` });
    }
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.tolerance = opts.pidToleranceMs ?? 1_000;
    const mdeBase = opts.mdeBaseUrl ?? 'https://api.security.microsoft.com';
    const common = {
      ...callSettings(opts, this.clock, vendorBreaker(opts, this.clock, `${VENDOR}|${opts.tenantId}|${mdeBase}`)),
      vendor: VENDOR,
      retryPolicy: microsoftRetryPolicy(opts.random ? { random: opts.random } : {}),
    };
    this.login = new HttpClient({ ...common, baseURL: opts.loginBaseUrl ?? 'https://login.microsoftonline.com' });
    const tokenUrl = `/${encodeURIComponent(opts.tenantId)}/oauth2/v2.0/token`;
    // Two audiences, two tokens (edr-apis §3.1).
    this.mdeTokens = new TokenCache(clientCredentialsGrant(this.login, { tokenUrl, clientId: opts.clientId, clientSecret: opts.clientSecret, scope: opts.mdeScope ?? 'https://api.securitycenter.microsoft.com/.default' }), { clock: this.clock });
    this.graphTokens = new TokenCache(clientCredentialsGrant(this.login, { tokenUrl, clientId: opts.clientId, clientSecret: opts.clientSecret, scope: opts.graphScope ?? 'https://graph.microsoft.com/.default' }), { clock: this.clock });
    this.mde = new HttpClient({ ...common, baseURL: mdeBase, auth: bearerAuth(this.mdeTokens, [opts.clientSecret]) });
    this.graph = new HttpClient({ ...common, baseURL: `${(opts.graphBaseUrl ?? 'https://graph.microsoft.com').replace(/\/+$/, '')}/v1.0`, auth: bearerAuth(this.graphTokens, [opts.clientSecret]) });
    this.ledger = new ActionLedger(VENDOR, opts.keyStore ?? new MemoryKeyStore(), this.clock);
    this.actions = opts.killScriptName ? [...DEFENDER_BASE_ACTIONS, DEFENDER_KILL_ACTION] : DEFENDER_BASE_ACTIONS;
  }

  // ---- queries -------------------------------------------------------------------------------------

  async getProcessEvent(ref: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    const span = this.span('getProcessEvent', window);
    const pin = this.pin('getProcessEvent', ref);
    return this.hunted('getProcessEvent', ref.hostId, processKql(ref.hostId, pin, span), window, span, processRowToEcs);
  }

  async getSiblingProcesses(parent: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    const span = this.span('getSiblingProcesses', window);
    const pin = this.pin('getSiblingProcesses', parent);
    return this.hunted('getSiblingProcesses', parent.hostId, childrenKql(parent.hostId, pin, span), window, span, processRowToEcs);
  }

  async getChildProcesses(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    const span = this.span('getChildProcesses', window);
    const pin = this.pin('getChildProcesses', proc);
    return this.hunted('getChildProcesses', proc.hostId, childrenKql(proc.hostId, pin, span), window, span, processRowToEcs);
  }

  async getAncestry(proc: ProcessRef, levels: number, window: TimeWindow): Promise<QueryResult> {
    const span = this.span('getAncestry', window);
    const pin = this.pin('getAncestry', proc);
    const host = proc.hostId;
    // One scan of the device's process creations up to the process, reaching back the lookback, and the
    // chain is walked in it locally: one round trip (with the machine lookup beside it), not one per level.
    // Only an ancestor the scan cannot answer for (older than the lookback, or the scan hit its row limit)
    // costs a pinned hunting call, which fetches two levels (a row names parent and grandparent).
    const end = pin.creation ? pin.creation.to : span.to;
    const scan: Span = { from: Math.min(pin.creation ? end : span.from, end - (this.opts.ancestryLookbackMs ?? 24 * 60 * MINUTE)), to: end };
    const scanKql = hostProcessesKql(host, scan);
    const [machine, scanned] = await Promise.all([this.machine('getAncestry', host), this.hunt('getAncestry', scanKql)]);
    if (!machine) return this.notOnboarded(host, scanKql, window);
    const complete = scanned.length < ROW_LIMIT;
    const queries = [scanKql];
    // Rows are newest first, so the first match of a pid without a creation time is its latest holder.
    let row = scanned.find((r) => Number(r.ProcessId) === pin.pid && (pin.creation ? inSpan(Date.parse(String(r.ProcessCreationTime)), pin.creation) : inSpan(Date.parse(String(r.Timestamp)), span)));
    if (!row) {
      const firstKql = processKql(host, pin, pin.creation ? this.around(pin.creation) : span, !pin.creation);
      queries.push(firstKql);
      row = (await this.hunt('getAncestry', firstKql))[0];
    }
    const chain: EcsEvent[] = [];
    let note: string | undefined;
    const stop = (pid: number) => `ancestry stops after ${chain.length} of ${levels} levels: no process event for pid ${pid} on machine ${host} in the hunting data`;
    while (row && chain.length < levels) {
      const want = this.ancestorPins(row).slice(0, levels - chain.length);
      if (want.length === 0) break;
      const childStart = Date.parse(String(row.ProcessCreationTime ?? row.Timestamp));
      const local = this.inScan(scanned, scan, complete, want[0]!, childStart);
      if (local === null) {
        note = stop(want[0]!.pid);
        break;
      }
      if (local) {
        chain.push(processRowToEcs(local));
        row = local;
        continue;
      }
      let rows: Row[];
      let kql: string;
      if (want.every((p) => p.creation)) {
        const from = Math.min(...want.map((p) => p.creation!.from));
        const to = Math.max(...want.map((p) => p.creation!.to));
        kql = processesKql(host, want, this.around({ from, to }));
        rows = await this.hunt('getAncestry', kql);
      } else {
        // Without a creation time the parent is the last process with that pid started before the child.
        kql = processKql(host, { pid: want[0]!.pid }, { from: childStart - 24 * 60 * MINUTE, to: childStart }, true);
        rows = await this.hunt('getAncestry', kql);
        want.length = 1;
      }
      queries.push(kql);
      let last: Row | undefined;
      for (const wanted of want) {
        const found = rows.find((r) => Number(r.ProcessId) === wanted.pid && (!wanted.creation || inSpan(Date.parse(String(r.ProcessCreationTime)), wanted.creation)));
        if (!found) {
          note = stop(wanted.pid);
          break;
        }
        chain.push(processRowToEcs(found));
        last = found;
      }
      if (note) break;
      row = last;
    }
    const query = queries.join('\n\n');
    if (note) return { events: chain, coverage: 'partial', query, window, note };
    return { events: chain, coverage: 'full', query, window };
  }

  /**
   * An ancestor from the scan: its row; null when the scan is complete over where it must be (so it is not
   * in the hunting data); undefined when the scan cannot tell (ask Advanced Hunting).
   */
  private inScan(rows: Row[], scan: Span, complete: boolean, wanted: PidPin, childStart: number): Row | null | undefined {
    const found = rows.find((r) => {
      if (Number(r.ProcessId) !== wanted.pid) return false;
      if (wanted.creation) return inSpan(Date.parse(String(r.ProcessCreationTime)), wanted.creation);
      return Date.parse(String(r.ProcessCreationTime ?? r.Timestamp)) <= childStart;
    });
    if (found) return found;
    if (!complete) return undefined;
    const where = wanted.creation ?? { from: childStart - 24 * 60 * MINUTE, to: childStart };
    return where.from - this.tolerance >= scan.from && where.to <= scan.to ? null : undefined;
  }

  /** The parent and grandparent a process row names, nearest first. */
  private ancestorPins(row: Row): PidPin[] {
    const pins: PidPin[] = [];
    for (const [pidField, timeField] of [['InitiatingProcessId', 'InitiatingProcessCreationTime'], ['InitiatingProcessParentId', 'InitiatingProcessParentCreationTime']] as const) {
      const pid = Number(row[pidField]);
      if (row[pidField] === undefined || row[pidField] === null || !Number.isInteger(pid)) break;
      const creation = typeof row[timeField] === 'string' ? Date.parse(row[timeField] as string) : Number.NaN;
      pins.push(Number.isNaN(creation) ? { pid } : { pid, creation: { from: creation - this.tolerance, to: creation + this.tolerance } });
      if (Number.isNaN(creation)) break; // the grandparent is only trusted when the parent is pinned
    }
    return pins;
  }

  async getFileEvents(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    const span = this.span('getFileEvents', window);
    const pin = this.pin('getFileEvents', proc);
    return this.hunted('getFileEvents', proc.hostId, activityKql('DeviceFileEvents', proc.hostId, pin, span), window, span, fileRowToEcs);
  }

  async getNetworkEvents(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    const span = this.span('getNetworkEvents', window);
    const pin = this.pin('getNetworkEvents', proc);
    return this.hunted('getNetworkEvents', proc.hostId, activityKql('DeviceNetworkEvents', proc.hostId, pin, span), window, span, networkRowToEcs);
  }

  async getAlertsForUser(userId: string, window: TimeWindow): Promise<QueryResult> {
    const span = this.span('getAlertsForUser', window);
    const kql = alertsKql({ user: userId }, span);
    return this.alertResult('getAlertsForUser', kql, window);
  }

  async getAlertsForHost(hostId: string, window: TimeWindow): Promise<QueryResult> {
    const span = this.span('getAlertsForHost', window);
    const kql = alertsKql({ deviceId: hostId }, span);
    return this.alertResult('getAlertsForHost', kql, window);
  }

  async getAlertsForRule(ruleId: string, window: TimeWindow): Promise<QueryResult> {
    this.span('getAlertsForRule', window);
    // Defender alerts carry Microsoft detector titles, never an Elastic rule id: the source cannot answer.
    return {
      events: [],
      coverage: 'none',
      query: `(Defender has no Elastic rule id ${ruleId})`,
      window,
      note: 'Defender for Endpoint does not know Elastic rule ids; check rule recurrence in the SIEM',
    };
  }

  async getHostDetails(hostId: string): Promise<HostDetails> {
    // The machine and its actions are asked together (one round trip); the actions of an unknown machine are
    // an empty list and go unused.
    const [machine, actions] = await Promise.all([this.machine('getHostDetails', hostId), this.machineActions('getHostDetails', hostId)]);
    if (!machine) return { hostId, agentId: null, online: null, isolated: null };
    const latest = actions
      .filter((a) => (a.type === 'Isolate' || a.type === 'Unisolate') && a.status === 'Succeeded')
      .sort((a, b) => String(b.creationDateTimeUtc ?? '').localeCompare(String(a.creationDateTimeUtc ?? '')))[0];
    const health = machine.healthStatus ?? undefined;
    return {
      hostId,
      agentId: machine.id,
      ...(machine.computerDnsName ? { hostName: machine.computerDnsName } : {}),
      ...(machine.osPlatform ? { os: [machine.osPlatform, machine.osVersion].filter(Boolean).join(' ') } : {}),
      online: health === 'Active' ? true : health === 'Inactive' || health === 'NoSensorData' ? false : null,
      // The machine entity has no isolation flag; the last succeeded Isolate/Unisolate says it.
      isolated: latest ? latest.type === 'Isolate' : false,
    };
  }

  // ---- actions -------------------------------------------------------------------------------------

  async runAction(request: ActionRequest): Promise<ActionStatus> {
    const issues = actionRequestIssues(request);
    if (issues) throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_BAD_REQUEST', vendor: VENDOR, operation: `runAction ${String(request?.kind)}`, detail: issues, hint: 'fix the action request fields named above' });
    if (!this.actions.some((a) => a.kind === request.kind)) {
      const why = request.kind === 'kill_process'
        ? 'Defender has no native kill: configure connector.killScriptName (a Live Response library script that stops a pid)'
        : `Defender cannot ${request.kind}`;
      return { actionId: `defender-unsupported-${request.kind}`, kind: request.kind, state: 'unsupported', vendor: VENDOR, detail: why };
    }
    return this.ledger.run(request, () => this.start(request), (id, kind) => this.getActionStatus(id, kind));
  }

  async getActionStatus(actionId: string, kind: ActionKind): Promise<ActionStatus> {
    if (actionId.startsWith('defender-unsupported-')) return { actionId, kind, state: 'unsupported', vendor: VENDOR };
    const account = /^graph-account-(disable|enable)-(.+)$/.exec(actionId);
    if (account) return this.accountStatus(actionId, kind, account[1] === 'enable', account[2]!);
    const alerts = /^graph-alert-status-(new|inProgress|resolved)-(.+)$/.exec(actionId);
    if (alerts) return this.alertStatus(actionId, kind, alerts[1]!, JSON.parse(decodeURIComponent(alerts[2]!)) as string[]);
    const res = await this.mde.request({ operation: 'getActionStatus', method: 'GET', url: `/api/machineactions/${encodeURIComponent(actionId)}` });
    return this.fromMachineAction(this.parse('getActionStatus', machineActionSchema, res.data), kind);
  }

  async findAction(idempotencyKey: string, request?: ActionRequest): Promise<ActionStatus | null> {
    const known = await this.ledger.find(idempotencyKey, (id, kind) => this.getActionStatus(id, kind));
    const type = request ? MACHINE_ACTION_TYPE[request.kind] : undefined;
    if (known || !request || !type) return known;
    // The ledger forgot (another process sent it): the key travels in the MachineAction's requestorComment,
    // so the machine's actions of that type (M11l) find it.
    const machineId = request.kind === 'kill_process' ? request.process?.hostId ?? request.hostId : request.hostId;
    if (!machineId) return null;
    const operation = `findAction ${request.kind}`;
    const filter = `machineId eq '${machineId.replace(/'/g, "''")}' and type eq '${type}'`;
    const res = await this.mde.request({ operation, method: 'GET', url: '/api/machineactions', params: { $filter: filter, $top: 100 } });
    const marker = keyMarker(idempotencyKey);
    const match = this.parse(operation, z.looseObject({ value: z.array(machineActionSchema) }), res.data).value.find((action) => action.requestorComment?.includes(marker));
    if (!match) return null;
    await this.ledger.store.set(idempotencyKey, { actionId: match.id, kind: request.kind, vendor: VENDOR, startedAt: new Date(this.clock.now()).toISOString() });
    return this.fromMachineAction(match, request.kind);
  }

  /** Restrict app execution to Microsoft-signed binaries (MDE M7); its inverse is `unrestrictCodeExecution`. */
  async restrictCodeExecution(machineId: string, comment: string): Promise<{ actionId: string; status: string }> {
    const action = await this.postMachineAction('restrictCodeExecution', machineId, 'restrictCodeExecution', 'RestrictCodeExecution', { Comment: comment });
    return { actionId: action.id, status: action.status };
  }

  async unrestrictCodeExecution(machineId: string, comment: string): Promise<{ actionId: string; status: string }> {
    const action = await this.postMachineAction('unrestrictCodeExecution', machineId, 'unrestrictCodeExecution', 'UnrestrictCodeExecution', { Comment: comment });
    return { actionId: action.id, status: action.status };
  }

  /** A machine action as MDE reports it (for restrict/unrestrict, which the shared interface does not name). */
  async getMachineAction(actionId: string): Promise<{ actionId: string; type: string; status: string }> {
    const res = await this.mde.request({ operation: 'getMachineAction', method: 'GET', url: `/api/machineactions/${encodeURIComponent(actionId)}` });
    const action = this.parse('getMachineAction', machineActionSchema, res.data);
    return { actionId: action.id, type: action.type, status: action.status };
  }

  async close(): Promise<void> {
    await Promise.all([this.mde.close(), this.graph.close(), this.login.close()]);
  }

  // ---- internals -----------------------------------------------------------------------------------

  private async start(request: ActionRequest): Promise<ActionStatus> {
    // The idempotency key rides in the comment (requestorComment), where findAction looks for it after a crash.
    const comment = `${request.comment ?? `hivewatch ${request.kind}`} ${keyMarker(request.idempotencyKey)}`;
    switch (request.kind) {
      case 'isolate_host': {
        const action = await this.postMachineAction('isolate_host', request.hostId!, 'isolate', 'Isolate', { Comment: comment, IsolationType: this.opts.isolationType ?? 'Full' });
        return this.fromMachineAction(action, 'isolate_host');
      }
      case 'release_host': {
        const action = await this.postMachineAction('release_host', request.hostId!, 'unisolate', 'Unisolate', { Comment: comment });
        return this.fromMachineAction(action, 'release_host');
      }
      case 'kill_process': {
        const ref = request.process!;
        const pin = this.pin('kill_process', ref);
        const machineId = ref.hostId ?? request.hostId!;
        const action = await this.postMachineAction('kill_process', machineId, 'runliveresponse', 'LiveResponse', {
          Comment: comment,
          Commands: [{ type: 'RunScript', params: [{ key: 'ScriptName', value: this.opts.killScriptName }, { key: 'Args', value: String(pin.pid) }] }],
        });
        return this.fromMachineAction(action, 'kill_process');
      }
      case 'disable_account':
      case 'enable_account':
        return this.setAccountEnabled(request.kind, request.userId!);
      case 'set_alert_status':
        return this.setAlertStatus(request.alertIds!, ALERT_STATUS[request.alertStatus!]);
    }
  }

  /**
   * POSTs a machine action. A duplicate of a pending one is refused with ActiveRequestAlreadyExists;
   * then the pending action is adopted, so a retried step polls the action already under way.
   */
  private async postMachineAction(operation: string, machineId: string, path: string, type: string, body: Record<string, unknown>): Promise<MachineAction> {
    const res = await this.mde.request({ operation, method: 'POST', url: `/api/machines/${encodeURIComponent(machineId)}/${path}`, data: body, acceptStatus: [400] });
    if (res.status !== 400) return this.parse(operation, machineActionSchema, res.data);
    const code = (res.data as { error?: { code?: string } } | undefined)?.error?.code;
    const said = vendorMessage(res.data) ?? 'bad request';
    if (code === 'ActiveRequestAlreadyExists' || /already in progress/i.test(said)) {
      const pending = (await this.machineActions(operation, machineId, type)).find((a) => a.status === 'Pending' || a.status === 'InProgress');
      if (pending) return pending;
    }
    throw this.mde.error({ operation }, 'HW_ERR_CONNECTOR_BAD_REQUEST', `HTTP 400 on POST /api/machines/{id}/${path}: ${said}`, 400);
  }

  private async machineActions(operation: string, machineId: string, type?: string): Promise<MachineAction[]> {
    const filter = `machineId eq '${machineId.replace(/'/g, "''")}'${type ? ` and type eq '${type}'` : ''}`;
    const res = await this.mde.request({ operation, method: 'GET', url: '/api/machineactions', params: { $filter: filter, $top: type ? 1 : 100 } });
    const parsed = this.parse(operation, z.looseObject({ value: z.array(machineActionSchema) }), res.data);
    return parsed.value;
  }

  private fromMachineAction(action: MachineAction, kind: ActionKind): ActionStatus {
    const expected = MACHINE_ACTION_TYPE[kind];
    if (expected && action.type !== expected) {
      throw this.mde.error({ operation: 'getActionStatus' }, 'HW_ERR_CONNECTOR_BAD_REQUEST', `machine action ${action.id} is a ${action.type}, not the ${expected} of ${kind}`);
    }
    const state = action.status === 'Succeeded' ? 'done' : action.status === 'Pending' || action.status === 'InProgress' ? 'pending' : 'failed';
    return { actionId: action.id, kind, state, vendor: VENDOR, detail: `MDE ${action.type} ${action.status}` };
  }

  private async graphUser(operation: string, userId: string): Promise<z.infer<typeof graphUserSchema> | null> {
    const select = 'id,userPrincipalName,accountEnabled,onPremisesSyncEnabled';
    if (/^S-1-\d+(-\d+)+$/.test(userId)) {
      // A SID (ECS user.id from MDE): only synced users have one; look it up to report it properly.
      const res = await this.graph.request({ operation, method: 'GET', url: '/users', params: { $filter: `onPremisesSecurityIdentifier eq '${userId}'`, $select: select } });
      return this.parse(operation, z.looseObject({ value: z.array(graphUserSchema) }), res.data).value[0] ?? null;
    }
    const res = await this.graph.request({ operation, method: 'GET', url: `/users/${encodeURIComponent(userId)}`, params: { $select: select }, acceptStatus: [404] });
    return res.status === 404 ? null : this.parse(operation, graphUserSchema, res.data);
  }

  private async setAccountEnabled(kind: 'disable_account' | 'enable_account', userId: string): Promise<ActionStatus> {
    const enable = kind === 'enable_account';
    const user = await this.graphUser(kind, userId);
    const actionId = `graph-account-${enable ? 'enable' : 'disable'}-${user?.id ?? userId}`;
    if (!user) return { actionId, kind, state: 'failed', vendor: VENDOR, detail: `no Entra ID user ${userId}; pass the account's object id or UPN` };
    if (user.onPremisesSyncEnabled) {
      return { actionId, kind, state: 'failed', vendor: VENDOR, detail: `user ${user.userPrincipalName ?? user.id} is synced from on-premises AD, which is authoritative: ${enable ? 'enable' : 'disable'} it in AD` };
    }
    const res = await this.graph.request({ operation: kind, method: 'PATCH', url: `/users/${encodeURIComponent(user.id)}`, data: { accountEnabled: enable }, acceptStatus: [400, 403] });
    if (res.status === 400 || res.status === 403) {
      return { actionId, kind, state: 'failed', vendor: VENDOR, detail: `Graph refused: ${vendorMessage(res.data) ?? `HTTP ${res.status}`}` };
    }
    return { actionId, kind, state: 'done', vendor: VENDOR, detail: `accountEnabled=${enable} for ${user.userPrincipalName ?? user.id}` };
  }

  private async accountStatus(actionId: string, kind: ActionKind, enable: boolean, userId: string): Promise<ActionStatus> {
    const user = await this.graphUser('getActionStatus', userId);
    if (!user) return { actionId, kind, state: 'failed', vendor: VENDOR, detail: `Entra ID user ${userId} no longer exists` };
    if (user.onPremisesSyncEnabled) return { actionId, kind, state: 'failed', vendor: VENDOR, detail: 'user is synced from on-premises AD; Graph cannot change it' };
    const done = user.accountEnabled === enable;
    return { actionId, kind, state: done ? 'done' : 'pending', vendor: VENDOR, detail: `accountEnabled=${String(user.accountEnabled)}` };
  }

  private async setAlertStatus(alertIds: string[], status: string): Promise<ActionStatus> {
    const actionId = `graph-alert-status-${status}-${encodeURIComponent(JSON.stringify(alertIds))}`;
    const failed: string[] = [];
    for (const id of alertIds) {
      const res = await this.graph.request({ operation: 'set_alert_status', method: 'PATCH', url: `/security/alerts_v2/${encodeURIComponent(id)}`, data: { status }, acceptStatus: [404] });
      if (res.status === 404) failed.push(id);
    }
    if (failed.length > 0) return { actionId, kind: 'set_alert_status', state: 'failed', vendor: VENDOR, detail: `alerts not found: ${failed.join(', ')}` };
    return { actionId, kind: 'set_alert_status', state: 'done', vendor: VENDOR, detail: `${alertIds.length} alert(s) set to ${status}` };
  }

  private async alertStatus(actionId: string, kind: ActionKind, status: string, ids: string[]): Promise<ActionStatus> {
    const statuses = await Promise.all(
      ids.map(async (id) => {
        const res = await this.graph.request({ operation: 'getActionStatus', method: 'GET', url: `/security/alerts_v2/${encodeURIComponent(id)}`, acceptStatus: [404] });
        return res.status === 404 ? null : this.parse('getActionStatus', graphAlertSchema, res.data).status;
      }),
    );
    if (statuses.includes(null)) return { actionId, kind, state: 'failed', vendor: VENDOR, detail: 'an alert of this action no longer exists' };
    return { actionId, kind, state: statuses.every((s) => s === status) ? 'done' : 'pending', vendor: VENDOR, detail: `alert status ${statuses.join(', ')}` };
  }

  private span(operation: string, window: TimeWindow): Span {
    const from = Date.parse(window?.from);
    const to = Date.parse(window?.to);
    if (Number.isNaN(from) || Number.isNaN(to) || from > to) {
      throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_BAD_REQUEST', vendor: VENDOR, operation, detail: `window ${JSON.stringify(window)} is not an ISO from <= to`, hint: 'pass a valid time window' });
    }
    return { from, to };
  }

  private around(creation: Span): Span {
    return { from: creation.from - 5 * MINUTE, to: creation.to + 5 * MINUTE };
  }

  /** A process as pid + creation span: from the synthesized entity id, else from pid and start time. */
  private pin(operation: string, ref: ProcessRef): PidPin {
    if (!ref?.hostId) throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_BAD_REQUEST', vendor: VENDOR, operation, detail: 'field "hostId" is missing', hint: "pass the alert's host.id (the MDE machine id)" });
    const fromEntity = ref.entityId ? parseMdeEntityId(ref.entityId) : null;
    const pid = fromEntity?.pid ?? ref.pid;
    const start = fromEntity ? fromEntity.creation : ref.startTime ? Date.parse(ref.startTime) : Number.NaN;
    if (pid === undefined) {
      throw new ConnectorError({ code: 'HW_ERR_CONNECTOR_BAD_REQUEST', vendor: VENDOR, operation, detail: `process entity id ${ref.entityId ?? '(none)'} is not a Defender id and no pid was given`, hint: 'pass process.pid with process.start (MDE has no process entity ids)' });
    }
    return Number.isNaN(start) ? { pid } : { pid, creation: { from: start - this.tolerance, to: start + this.tolerance } };
  }

  private machine(operation: string, hostId: string): Promise<Machine | null> {
    const cached = this.machines.get(hostId);
    if (cached && this.clock.now() - cached.at < (this.opts.machineCacheMs ?? MINUTE)) return cached.machine;
    const machine = (async () => {
      const res = await this.mde.request({ operation, method: 'GET', url: `/api/machines/${encodeURIComponent(hostId)}`, acceptStatus: [404] });
      return res.status === 404 ? null : this.parse(operation, machineSchema, res.data);
    })();
    this.machines.set(hostId, { at: this.clock.now(), machine });
    machine.catch(() => this.machines.delete(hostId));
    return machine;
  }

  private async hunt(operation: string, kql: string): Promise<Row[]> {
    const graph = this.opts.hunting === 'graph';
    const res = await (graph ? this.graph : this.mde).request({
      operation,
      method: 'POST',
      url: graph ? '/security/runHuntingQuery' : '/api/advancedqueries/run',
      data: { Query: kql },
      idempotent: true, // a read, even though it is a POST
    });
    const parsed = this.parse(operation, huntingResponse, res.data);
    return (parsed.Results ?? parsed.results ?? []) as Row[];
  }

  private async hunted(operation: string, hostId: string, kql: string, window: TimeWindow, span: Span, map: (row: Row) => EcsEvent): Promise<QueryResult> {
    const retention = this.clock.now() - (this.opts.retentionDays ?? 30) * 24 * 60 * MINUTE;
    if (span.to < retention) {
      return { events: [], coverage: 'none', query: kql, window, note: `the window ends before Advanced Hunting's ${this.opts.retentionDays ?? 30}-day retention; this telemetry is gone from Defender` };
    }
    // The machine lookup and the query run together: one round trip, not two.
    const [machine, rows] = await Promise.all([this.machine(operation, hostId), this.hunt(operation, kql)]);
    if (!machine) return this.notOnboarded(hostId, kql, window);
    const events = rows.map(map);
    if (rows.length >= ROW_LIMIT) return { events, coverage: 'partial', query: kql, window, note: `the query hit its ${ROW_LIMIT}-row limit; narrow the window` };
    if (span.from < retention) return { events, coverage: 'partial', query: kql, window, note: 'part of the window is older than the Advanced Hunting retention' };
    return { events, coverage: 'full', query: kql, window };
  }

  private notOnboarded(hostId: string, kql: string, window: TimeWindow): QueryResult {
    return { events: [], coverage: 'none', query: kql, window, note: `host ${hostId} is not a Defender for Endpoint machine in this tenant; its telemetry is not in Advanced Hunting` };
  }

  private async alertResult(operation: string, kql: string, window: TimeWindow): Promise<QueryResult> {
    const rows = await this.hunt(operation, kql);
    const events = rows.map(alertRowToEcs);
    if (rows.length >= ROW_LIMIT) return { events, coverage: 'partial', query: kql, window, note: `the query hit its ${ROW_LIMIT}-row limit; narrow the window` };
    return { events, coverage: 'full', query: kql, window };
  }

  private parse<T extends z.ZodType>(operation: string, schema: T, data: unknown): z.infer<T> {
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw this.mde.error({ operation }, 'HW_ERR_CONNECTOR_BAD_RESPONSE', `unexpected response shape at ${issue?.path.join('.') || '(body)'}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }
}
