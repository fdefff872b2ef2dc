// The embedded default connector: answers every query of the interface from a dataset folder
// (`events.ndjson`, `assets.json`) and records actions to `actions.ndjson` instead of calling a vendor.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { getString } from '../../detection/fields.js';
import { FileAssetInventory } from '../assets/file.js';
import type {
  ActionKind,
  ActionRequest,
  ActionStatus,
  Asset,
  AssetInventory,
  Connector,
  Coverage,
  EcsEvent,
  HostDetails,
  ProcessRef,
  QueryResult,
  TimeWindow,
} from '../types.js';
import { ActionLog, type RecordedAction } from './action-log.js';
import { hostKey, loadDataset, type IndexedEvent, type ReplayDataset } from './dataset.js';
import { REPLAY_ACTIONS } from './declarations.js';
import { ReplayError } from './errors.js';
import { actionRequestIssues } from './request.js';

export interface ReplayConnectorOptions {
  /** Dataset folder holding `events.ndjson` and optionally `assets.json`. */
  datasetDir?: string;
  /** A dataset already built in memory (see `buildDataset`); wins over `datasetDir`. */
  dataset?: ReplayDataset;
  /** Where `actions.ndjson` goes. Default `.state/replay/` under the working directory. */
  stateDir?: string;
  /** Host inventory for host details. Default: the dataset's `assets.json`. */
  assets?: AssetInventory;
  /** How far a pid's start time may be from the one asked for and still be that process. Default 1 000 ms. */
  pidStartToleranceMs?: number;
  /** Coverage looks this far either side of the window for telemetry of the category. Default 1 h. */
  coverageSlackMs?: number;
  /** Clock for the action log. */
  now?: () => Date;
}

type Category = 'process' | 'file' | 'network';

const quote = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export class ReplayConnector implements Connector {
  readonly vendor = 'replay';
  readonly actions = REPLAY_ACTIONS;
  readonly assets: AssetInventory;
  private readonly log: ActionLog;
  private readonly tolerance: number;
  private readonly slack: number;
  private readonly now: () => Date;

  constructor(
    readonly dataset: ReplayDataset,
    options: ReplayConnectorOptions = {},
  ) {
    this.log = new ActionLog(options.stateDir ?? join(process.cwd(), '.state', 'replay'));
    this.assets = options.assets ?? FileAssetInventory.fromAssets(dataset.assets, 'replay assets.json');
    this.tolerance = options.pidStartToleranceMs ?? 1_000;
    this.slack = options.coverageSlackMs ?? 3_600_000;
    this.now = options.now ?? (() => new Date());
  }

  /** Loads the dataset folder (once) and returns a ready connector. */
  static async open(options: ReplayConnectorOptions): Promise<ReplayConnector> {
    if (options.dataset) return new ReplayConnector(options.dataset, options);
    if (!options.datasetDir) {
      throw new ReplayError('HW_ERR_REPLAY_DATASET_UNREADABLE', 'open', 'no dataset folder given; set the replay datasetDir');
    }
    return new ReplayConnector(await loadDataset(options.datasetDir), options);
  }

  /** Every action recorded so far, in the order first requested (for the demo). */
  recordedActions(): RecordedAction[] {
    return this.log.all();
  }

  // ---- queries -------------------------------------------------------------------------------------

  async getProcessEvent(ref: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    const w = this.range('getProcessEvent', window);
    requireProcess('getProcessEvent', ref);
    const { events, query } = this.processEventsOf(ref, w);
    // The start event is the original one; other process events of it (end, etc.) follow.
    const starts = events.filter(isStart);
    return this.result((starts.length > 0 ? starts : events).map((e) => e.doc), ref.hostId, 'process', query, window, w);
  }

  async getSiblingProcesses(parent: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    const w = this.range('getSiblingProcesses', window);
    requireProcess('getSiblingProcesses', parent);
    const { events, query } = this.childrenOf(parent, w);
    return this.result(events.map((e) => e.doc), parent.hostId, 'process', query, window, w);
  }

  async getChildProcesses(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    const w = this.range('getChildProcesses', window);
    requireProcess('getChildProcesses', proc);
    const { events, query } = this.childrenOf(proc, w);
    return this.result(events.map((e) => e.doc), proc.hostId, 'process', query, window, w);
  }

  async getAncestry(proc: ProcessRef, levels: number, window: TimeWindow): Promise<QueryResult> {
    const w = this.range('getAncestry', window);
    requireProcess('getAncestry', proc);
    const host = proc.hostId;
    let current = this.findProcess(proc, w);
    const chain: IndexedEvent[] = [];
    const asked: string[] = [];
    let note: string | undefined;
    while (current && chain.length < levels) {
      const parentEntity = current.parentEntityId;
      const parentPid = current.parentPid;
      if (parentEntity === undefined && parentPid === undefined) break; // the root of the tree
      asked.push(parentEntity !== undefined ? `process.entity_id:${quote(parentEntity)}` : `process.pid:${parentPid}`);
      const parent = this.findParent(host, current);
      if (!parent || chain.includes(parent)) {
        note = `ancestry stops after ${chain.length} of ${levels} levels: no process event for ${parentEntity !== undefined ? `entity ${parentEntity}` : `pid ${parentPid}`} on host ${host}`;
        break;
      }
      chain.push(parent);
      current = parent;
    }
    const query = `host.id:${quote(host)} and (${asked.join(' or ') || this.refClause(proc)}) and event.category:"process"`;
    const result = this.result(chain.map((e) => e.doc), host, 'process', query, window, w);
    if (note && result.coverage === 'full') return { ...result, coverage: 'partial', note };
    return result;
  }

  async getFileEvents(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    return this.activityOf('getFileEvents', proc, 'file', window);
  }

  async getNetworkEvents(proc: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    return this.activityOf('getNetworkEvents', proc, 'network', window);
  }

  async getAlertsForUser(userId: string, window: TimeWindow): Promise<QueryResult> {
    return this.alerts('getAlertsForUser', this.dataset.alertsByUser.get(userId), `event.kind:"signal" and user.id:${quote(userId)}`, window);
  }

  async getAlertsForHost(hostId: string, window: TimeWindow): Promise<QueryResult> {
    return this.alerts('getAlertsForHost', this.dataset.alertsByHost.get(hostId), `event.kind:"signal" and host.id:${quote(hostId)}`, window);
  }

  async getAlertsForRule(ruleId: string, window: TimeWindow): Promise<QueryResult> {
    return this.alerts('getAlertsForRule', this.dataset.alertsByRule.get(ruleId), `event.kind:"signal" and kibana.alert.rule.rule_id:${quote(ruleId)}`, window);
  }

  async getHostDetails(hostId: string): Promise<HostDetails> {
    const asset: Asset | null = await this.assets.getAsset(hostId);
    const events = this.dataset.byHost.get(hostId) ?? this.dataset.alertsByHost.get(hostId) ?? [];
    const latest = events[events.length - 1]?.doc;
    const os = latest ? (getString(latest, 'host.os.name') ?? getString(latest, 'host.os.family') ?? getString(latest, 'host.os.type')) : undefined;
    const hostName = asset?.['host.name'] ?? (latest ? getString(latest, 'host.name') : undefined);
    return {
      hostId,
      // Replay acts on the host id itself; a host it has never seen has no agent to act on.
      agentId: latest ? (getString(latest, 'agent.id') ?? hostId) : asset ? hostId : null,
      ...(hostName !== undefined ? { hostName } : {}),
      ...(os !== undefined ? { os } : {}),
      online: null, // a recording cannot say whether the host is up now
      isolated: this.isolationState(hostId),
    };
  }

  // ---- actions -------------------------------------------------------------------------------------

  async runAction(request: ActionRequest): Promise<ActionStatus> {
    const issues = actionRequestIssues(request);
    if (issues) {
      throw new ReplayError('HW_ERR_REPLAY_ACTION_INVALID', `runAction ${String(request?.kind)}`, `${issues}; fix the request`);
    }
    const existing = this.log.byIdempotencyKey(request.idempotencyKey);
    if (existing) return toStatus(existing);
    const { idempotencyKey, kind, ...rest } = request;
    const digest = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 16);
    const record: RecordedAction = {
      actionId: `replay-${kind}-${digest}`,
      idempotencyKey,
      kind,
      state: 'pending',
      at: this.now().toISOString(),
      request: rest,
      detail: `recorded, not executed: ${describe(request)}`,
    };
    this.log.append(record);
    return toStatus(record);
  }

  async getActionStatus(actionId: string, kind: ActionKind): Promise<ActionStatus> {
    const record = this.log.get(actionId);
    if (!record) {
      throw new ReplayError('HW_ERR_REPLAY_ACTION_NOT_FOUND', 'getActionStatus', `no action ${actionId} in ${this.log.path}; check the action id or the replay state folder`);
    }
    if (record.kind !== kind) {
      throw new ReplayError('HW_ERR_REPLAY_ACTION_INVALID', 'getActionStatus', `action ${actionId} is a ${record.kind}, not a ${kind}; poll it with its own kind`);
    }
    if (record.state !== 'pending') return toStatus(record);
    // One poll completes a recorded action, the way a vendor's pending action completes.
    const done: RecordedAction = { ...record, state: 'done', at: this.now().toISOString() };
    this.log.append(done);
    return toStatus(done);
  }

  async findAction(idempotencyKey: string): Promise<ActionStatus | null> {
    const record = this.log.byIdempotencyKey(idempotencyKey);
    return record ? toStatus(record) : null;
  }

  // ---- internals -----------------------------------------------------------------------------------

  private range(operation: string, window: TimeWindow): { from: number; to: number } {
    const from = Date.parse(window?.from);
    const to = Date.parse(window?.to);
    if (Number.isNaN(from) || Number.isNaN(to) || from > to) {
      throw new ReplayError('HW_ERR_REPLAY_QUERY_INVALID', operation, `window ${JSON.stringify(window)} is not an ISO from <= to; pass a valid time window`);
    }
    return { from, to };
  }

  private coverage(hostId: string, category: Category, w: { from: number; to: number }): Coverage {
    const times = this.dataset.categoryTimes.get(hostKey(hostId, category));
    if (!times) return 'none';
    return anyBetween(times, w.from - this.slack, w.to + this.slack) ? 'full' : 'none';
  }

  private result(docs: EcsEvent[], hostId: string, category: Category, query: string, window: TimeWindow, w: { from: number; to: number }): QueryResult {
    const coverage = this.coverage(hostId, category, w);
    if (coverage === 'none') {
      return {
        events: docs,
        coverage,
        query,
        window,
        note: `the replay dataset holds no ${category} events for host ${hostId} within an hour of this window; the source cannot answer, which is not the same as nothing happening`,
      };
    }
    return { events: docs, coverage, query, window };
  }

  private refClause(ref: ProcessRef): string {
    if (ref.entityId !== undefined) return `process.entity_id:${quote(ref.entityId)}`;
    return `process.pid:${ref.pid}${ref.startTime ? ` and process.start:${quote(ref.startTime)}` : ''}`;
  }

  /** Process events of one process in the window: by entity id, else host + pid (+ start time when given). */
  private processEventsOf(ref: ProcessRef, w: { from: number; to: number }): { events: IndexedEvent[]; query: string } {
    const query = `host.id:${quote(ref.hostId)} and ${this.refClause(ref)} and event.category:"process"`;
    const bucket = ref.entityId !== undefined ? this.dataset.byEntity.get(ref.entityId) : this.dataset.byHostPid.get(hostKey(ref.hostId, ref.pid!));
    const startMs = ref.startTime !== undefined ? Date.parse(ref.startTime) : Number.NaN;
    const events = (bucket ?? []).filter(
      (e) =>
        e.hostId === ref.hostId &&
        e.categories.includes('process') &&
        inRange(e.ts, w) &&
        (ref.entityId !== undefined || Number.isNaN(startMs) || this.sameStart(startOf(e), startMs)),
    );
    return { events, query };
  }

  private sameStart(actual: number | undefined, expected: number): boolean {
    return actual !== undefined && Math.abs(actual - expected) <= this.tolerance;
  }

  /** Process starts whose parent is `ref`: by parent entity id, else host + parent pid inside the window and after the parent started. */
  private childrenOf(ref: ProcessRef, w: { from: number; to: number }): { events: IndexedEvent[]; query: string } {
    if (ref.entityId !== undefined) {
      const query = `host.id:${quote(ref.hostId)} and process.parent.entity_id:${quote(ref.entityId)} and event.category:"process"`;
      const events = (this.dataset.byParentEntity.get(ref.entityId) ?? []).filter(
        (e) => e.hostId === ref.hostId && e.categories.includes('process') && isStart(e) && inRange(e.ts, w),
      );
      return { events, query };
    }
    const query = `host.id:${quote(ref.hostId)} and process.parent.pid:${ref.pid} and event.category:"process"`;
    const parentStart = ref.startTime !== undefined ? Date.parse(ref.startTime) : Number.NaN;
    const events = (this.dataset.byHostParentPid.get(hostKey(ref.hostId, ref.pid!)) ?? []).filter((e) => {
      if (!e.categories.includes('process') || !isStart(e) || !inRange(e.ts, w)) return false;
      if (Number.isNaN(parentStart)) return true;
      // A reused pid: a child that started before this parent, or that names another parent start, is not its child.
      if (e.ts < parentStart - this.tolerance) return false;
      return e.parentStart === undefined || this.sameStart(e.parentStart, parentStart);
    });
    return { events, query };
  }

  /** The start event of the process a ref names (entity ids have no window; a pid is read inside it). */
  private findProcess(ref: ProcessRef, w: { from: number; to: number }): IndexedEvent | undefined {
    if (ref.entityId !== undefined) {
      const events = (this.dataset.byEntity.get(ref.entityId) ?? []).filter((e) => e.hostId === ref.hostId && e.categories.includes('process'));
      return events.find(isStart) ?? events[0];
    }
    const events = this.processEventsOf(ref, w).events;
    return events.find(isStart) ?? events[0];
  }

  /** The parent's start event: by the parent entity id, else the last start of the parent pid before the child started. */
  private findParent(hostId: string, child: IndexedEvent): IndexedEvent | undefined {
    if (child.parentEntityId !== undefined) {
      const events = (this.dataset.byEntity.get(child.parentEntityId) ?? []).filter((e) => e.hostId === hostId && e.categories.includes('process'));
      const found = events.find(isStart) ?? events[0];
      if (found || child.parentPid === undefined) return found;
    }
    const childStart = startOf(child) ?? child.ts;
    const candidates = (this.dataset.byHostPid.get(hostKey(hostId, child.parentPid!)) ?? []).filter(
      (e) => e.categories.includes('process') && isStart(e) && (startOf(e) ?? e.ts) <= childStart + this.tolerance,
    );
    // The process holding a pid at a moment is the one that most recently started with it.
    const parent = candidates[candidates.length - 1];
    if (parent && child.parentStart !== undefined && !this.sameStart(startOf(parent), child.parentStart)) return undefined;
    return parent;
  }

  private activityOf(operation: string, proc: ProcessRef, category: 'file' | 'network', window: TimeWindow): QueryResult {
    const w = this.range(operation, window);
    requireProcess(operation, proc);
    const seen = new Set<IndexedEvent>();
    const take = (events: IndexedEvent[] | undefined, from: number): void => {
      for (const e of events ?? []) {
        if (e.hostId === proc.hostId && e.categories.includes(category) && inRange(e.ts, w) && e.ts >= from) seen.add(e);
      }
    };
    let query: string;
    const children = this.childrenOf(proc, w).events;
    if (proc.entityId !== undefined) {
      const clause = (field: string) => `(host.id:${quote(proc.hostId)} and ${field}:${quote(proc.entityId!)} and event.category:${quote(category)})`;
      query = `${clause('process.entity_id')} or ${clause('process.parent.entity_id')}`;
      take(this.dataset.byEntity.get(proc.entityId), -Infinity);
      take(this.dataset.byParentEntity.get(proc.entityId), -Infinity);
      for (const child of children) if (child.entityId !== undefined) take(this.dataset.byEntity.get(child.entityId), -Infinity);
    } else {
      const start = proc.startTime !== undefined ? Date.parse(proc.startTime) - this.tolerance : -Infinity;
      const clause = (field: string) => `(host.id:${quote(proc.hostId)} and ${field}:${proc.pid} and event.category:${quote(category)})`;
      query = `${clause('process.pid')} or ${clause('process.parent.pid')}`;
      take(this.dataset.byHostPid.get(hostKey(proc.hostId, proc.pid!)), Number.isNaN(start) ? -Infinity : start);
      // A child's activity counts from the child's own start, so a later holder of its pid is not read.
      for (const child of children) if (child.pid !== undefined) take(this.dataset.byHostPid.get(hostKey(proc.hostId, child.pid)), child.ts);
    }
    const events = [...seen].sort((a, b) => a.ts - b.ts);
    return this.result(events.map((e) => e.doc), proc.hostId, category, query, window, w);
  }

  private alerts(operation: string, bucket: IndexedEvent[] | undefined, query: string, window: TimeWindow): QueryResult {
    const w = this.range(operation, window);
    const events = (bucket ?? []).filter((e) => inRange(e.ts, w)).map((e) => e.doc);
    if (this.dataset.alerts.length === 0) {
      return { events, coverage: 'none', query, window, note: 'the replay dataset holds no alerts (no event.kind "signal" documents); alert history cannot be checked' };
    }
    return { events, coverage: 'full', query, window };
  }

  /** The host's isolation as the recorded actions leave it; null when none was recorded. */
  private isolationState(hostId: string): boolean | null {
    let state: boolean | null = null;
    let at = '';
    for (const record of this.log.all()) {
      if (record.state !== 'done' || record.request.hostId !== hostId) continue;
      if (record.kind !== 'isolate_host' && record.kind !== 'release_host') continue;
      if (record.at >= at) {
        at = record.at;
        state = record.kind === 'isolate_host';
      }
    }
    return state;
  }
}

function requireProcess(operation: string, ref: ProcessRef): void {
  if (!ref || typeof ref.hostId !== 'string' || ref.hostId === '') {
    throw new ReplayError('HW_ERR_REPLAY_QUERY_INVALID', operation, 'field "hostId" is missing; pass the alert\'s host.id');
  }
  if (ref.entityId === undefined && ref.pid === undefined) {
    throw new ReplayError('HW_ERR_REPLAY_QUERY_INVALID', operation, 'needs field "entityId" or "pid"; pass process.entity_id, or the pid with its start time');
  }
}

const isStart = (e: IndexedEvent): boolean => e.isStart;

/** When the process started: `process.start`, else the time of its start event. */
const startOf = (e: IndexedEvent): number | undefined => e.processStart ?? (isStart(e) ? e.ts : undefined);

const inRange = (ts: number, w: { from: number; to: number }): boolean => ts >= w.from && ts <= w.to;

/** Whether a sorted list holds a value in [lo, hi]. */
function anyBetween(sorted: number[], lo: number, hi: number): boolean {
  let left = 0;
  let right = sorted.length;
  while (left < right) {
    const mid = (left + right) >> 1;
    if (sorted[mid]! < lo) left = mid + 1;
    else right = mid;
  }
  return left < sorted.length && sorted[left]! <= hi;
}

function toStatus(record: RecordedAction): ActionStatus {
  return { actionId: record.actionId, kind: record.kind, state: record.state, vendor: 'replay', detail: record.detail };
}

function describe(request: ActionRequest): string {
  switch (request.kind) {
    case 'isolate_host':
      return `isolate host ${request.hostId}`;
    case 'release_host':
      return `release host ${request.hostId}`;
    case 'kill_process':
      return `kill process ${request.process?.entityId ?? `pid ${request.process?.pid}`} on host ${request.process?.hostId}`;
    case 'disable_account':
      return `disable account ${request.userId}`;
    case 'enable_account':
      return `enable account ${request.userId}`;
    case 'set_alert_status':
      return `set ${request.alertIds?.length} alert(s) to ${request.alertStatus}`;
  }
}
