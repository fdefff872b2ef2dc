// How the playbook relates alert documents (and process events) to the alert it triages: the same alert
// seen again, the same execution seen by a second source, the same job run on another night.
import type { Alert } from '../../detection/alert.js';
import type { EcsEvent } from '../../connectors/types.js';
import { getField } from '../../detection/fields.js';
import { alertIdOf, ruleIdOf } from './related.js';
import { str, wildcardMatch } from './text.js';
import type { Workflow } from './workflows.js';

const alertStartCache = new WeakMap<object, number>();

/** When an alert's source event happened (epoch ms; 0 when unknown). */
export function startOfAlert(doc: EcsEvent): number {
  const hit = alertStartCache.get(doc);
  if (hit !== undefined) return hit;
  const t = Date.parse(str(doc, 'kibana.alert.original_time') ?? str(doc, 'signal.original_time') ?? str(doc, '@timestamp') ?? '');
  const out = Number.isFinite(t) ? t : 0;
  alertStartCache.set(doc, out);
  return out;
}

const JOB_FIELDS = ['process.executable', 'process.code_signature.subject_name', 'process.parent.command_line', 'user.id', 'host.id'];
const jobKeyCache = new WeakMap<object, string | null>();

/** The job identity of a document (binary, signer, parent command line, user, host), lower case; null when incomplete. */
function jobKey(doc: EcsEvent): string | null {
  const hit = jobKeyCache.get(doc);
  if (hit !== undefined) return hit;
  const parts: string[] = [];
  for (const field of JOB_FIELDS) {
    const value = str(doc, field);
    if (value === null) {
      jobKeyCache.set(doc, null);
      return null;
    }
    parts.push(value.toLowerCase());
  }
  const key = parts.join('\u0000');
  jobKeyCache.set(doc, key);
  return key;
}

/** Same binary, signer, parent command line, user and host as the source: another run of the same job. */
export function sameJobFields(doc: EcsEvent, source: EcsEvent): boolean {
  const key = jobKey(doc);
  return key !== null && key === jobKey(source);
}

/** Another export of the same job run whose command line a recognised workflow names. */
export function sameJob(doc: EcsEvent, source: EcsEvent, workflows: Workflow[]): boolean {
  if (workflows.length === 0 || !sameJobFields(doc, source)) return false;
  const commandLine = str(doc, 'process.command_line');
  return commandLine !== null && workflows.some((wf) => wildcardMatch(wf['process.command_line'], commandLine));
}

const ancestorCache = new WeakMap<object, string | null>();

/** The source event id an alert document names (`kibana.alert.ancestors[0].id`). */
function ancestorIdOf(doc: EcsEvent): string | null {
  const hit = ancestorCache.get(doc);
  if (hit !== undefined) return hit;
  const ancestors = getField(doc, 'kibana.alert.ancestors') ?? getField(doc, 'signal.ancestors');
  const first = Array.isArray(ancestors) ? (ancestors[0] as EcsEvent | undefined) : undefined;
  const id = first ? str(first, 'id') : null;
  ancestorCache.set(doc, id);
  return id;
}

/** The alert being triaged, as it may also appear among the connector's alerts. */
export function isSameAlert(doc: EcsEvent, alert: Alert, source: EcsEvent): boolean {
  const id = alertIdOf(doc);
  if (id && id === alert.id) return true;
  const ancestor = ancestorIdOf(doc);
  if (ancestor && alert.sourceEventId && ancestor === alert.sourceEventId) return true;
  const entity = str(doc, 'process.entity_id');
  if (entity && entity === str(source, 'process.entity_id') && ruleIdOf(doc) === alert.ruleId) return true;
  // The same execution alerted from a second source (Sysmon and 4688).
  const when = str(doc, 'kibana.alert.original_time') ?? str(doc, 'signal.original_time');
  return when !== null && when === str(source, '@timestamp') && str(doc, 'process.command_line') === str(source, 'process.command_line');
}
