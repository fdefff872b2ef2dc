// The one interface every EDR connector implements. The playbook speaks only these types and ECS;
// a vendor's quirks stay inside its connector folder.

/** An ECS document, nested or with dotted keys (read fields with `getField` from detection/fields.ts). */
export type EcsEvent = Record<string, unknown>;

/** A closed time window, ISO-8601 strings. */
export interface TimeWindow {
  from: string;
  to: string;
}

/**
 * Every query answers with events and whether the source could answer at all.
 * `coverage: 'none'` means "no telemetry of this kind" (the playbook records it as unresolved);
 * `coverage: 'full'` with no events means "the source looked, and nothing happened".
 * `partial` is a source that answered with some shards or pages missing.
 */
export type Coverage = 'full' | 'partial' | 'none';

export interface QueryResult {
  events: EcsEvent[];
  coverage: Coverage;
  /** What was asked, for the finding's evidence citation (vendor query text, index, filters). */
  query: string;
  window: TimeWindow;
  /** Why coverage is not full, in words a responder can act on. */
  note?: string;
}

/** How to find a process. Entity ids are preferred; hosts without them use host + pid + start time. */
export interface ProcessRef {
  hostId: string;
  entityId?: string;
  pid?: number;
  /** Process start time (ISO), to scope a pid that the OS may have reused. */
  startTime?: string;
}

export interface HostDetails {
  hostId: string;
  /** The id the vendor needs for actions (Elastic agent id, CrowdStrike device_id, MDE machine id, S1 agent id). */
  agentId: string | null;
  hostName?: string;
  os?: string;
  online: boolean | null;
  isolated: boolean | null;
}

export type ActionKind =
  | 'isolate_host'
  | 'release_host'
  | 'kill_process'
  | 'disable_account'
  | 'enable_account'
  | 'set_alert_status';

/** A connector action, declared as data apart from the code that calls the vendor. */
export interface ActionDeclaration {
  kind: ActionKind;
  description: string;
  reversible: boolean;
  /** The action that undoes this one, when there is one. */
  inverse: ActionKind | null;
}

export interface ActionRequest {
  kind: ActionKind;
  /** Caller-supplied idempotency key: the same key never reaches the vendor twice. */
  idempotencyKey: string;
  hostId?: string;
  process?: ProcessRef;
  userId?: string;
  alertIds?: string[];
  alertStatus?: 'open' | 'acknowledged' | 'closed';
  comment?: string;
}

export type ActionState = 'pending' | 'done' | 'failed' | 'unsupported';

export interface ActionStatus {
  /** Our handle: vendor action id (or a synthetic one), stable across polls and restarts. */
  actionId: string;
  kind: ActionKind;
  state: ActionState;
  vendor: string;
  /** The vendor's own words on the outcome, secrets redacted. */
  detail?: string;
}

export interface Connector {
  /** `elastic`, `crowdstrike`, `defender`, `sentinelone`, `replay`. */
  readonly vendor: string;
  readonly actions: readonly ActionDeclaration[];

  /** The original event of an alert: by `process.entity_id`, or by host + pid + start time. */
  getProcessEvent(ref: ProcessRef, window: TimeWindow): Promise<QueryResult>;
  /** Processes with the same parent. Without a parent entity id: host + parent pid, in the window only. */
  getSiblingProcesses(parent: ProcessRef, window: TimeWindow): Promise<QueryResult>;
  getChildProcesses(proc: ProcessRef, window: TimeWindow): Promise<QueryResult>;
  /** Process start events of the ancestors, nearest first, up to `levels`. */
  getAncestry(proc: ProcessRef, levels: number, window: TimeWindow): Promise<QueryResult>;
  /** File events of the process and its children. */
  getFileEvents(proc: ProcessRef, window: TimeWindow): Promise<QueryResult>;
  /** Network events of the process and its children. */
  getNetworkEvents(proc: ProcessRef, window: TimeWindow): Promise<QueryResult>;
  /** Alerts (ECS documents with `event.kind: "signal"`) for a user or a host. */
  getAlertsForUser(userId: string, window: TimeWindow): Promise<QueryResult>;
  getAlertsForHost(hostId: string, window: TimeWindow): Promise<QueryResult>;
  /** Prior alerts of one rule (to check that a workflow recurs). */
  getAlertsForRule(ruleId: string, window: TimeWindow): Promise<QueryResult>;
  getHostDetails(hostId: string): Promise<HostDetails>;

  /** Start an action; an unsupported action answers state 'unsupported', never a fake success. */
  runAction(request: ActionRequest): Promise<ActionStatus>;
  /** Poll an action started earlier (also after a restart, from the persisted actionId). */
  getActionStatus(actionId: string, kind: ActionKind): Promise<ActionStatus>;
  /**
   * Find an action already started under this idempotency key, so a retried step reconciles first.
   * `request` (optional, the request the key was or would be sent with) lets a connector search the vendor's
   * own action list for the key (carried in the action's comment) when its local ledger does not know it,
   * e.g. after the worker that sent it died. Connectors that cannot search the vendor ignore it.
   */
  findAction(idempotencyKey: string, request?: ActionRequest): Promise<ActionStatus | null>;
  close?(): Promise<void>;
}

/** Where a host's role comes from: the asset inventory, never the host name. */
export type HostRole =
  | 'workstation'
  | 'admin_workstation'
  | 'jump_host'
  | 'server'
  | 'backup_node'
  | 'domain_controller'
  | 'management_platform';

export type Criticality = 'low' | 'medium' | 'high' | 'critical';

export interface Asset {
  'host.id': string;
  'host.name': string;
  role: HostRole;
  criticality: Criticality;
  isolation_allowed: boolean;
  owner: string;
  tags: string[];
}

export interface AssetInventory {
  /** null when the inventory does not know the host (the playbook records that as unresolved). */
  getAsset(hostId: string): Promise<Asset | null>;
}
