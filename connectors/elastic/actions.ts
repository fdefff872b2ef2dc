// What the Elastic connector can do, as data, and how Kibana's ActionDetails maps to our states.
import type { ActionDeclaration, ActionState } from '../types.js';

export const ELASTIC_ACTIONS: readonly ActionDeclaration[] = [
  { kind: 'isolate_host', description: 'Isolate the host from the network (Kibana response action isolate)', reversible: true, inverse: 'release_host' },
  { kind: 'release_host', description: 'Release an isolated host (Kibana response action unisolate)', reversible: true, inverse: 'isolate_host' },
  { kind: 'kill_process', description: 'Kill the process by entity id or pid (Kibana response action kill_process)', reversible: false, inverse: null },
  { kind: 'set_alert_status', description: 'Set the detection alert workflow status', reversible: true, inverse: 'set_alert_status' },
];

export interface KibanaActionDetails {
  id: string;
  command?: string;
  status?: string;
  isCompleted?: boolean;
  /** The OpenAPI spelling; the server sends isCompleted, tolerate both. */
  isComplete?: boolean;
  wasSuccessful?: boolean;
  isExpired?: boolean;
  errors?: string[] | null;
  agentState?: Record<string, { errors?: string[] | null }>;
}

export function kibanaActionState(d: KibanaActionDetails): { state: ActionState; detail: string } {
  const completed = d.isCompleted ?? d.isComplete ?? false;
  if (d.isExpired) return { state: 'failed', detail: `${d.command ?? 'action'} expired before the endpoint ran it` };
  if (!completed) return { state: 'pending', detail: `${d.command ?? 'action'} ${d.status ?? 'pending'}` };
  if (d.wasSuccessful) return { state: 'done', detail: `${d.command ?? 'action'} successful` };
  const errors = [...(d.errors ?? []), ...Object.values(d.agentState ?? {}).flatMap((a) => a.errors ?? [])];
  return { state: 'failed', detail: `${d.command ?? 'action'} failed${errors.length ? `: ${[...new Set(errors)].join('; ')}` : ''}` };
}
