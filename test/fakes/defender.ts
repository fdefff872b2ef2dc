// A fake Microsoft tenant on 127.0.0.1 (edr-apis §3, §6): Entra client-credentials tokens per audience
// with expiry, MDE machines, Advanced Hunting over in-memory tables (a small KQL subset is evaluated, so
// pid, creation-time and window filters really filter), machine actions Pending -> InProgress ->
// Succeeded/Failed/TimeOut, ActiveRequestAlreadyExists, case-sensitive bodies, and Graph users and
// alerts_v2. Faults (429 + Retry-After, 5xx, latency) come from the harness.
import type { Clock } from '../../connectors/http/clock.js';
import type { ContractScenario, ScenarioProcess } from '../connectors/contract.js';
import { FakeServer, type FakeRequest, type FakeResponse } from './harness.js';

export type Row = Record<string, unknown>;

export const MDE_SCOPES = ['https://api.securitycenter.microsoft.com/.default', 'https://securitycenter.onmicrosoft.com/windowsatpservice/.default'];
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

export interface FakeMachine {
  id: string;
  computerDnsName: string;
  osPlatform: string;
  osVersion?: string;
  healthStatus: 'Active' | 'Inactive' | 'NoSensorData' | 'ImpairedCommunication';
  lastSeen?: string;
}

export interface FakeMachineAction {
  id: string;
  type: string;
  scope?: string;
  requestor: string;
  requestorComment: string;
  status: 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'TimeOut' | 'Cancelled';
  machineId: string;
  computerDnsName: string;
  creationDateTimeUtc: string;
  lastUpdateDateTimeUtc: string;
  polls: number;
  outcome: 'Succeeded' | 'Failed' | 'TimeOut';
  commands?: unknown;
}

export interface FakeGraphUser {
  id: string;
  userPrincipalName: string;
  accountEnabled: boolean;
  onPremisesSyncEnabled: boolean;
  onPremisesSecurityIdentifier?: string;
}

export interface DefenderFakeOptions {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  /** Lifetime of issued tokens, seconds (Entra: ~3599). */
  tokenLifetimeSec?: number;
  clock?: Clock;
  latencyMs?: number;
}

export class DefenderFake {
  readonly server: FakeServer;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  tokenLifetimeSec: number;
  readonly tables = new Map<string, Row[]>();
  readonly machines = new Map<string, FakeMachine>();
  readonly actions = new Map<string, FakeMachineAction>();
  readonly users = new Map<string, FakeGraphUser>();
  readonly alertsV2 = new Map<string, { id: string; status: string; title: string }>();
  /** Live Response library scripts. */
  readonly library = new Set<string>(['stop-pid.ps1']);
  /** The outcome the next created machine action reaches. */
  nextOutcome: 'Succeeded' | 'Failed' | 'TimeOut' = 'Succeeded';
  readonly tokens = new Map<string, { aud: 'mde' | 'graph'; expiresAt: number }>();
  /** Every hunting query text received, in order. */
  readonly queries: string[] = [];

  constructor(opts: DefenderFakeOptions = {}) {
    this.server = new FakeServer({ clock: opts.clock, latencyMs: opts.latencyMs });
    this.tenantId = opts.tenantId ?? 'tenant-0001';
    this.clientId = opts.clientId ?? 'app-0001';
    this.clientSecret = opts.clientSecret ?? 'defender-client-secret-value';
    this.tokenLifetimeSec = opts.tokenLifetimeSec ?? 3599;
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

  /** How many tokens each audience was issued. */
  issued(aud: 'mde' | 'graph'): number {
    return [...this.tokens.values()].filter((t) => t.aud === aud).length;
  }

  addRows(table: string, rows: Row[]): void {
    const list = this.tables.get(table) ?? [];
    list.push(...rows);
    this.tables.set(table, list);
  }

  // ---- routes --------------------------------------------------------------------------------------

  private routes(): void {
    const s = this.server;
    s.route('POST', '/:tenant/oauth2/v2.0/token', (req) => this.token(req));

    s.route('GET', '/api/machines', (req) => this.auth(req, 'mde') ?? this.listMachines(req));
    s.route('GET', '/api/machines/:id', (req) => this.auth(req, 'mde') ?? this.getMachine(req.params.id!));
    s.route('POST', '/api/advancedqueries/run', (req) => this.auth(req, 'mde') ?? this.hunt(req, 'mde'));
    s.route('POST', '/api/machines/:id/:action', (req) => this.auth(req, 'mde') ?? this.machineAction(req));
    s.route('GET', '/api/machineactions', (req) => this.auth(req, 'mde') ?? this.listActions(req));
    s.route('GET', '/api/machineactions/:id', (req) => this.auth(req, 'mde') ?? this.pollAction(req.params.id!));
    s.route('POST', '/api/machineactions/:id/cancel', (req) => this.auth(req, 'mde') ?? this.cancelAction(req.params.id!));

    s.route('POST', '/v1.0/security/runHuntingQuery', (req) => this.auth(req, 'graph') ?? this.hunt(req, 'graph'));
    s.route('GET', '/v1.0/users', (req) => this.auth(req, 'graph') ?? this.findUsers(req));
    s.route('GET', '/v1.0/users/:id', (req) => this.auth(req, 'graph') ?? this.getUser(req.params.id!));
    s.route('PATCH', '/v1.0/users/:id', (req) => this.auth(req, 'graph') ?? this.patchUser(req));
    s.route('GET', '/v1.0/security/alerts_v2/:id', (req) => this.auth(req, 'graph') ?? this.getAlert(req.params.id!));
    s.route('PATCH', '/v1.0/security/alerts_v2/:id', (req) => this.auth(req, 'graph') ?? this.patchAlert(req));
  }

  private token(req: FakeRequest): FakeResponse {
    const form = (req.body ?? {}) as Record<string, string>;
    const entraError = (status: number, error: string, description: string): FakeResponse => ({
      status,
      body: { error, error_description: description, error_codes: [7000215], timestamp: new Date(this.server.clock.now()).toISOString(), trace_id: 'trace', correlation_id: 'corr' },
    });
    if (req.params.tenant !== this.tenantId) return entraError(400, 'invalid_request', `AADSTS90002: Tenant '${req.params.tenant}' not found.`);
    if (form.grant_type !== 'client_credentials') return entraError(400, 'unsupported_grant_type', 'AADSTS70003: grant_type must be client_credentials');
    if (form.client_id !== this.clientId || form.client_secret !== this.clientSecret) return entraError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    const aud = MDE_SCOPES.includes(form.scope ?? '') ? 'mde' : form.scope === GRAPH_SCOPE ? 'graph' : null;
    if (!aud) return entraError(400, 'invalid_scope', `AADSTS70011: The provided value for scope ${form.scope} is not valid.`);
    const token = `eyJfake.${aud}.${this.server.nextId('tok')}`;
    this.tokens.set(token, { aud, expiresAt: this.server.clock.now() + this.tokenLifetimeSec * 1000 });
    return { status: 200, body: { token_type: 'Bearer', expires_in: this.tokenLifetimeSec, ext_expires_in: this.tokenLifetimeSec, access_token: token } };
  }

  /** null when the bearer token is valid for this audience; else the 401 to send. */
  private auth(req: FakeRequest, aud: 'mde' | 'graph'): FakeResponse | null {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    const known = this.tokens.get(token);
    const deny = (message: string): FakeResponse => ({ status: 401, body: { error: { code: aud === 'mde' ? 'Unauthorized' : 'InvalidAuthenticationToken', message, target: 'corr' } } });
    if (!known) return deny('Authorization token is missing or invalid');
    if (known.expiresAt <= this.server.clock.now()) return deny('Lifetime validation failed, the token is expired.');
    if (known.aud !== aud) return deny(`Invalid audience: the token is for ${known.aud}`);
    return null;
  }

  private mdeError(status: number, code: string, message: string): FakeResponse {
    return { status, body: { error: { code, message, target: 'corr-0001' } } };
  }

  private listMachines(req: FakeRequest): FakeResponse {
    let list = [...this.machines.values()];
    const filter = req.query.get('$filter');
    if (filter) {
      const m = /^(\w+) eq '([^']*)'$/.exec(filter);
      if (!m) return this.mdeError(400, 'ODataError', `unsupported $filter ${filter}`);
      list = list.filter((machine) => String((machine as unknown as Row)[m[1]!]) === m[2]);
    }
    const skip = Number(req.query.get('$skip') ?? 0);
    const top = Number(req.query.get('$top') ?? 10_000);
    return { status: 200, body: { '@odata.context': 'machines', value: list.slice(skip, skip + top) } };
  }

  private getMachine(id: string): FakeResponse {
    const machine = this.machines.get(id);
    return machine ? { status: 200, body: machine } : this.mdeError(404, 'ResourceNotFound', `Machine ${id} was not found`);
  }

  private hunt(req: FakeRequest, api: 'mde' | 'graph'): FakeResponse {
    const query = (req.body as { Query?: unknown } | undefined)?.Query;
    if (typeof query !== 'string' || query.trim() === '') return this.mdeError(400, 'BadRequest', 'Query is required (the body key is case-sensitive)');
    this.queries.push(query);
    let rows: Row[];
    try {
      rows = runKql(query, this.tables);
    } catch (e) {
      return this.mdeError(400, 'BadRequest', `Query could not be parsed: ${(e as Error).message}`);
    }
    const schema = Object.keys(rows[0] ?? {}).map((name) => ({ Name: name, Type: name.endsWith('Time') || name === 'Timestamp' ? 'DateTime' : 'String' }));
    return api === 'mde'
      ? { status: 200, body: { Schema: schema, Results: rows } }
      : { status: 200, body: { schema: schema.map((c) => ({ name: c.Name, type: c.Type })), results: rows } };
  }

  private machineAction(req: FakeRequest): FakeResponse {
    const machine = this.machines.get(req.params.id!);
    if (!machine) return this.mdeError(404, 'ResourceNotFound', `Machine ${req.params.id} was not found`);
    const types: Record<string, string> = { isolate: 'Isolate', unisolate: 'Unisolate', restrictCodeExecution: 'RestrictCodeExecution', unrestrictCodeExecution: 'UnrestrictCodeExecution', runliveresponse: 'LiveResponse' };
    const type = types[req.params.action!];
    if (!type) return this.mdeError(404, 'NotFound', `no machine action ${req.params.action}`);
    const body = (req.body ?? {}) as Record<string, unknown>;
    // Body keys are case-sensitive in MDE.
    if (typeof body.Comment !== 'string' || body.Comment === '') return this.mdeError(400, 'InvalidRequestBody', 'Request body is invalid: Comment is required');
    if (type === 'Isolate' && body.IsolationType !== undefined && !['Full', 'Selective', 'UnManagedDevice'].includes(String(body.IsolationType))) {
      return this.mdeError(400, 'InvalidRequestBody', `IsolationType ${String(body.IsolationType)} is invalid`);
    }
    if (type === 'LiveResponse') {
      const commands = body.Commands as { type?: string; params?: { key: string; value: string }[] }[] | undefined;
      const script = commands?.[0]?.params?.find((p) => p.key === 'ScriptName')?.value;
      if (!Array.isArray(commands) || commands[0]?.type !== 'RunScript' || !script) return this.mdeError(400, 'InvalidRequestBody', 'Commands must hold a RunScript with a ScriptName');
      if (!this.library.has(script)) return this.mdeError(400, 'BadRequest', `Script ${script} was not found in the library`);
    }
    const busy = [...this.actions.values()].some((a) => a.machineId === machine.id && (a.status === 'Pending' || a.status === 'InProgress') && (a.type === type || type === 'LiveResponse'));
    if (busy) return this.mdeError(400, 'ActiveRequestAlreadyExists', 'Action is already in progress');
    const now = new Date(this.server.clock.now()).toISOString();
    const action: FakeMachineAction = {
      id: this.server.nextId('ma'),
      type,
      scope: type === 'Isolate' ? String(body.IsolationType ?? 'Full') : undefined,
      requestor: this.clientId,
      requestorComment: body.Comment,
      status: 'Pending',
      machineId: machine.id,
      computerDnsName: machine.computerDnsName,
      creationDateTimeUtc: now,
      lastUpdateDateTimeUtc: now,
      polls: 0,
      outcome: this.nextOutcome,
      commands: body.Commands,
    };
    this.actions.set(action.id, action);
    return { status: 201, body: this.view(action) };
  }

  private view(action: FakeMachineAction): Row {
    const { polls: _polls, outcome: _outcome, ...rest } = action;
    return rest;
  }

  private listActions(req: FakeRequest): FakeResponse {
    let list = [...this.actions.values()].sort((a, b) => b.creationDateTimeUtc.localeCompare(a.creationDateTimeUtc) || b.id.localeCompare(a.id));
    const filter = req.query.get('$filter');
    if (filter) {
      for (const clause of filter.split(' and ')) {
        const m = /^(\w+) eq '([^']*)'$/.exec(clause.trim());
        if (!m) return this.mdeError(400, 'ODataError', `unsupported $filter clause ${clause}`);
        list = list.filter((a) => String((a as unknown as Row)[m[1]!]) === m[2]);
      }
    }
    const top = Number(req.query.get('$top') ?? 10_000);
    return { status: 200, body: { value: list.slice(0, top).map((a) => this.view(a)) } };
  }

  private pollAction(id: string): FakeResponse {
    const action = this.actions.get(id);
    if (!action) return this.mdeError(404, 'ResourceNotFound', `Machine action ${id} was not found`);
    if (action.status === 'Pending' || action.status === 'InProgress') {
      action.polls += 1;
      action.status = action.polls >= this.server.completeAfterPolls ? action.outcome : 'InProgress';
      action.lastUpdateDateTimeUtc = new Date(this.server.clock.now()).toISOString();
    }
    return { status: 200, body: this.view(action) };
  }

  private cancelAction(id: string): FakeResponse {
    const action = this.actions.get(id);
    if (!action) return this.mdeError(404, 'ResourceNotFound', `Machine action ${id} was not found`);
    if (action.status === 'Pending' || action.status === 'InProgress') action.status = 'Cancelled';
    return { status: 200, body: this.view(action) };
  }

  private graphError(status: number, code: string, message: string): FakeResponse {
    return { status, body: { error: { code, message, innerError: { date: new Date(this.server.clock.now()).toISOString(), 'request-id': 'req-1' } } } };
  }

  private userView(user: FakeGraphUser): Row {
    return { id: user.id, userPrincipalName: user.userPrincipalName, accountEnabled: user.accountEnabled, onPremisesSyncEnabled: user.onPremisesSyncEnabled };
  }

  private lookupUser(idOrUpn: string): FakeGraphUser | undefined {
    return this.users.get(idOrUpn) ?? [...this.users.values()].find((u) => u.userPrincipalName.toLowerCase() === idOrUpn.toLowerCase());
  }

  private findUsers(req: FakeRequest): FakeResponse {
    const filter = req.query.get('$filter') ?? '';
    const m = /^onPremisesSecurityIdentifier eq '([^']*)'$/.exec(filter);
    if (!m) return this.graphError(400, 'Request_UnsupportedQuery', `unsupported $filter ${filter}`);
    return { status: 200, body: { value: [...this.users.values()].filter((u) => u.onPremisesSecurityIdentifier === m[1]).map((u) => this.userView(u)) } };
  }

  private getUser(id: string): FakeResponse {
    const user = this.lookupUser(id);
    return user ? { status: 200, body: this.userView(user) } : this.graphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist`);
  }

  private patchUser(req: FakeRequest): FakeResponse {
    const user = this.lookupUser(req.params.id!);
    if (!user) return this.graphError(404, 'Request_ResourceNotFound', `Resource '${req.params.id}' does not exist`);
    const body = (req.body ?? {}) as { accountEnabled?: unknown };
    if (typeof body.accountEnabled !== 'boolean') return this.graphError(400, 'Request_BadRequest', 'accountEnabled must be a boolean');
    if (user.onPremisesSyncEnabled) return this.graphError(400, 'Request_BadRequest', 'Unable to update the specified properties for on-premises mastered Directory Sync objects');
    user.accountEnabled = body.accountEnabled;
    return { status: 204 };
  }

  private getAlert(id: string): FakeResponse {
    const alert = this.alertsV2.get(id);
    return alert ? { status: 200, body: alert } : this.graphError(404, 'NotFound', `alert ${id} not found`);
  }

  private patchAlert(req: FakeRequest): FakeResponse {
    const alert = this.alertsV2.get(req.params.id!);
    if (!alert) return this.graphError(404, 'NotFound', `alert ${req.params.id} not found`);
    const status = (req.body as { status?: unknown } | undefined)?.status;
    if (!['new', 'inProgress', 'resolved'].includes(String(status))) return this.graphError(400, 'BadRequest', `invalid status ${String(status)}`);
    alert.status = String(status);
    return { status: 200, body: alert };
  }

  // ---- seeding -------------------------------------------------------------------------------------

  /** Loads the connector contract scenario as MDE tables, machines, users and alerts. */
  seedScenario(s: ContractScenario): void {
    for (const host of Object.values(s.hosts)) {
      this.machines.set(host.id, { id: host.id, computerDnsName: host.name, osPlatform: 'Windows10', osVersion: '22H2', healthStatus: 'Active' });
    }
    const processes = Object.values(s.processes) as ScenarioProcess[];
    const byEntity = new Map(processes.map((p) => [p.entityId, p]));
    const folder = (path: string) => path.slice(0, path.lastIndexOf('\\'));
    const actor = (p: ScenarioProcess): Row => {
      const parent = p.parent ? byEntity.get(p.parent.entityId) : undefined;
      return {
        InitiatingProcessId: p.pid,
        InitiatingProcessCreationTime: p.start,
        InitiatingProcessFileName: p.name,
        InitiatingProcessFolderPath: p.executable,
        InitiatingProcessCommandLine: p.commandLine,
        InitiatingProcessParentId: p.parent?.pid,
        InitiatingProcessParentCreationTime: p.parent?.start,
        InitiatingProcessParentFileName: parent?.name,
        InitiatingProcessAccountSid: p.user.id,
        InitiatingProcessAccountName: p.user.name,
      };
    };
    this.addRows(
      'DeviceProcessEvents',
      processes.map((p) => {
        const parent = p.parent ? byEntity.get(p.parent.entityId) : undefined;
        return {
          Timestamp: p.start,
          DeviceId: p.hostId,
          DeviceName: p.hostName,
          ActionType: 'ProcessCreated',
          ProcessId: p.pid,
          ProcessCreationTime: p.start,
          FileName: p.name,
          // Half of the rows give FolderPath without the image name, as some tenants do.
          FolderPath: p.pid % 4 === 0 ? p.executable : folder(p.executable),
          ProcessCommandLine: p.commandLine,
          ProcessVersionInfoOriginalFileName: p.name,
          AccountSid: p.user.id,
          AccountName: p.user.name,
          AccountDomain: p.user.domain,
          AccountObjectId: p.user.name === 'jdoe' ? 'obj-jdoe' : undefined,
          InitiatingProcessId: p.parent?.pid,
          InitiatingProcessCreationTime: p.parent?.start,
          InitiatingProcessFileName: parent?.name,
          InitiatingProcessFolderPath: parent?.executable,
          InitiatingProcessCommandLine: parent?.commandLine,
          InitiatingProcessParentId: parent?.parent?.pid,
          InitiatingProcessParentCreationTime: parent?.parent?.start,
          InitiatingProcessParentFileName: parent?.parent ? byEntity.get(parent.parent.entityId)?.name : undefined,
          ReportId: 1000 + p.pid,
        };
      }),
    );
    this.addRows(
      'DeviceFileEvents',
      s.fileEvents.map((f) => ({ Timestamp: f.at, DeviceId: f.process.hostId, DeviceName: f.process.hostName, ActionType: 'FileCreated', FileName: f.path.split('\\').pop(), FolderPath: folder(f.path), SHA256: 'ab'.repeat(32), ...actor(f.process as ScenarioProcess), ReportId: 2001 })),
    );
    this.addRows(
      'DeviceNetworkEvents',
      s.networkEvents.map((n) => ({ Timestamp: n.at, DeviceId: n.process.hostId, DeviceName: n.process.hostName, ActionType: 'ConnectionSuccess', RemoteIP: n.destinationIp, RemotePort: n.destinationPort, LocalIP: n.sourceIp, LocalPort: n.sourcePort, Protocol: 'Tcp', ...actor(n.process as ScenarioProcess), ReportId: 3001 })),
    );
    for (const a of s.alerts) {
      const id = `da${a.id}`;
      this.addRows('AlertInfo', [{ AlertId: id, Timestamp: a.at, Title: 'Suspicious registry hive export', Severity: 'High', Category: 'CredentialAccess', ServiceSource: 'Microsoft Defender for Endpoint', DetectionSource: 'EDR', AttackTechniques: '["OS Credential Dumping (T1003)"]' }]);
      this.addRows('AlertEvidence', [
        { AlertId: id, Timestamp: a.at, EntityType: 'Machine', DeviceId: a.hostId, DeviceName: a.hostName },
        { AlertId: id, Timestamp: a.at, EntityType: 'User', AccountSid: a.userId, AccountName: a.userName },
        { AlertId: id, Timestamp: a.at, EntityType: 'Process', DeviceId: a.hostId, DeviceName: a.hostName, AccountSid: a.userId, AccountName: a.userName, ProcessId: a.process.pid },
      ]);
      this.alertsV2.set(id, { id, status: 'new', title: 'Suspicious registry hive export' });
    }
    this.users.set('obj-jdoe', { id: 'obj-jdoe', userPrincipalName: 'jdoe@corp.example', accountEnabled: true, onPremisesSyncEnabled: false });
    this.users.set('obj-synced', { id: 'obj-synced', userPrincipalName: 'synced@corp.example', accountEnabled: true, onPremisesSyncEnabled: true, onPremisesSecurityIdentifier: s.users.jdoe.id });
  }
}

// ---- a KQL subset ----------------------------------------------------------------------------------
// Enough of Kusto to run what connectors send: `T | where <and/or of ==, =~, !=, <, >, between, in> |
// project | order by | take | join kind=inner (<subquery>) on Key | summarize arg_max(Col, *) by Key`.

type Value = string | number | { datetime: number };

function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = false;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      current += ch;
      if (ch === '\\') current += text[++i] ?? '';
      else if (ch === '"') quote = false;
      continue;
    }
    if (ch === '"') quote = true;
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth === 0 && text.startsWith(sep, i)) {
      parts.push(current);
      current = '';
      i += sep.length - 1;
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(datetime\([^)]*\)|"(?:[^"\\]|\\.)*"|\.\.|==|=~|!=|>=|<=|[<>(),]|[A-Za-z_][A-Za-z0-9_]*|-?\d+(?:\.\d+)?)/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new Error(`cannot read "${text.slice(pos, pos + 20)}"`);
    tokens.push(m[1]!);
    pos = re.lastIndex;
  }
  return tokens;
}

function parseValue(token: string | undefined): Value {
  if (token === undefined) throw new Error('value expected');
  if (token.startsWith('datetime(')) {
    const ms = Date.parse(token.slice(9, -1));
    if (Number.isNaN(ms)) throw new Error(`bad ${token}`);
    return { datetime: ms };
  }
  if (token.startsWith('"')) return JSON.parse(token) as string;
  if (/^-?\d/.test(token)) return Number(token);
  throw new Error(`value expected, got ${token}`);
}

type Predicate = (row: Row) => boolean;

function compare(cell: unknown, value: Value): number | null {
  if (cell === undefined || cell === null) return null;
  if (typeof value === 'object') {
    const ms = typeof cell === 'number' ? cell : Date.parse(String(cell));
    return Number.isNaN(ms) ? null : ms - value.datetime;
  }
  if (typeof value === 'number') return Number(cell) - value;
  return String(cell) < value ? -1 : String(cell) > value ? 1 : 0;
}

function parseWhere(text: string): Predicate {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expect = (t: string) => {
    if (next() !== t) throw new Error(`expected ${t}`);
  };
  const orExpr = (): Predicate => {
    const terms = [andExpr()];
    while (peek() === 'or') {
      next();
      terms.push(andExpr());
    }
    return (row) => terms.some((t) => t(row));
  };
  const andExpr = (): Predicate => {
    const terms = [atom()];
    while (peek() === 'and') {
      next();
      terms.push(atom());
    }
    return (row) => terms.every((t) => t(row));
  };
  const atom = (): Predicate => {
    if (peek() === '(') {
      next();
      const inner = orExpr();
      expect(')');
      return inner;
    }
    const field = next();
    if (!field || !/^[A-Za-z_]/.test(field)) throw new Error(`field expected, got ${field}`);
    const op = next();
    if (op === 'between') {
      expect('(');
      const lo = parseValue(next());
      expect('..');
      const hi = parseValue(next());
      expect(')');
      return (row) => {
        const a = compare(row[field], lo);
        const b = compare(row[field], hi);
        return a !== null && b !== null && a >= 0 && b <= 0;
      };
    }
    if (op === 'in') {
      expect('(');
      const values: Value[] = [parseValue(next())];
      while (peek() === ',') {
        next();
        values.push(parseValue(next()));
      }
      expect(')');
      return (row) => values.some((v) => compare(row[field], v) === 0);
    }
    const value = parseValue(next());
    switch (op) {
      case '==':
        return (row) => compare(row[field], value) === 0;
      case '!=':
        return (row) => compare(row[field], value) !== 0;
      case '=~':
        return (row) => typeof row[field] === 'string' && String(row[field]).toLowerCase() === String(value).toLowerCase();
      case '>':
        return (row) => (compare(row[field], value) ?? -1) > 0;
      case '>=':
        return (row) => (compare(row[field], value) ?? -1) >= 0;
      case '<':
        return (row) => (compare(row[field], value) ?? 1) < 0;
      case '<=':
        return (row) => (compare(row[field], value) ?? 1) <= 0;
      default:
        throw new Error(`unsupported operator ${op}`);
    }
  };
  const predicate = orExpr();
  if (i !== tokens.length) throw new Error(`unexpected ${tokens[i]}`);
  return predicate;
}

/** Runs a KQL pipeline over named tables. */
export function runKql(query: string, tables: Map<string, Row[]>): Row[] {
  const stages = splitTop(query.replace(/\/\/[^\n]*/g, ''), '|');
  const table = stages.shift();
  if (!table || !/^[A-Za-z]+$/.test(table)) throw new Error(`table name expected, got ${table}`);
  let rows = [...(tables.get(table) ?? [])];
  for (const stage of stages) {
    const [op, ...restWords] = stage.split(/\s+/);
    const rest = stage.slice(op!.length).trim();
    if (op === 'where') {
      const predicate = parseWhere(rest);
      rows = rows.filter(predicate);
    } else if (op === 'project') {
      const columns = rest.split(',').map((c) => c.trim());
      rows = rows.map((row) => Object.fromEntries(columns.filter((c) => row[c] !== undefined).map((c) => [c, row[c]])));
    } else if (op === 'order' && restWords[0] === 'by') {
      const [field, dir] = rest.slice(2).trim().split(/\s+/);
      const sign = dir === 'asc' ? 1 : -1; // Kusto sorts descending by default
      rows.sort((a, b) => sign * (Date.parse(String(a[field!])) - Date.parse(String(b[field!])) || String(a[field!]).localeCompare(String(b[field!]))));
    } else if (op === 'take' || op === 'limit') {
      rows = rows.slice(0, Number(rest));
    } else if (op === 'join') {
      const m = /^kind=inner\s*\(([\s\S]*)\)\s*on\s+(\w+)$/.exec(rest);
      if (!m) throw new Error('only `join kind=inner (subquery) on Key` is supported');
      const right = runKql(m[1]!, tables);
      const key = m[2]!;
      const joined: Row[] = [];
      for (const l of rows) {
        for (const r of right) {
          if (l[key] !== r[key]) continue;
          const row: Row = { ...l };
          for (const [k, v] of Object.entries(r)) row[k in l && k !== key ? `${k}1` : k] = v;
          joined.push(row);
        }
      }
      rows = joined;
    } else if (op === 'summarize') {
      const m = /^arg_max\((\w+),\s*\*\)\s+by\s+(\w+)$/.exec(rest);
      if (!m) throw new Error('only `summarize arg_max(Col, *) by Key` is supported');
      const best = new Map<unknown, Row>();
      for (const row of rows) {
        const current = best.get(row[m[2]!]);
        if (!current || Date.parse(String(row[m[1]!])) > Date.parse(String(current[m[1]!]))) best.set(row[m[2]!], row);
      }
      rows = [...best.values()];
    } else {
      throw new Error(`unsupported operator ${op}`);
    }
  }
  return rows;
}
