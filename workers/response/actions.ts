// Plan actions to connector actions, as data. Which connector action exists, and what undoes it, comes
// from the connector's own `actions` declarations; a plan action without a declared connector action is
// a manual step that a responder carries out and marks done (no vendor call is faked).
import type { ActionDeclaration, ActionKind, ActionRequest, Connector } from '../../connectors/types.js';
import type { PlanAction } from '../../playbooks/hive-dump/report.js';

/** The connector action each plan action would use, if the connector declares it. */
export const PLAN_ACTION_KINDS: Readonly<Partial<Record<PlanAction, ActionKind>>> = {
  isolate_host: 'isolate_host',
  disable_account: 'disable_account',
  terminate_process: 'kill_process',
};

/** Which ActionRequest field a kind's target goes in. */
const TARGET_FIELD: Readonly<Record<ActionKind, 'hostId' | 'userId' | 'process' | 'alertIds'>> = {
  isolate_host: 'hostId',
  release_host: 'hostId',
  disable_account: 'userId',
  enable_account: 'userId',
  kill_process: 'process',
  set_alert_status: 'alertIds',
};

export interface ResolvedAction {
  connectorAction: ActionKind | null;
  inverseConnectorAction: ActionKind | null;
  declaration: ActionDeclaration | null;
}

export function resolveAction(action: PlanAction, declarations: readonly ActionDeclaration[]): ResolvedAction {
  const kind = PLAN_ACTION_KINDS[action];
  const declaration = kind ? (declarations.find((candidate) => candidate.kind === kind) ?? null) : null;
  if (!declaration) return { connectorAction: null, inverseConnectorAction: null, declaration: null };
  const inverse = declaration.inverse && declarations.some((candidate) => candidate.kind === declaration.inverse) ? declaration.inverse : null;
  return { connectorAction: declaration.kind, inverseConnectorAction: inverse, declaration };
}

export function isDeclared(connector: Pick<Connector, 'actions'>, kind: ActionKind): boolean {
  return connector.actions.some((declaration) => declaration.kind === kind);
}

/** Builds the connector request of a step's action from its target and parameters. */
export function buildRequest(kind: ActionKind, target: string, params: Record<string, unknown>, idempotencyKey: string, comment: string): ActionRequest {
  const request: ActionRequest = { kind, idempotencyKey, comment };
  switch (TARGET_FIELD[kind]) {
    case 'hostId':
      request.hostId = target;
      break;
    case 'userId':
      request.userId = target;
      if (typeof params.hostId === 'string') request.hostId = params.hostId;
      break;
    case 'process': {
      const hostId = typeof params.hostId === 'string' ? params.hostId : '';
      request.hostId = hostId;
      request.process = {
        hostId,
        entityId: target,
        ...(typeof params.pid === 'number' ? { pid: params.pid } : {}),
        ...(typeof params.startTime === 'string' ? { startTime: params.startTime } : {}),
      };
      break;
    }
    case 'alertIds':
      request.alertIds = [target];
      break;
  }
  return request;
}
