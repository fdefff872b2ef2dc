// A detection alert as the rest of hivewatch sees it. Kibana sends alerts nested, flattened
// (`"kibana.alert.uuid": ...`) or as a mix, with legacy `signal.*` names; all become one shape here.
import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Expands dotted keys into nested objects, so one schema reads every shape. Arrays keep their elements. A value
 * with no dotted key at any depth (Kibana's nested alerts) is returned as it is: no copy on the intake path.
 */
export function expandDotted(value: unknown): unknown {
  return hasDottedKey(value) ? expandCopy(value) : value;
}

function hasDottedKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasDottedKey);
  const record = value as Record<string, unknown>;
  // for-in allocates nothing; JSON objects have no inherited enumerable keys.
  for (const key in record) if (key.includes('.') || hasDottedKey(record[key])) return true;
  return false;
}

function expandCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expandCopy);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  // Object.keys and no split for plain keys: this runs on every intake alert, most of whose keys have no dot.
  for (const key of Object.keys(source)) {
    let target = out;
    let last = key;
    if (key.includes('.')) {
      const parts = key.split('.');
      for (let i = 0; i < parts.length - 1; i++) {
        const part = parts[i]!;
        const next = target[part];
        if (next === null || typeof next !== 'object' || Array.isArray(next)) target[part] = {};
        target = target[part] as Record<string, unknown>;
      }
      last = parts[parts.length - 1]!;
    }
    const expanded = expandCopy(source[key]);
    const existing = target[last];
    target[last] =
      existing && typeof existing === 'object' && !Array.isArray(existing) && expanded && typeof expanded === 'object' && !Array.isArray(expanded)
        ? { ...(existing as object), ...(expanded as object) }
        : expanded;
  }
  return out;
}

const text = z.string().min(1);
const firstText = z.union([text, z.array(text).nonempty().transform((values) => values[0]!)]);
const pid = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);
// Any ISO 8601 date-time, with or without a zone: every string the stricter z.iso.datetime() accepts starts so,
// and one regex allocates far less per alert than a union of the two.
const timestamp = z.string().regex(/^\d{4}-\d{2}-\d{2}T/, { message: 'expected an ISO 8601 date-time such as 2026-11-20T10:00:00Z' });

const processSchema = z.object({
  entity_id: text.optional(),
  pid: pid.optional(),
  name: text.optional(),
  executable: text.optional(),
  command_line: text.optional(),
  args: z.union([z.array(z.string()), z.string().transform((one) => [one])]).optional(),
  start: timestamp.optional(),
  parent: z
    .object({
      entity_id: text.optional(),
      pid: pid.optional(),
      executable: text.optional(),
      command_line: text.optional(),
    })
    .optional(),
});

const ruleSchema = z.object({
  rule_id: text.optional(),
  version: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
  parameters: z.object({ query: z.string().optional(), rule_id: text.optional() }).optional(),
});

/** The fields hivewatch uses. Its output holds only them (unknown keys are not copied); `Alert.document` keeps every field. */
export const alertSchema = z
  .object({
    '@timestamp': timestamp.optional(),
    host: z.object({ id: firstText, name: firstText.optional() }),
    user: z.object({ id: firstText.optional(), name: firstText.optional() }).optional(),
    process: processSchema,
    kibana: z
      .object({
        alert: z
          .object({
            uuid: text.optional(),
            original_time: timestamp.optional(),
            rule: ruleSchema.optional(),
            ancestors: z.array(z.object({ id: text.optional(), index: text.optional() })).optional(),
          })
          .optional(),
      })
      .optional(),
    signal: z
      .object({
        original_time: timestamp.optional(),
        rule: ruleSchema.optional(),
        ancestors: z.array(z.object({ id: text.optional(), index: text.optional() })).optional(),
      })
      .optional(),
  })
  .refine((doc) => doc.process.entity_id !== undefined || doc.process.pid !== undefined, {
    message: 'an alert needs process.entity_id or process.pid to find its source event',
    path: ['process', 'entity_id'],
  })
  .refine((doc) => (doc.kibana?.alert?.original_time ?? doc.signal?.original_time ?? doc['@timestamp']) !== undefined, {
    message: 'an alert needs kibana.alert.original_time (or signal.original_time, or @timestamp)',
    path: ['kibana', 'alert', 'original_time'],
  });

export interface Alert {
  /** `kibana.alert.uuid`, or a hash of rule id, source event id and original time. */
  id: string;
  idSource: 'uuid' | 'hash';
  ruleId: string | null;
  ruleVersion: number | null;
  /** The query the SIEM ran (`kibana.alert.rule.parameters.query`), for drift reports. */
  ruleQuery: string | null;
  /** The source event's time. */
  originalTime: string;
  sourceEventId: string | null;
  sourceIndex: string | null;
  hostId: string;
  hostName: string | null;
  userId: string | null;
  userName: string | null;
  process: {
    entityId: string | null;
    pid: number | null;
    name: string | null;
    executable: string | null;
    commandLine: string | null;
    args: string[];
    start: string | null;
    parent: { entityId: string | null; pid: number | null; executable: string | null; commandLine: string | null };
  };
  /** The alert document, nested. */
  document: Record<string, unknown>;
}

export class AlertValidationError extends Error {
  readonly code = 'HW_ERR_ALERT_INVALID';
  constructor(readonly issues: { field: string; message: string }[]) {
    super(issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '));
  }
}

/** Validates one raw alert (any shape Kibana sends) and returns the normalised alert. */
export function parseAlert(raw: unknown): Alert {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new AlertValidationError([{ field: '(alert)', message: 'expected a JSON object' }]);
  }
  const document = expandDotted(raw) as Record<string, unknown>;
  const result = alertSchema.safeParse(document);
  if (!result.success) {
    throw new AlertValidationError(
      result.error.issues.map((issue) => ({ field: issue.path.join('.') || '(alert)', message: issue.message })),
    );
  }
  const doc = result.data;
  const rule = doc.kibana?.alert?.rule ?? doc.signal?.rule;
  const ancestor = (doc.kibana?.alert?.ancestors ?? doc.signal?.ancestors)?.[0];
  const originalTime = (doc.kibana?.alert?.original_time ?? doc.signal?.original_time ?? doc['@timestamp'])!;
  const ruleId = rule?.rule_id ?? rule?.parameters?.rule_id ?? null;
  const sourceEventId = ancestor?.id ?? null;
  const uuid = doc.kibana?.alert?.uuid;
  const proc = doc.process;
  return {
    id: uuid ?? fingerprint(ruleId, sourceEventId ?? proc.entity_id ?? `${doc.host.id}:${proc.pid}`, originalTime),
    idSource: uuid ? 'uuid' : 'hash',
    ruleId,
    ruleVersion: rule?.version ?? null,
    ruleQuery: rule?.parameters?.query ?? null,
    originalTime,
    sourceEventId,
    sourceIndex: ancestor?.index ?? null,
    hostId: doc.host.id,
    hostName: doc.host.name ?? null,
    userId: doc.user?.id ?? null,
    userName: doc.user?.name ?? null,
    process: {
      entityId: proc.entity_id ?? null,
      pid: proc.pid ?? null,
      name: proc.name ?? null,
      executable: proc.executable ?? null,
      commandLine: proc.command_line ?? null,
      args: proc.args ?? [],
      start: proc.start ?? null,
      parent: {
        entityId: proc.parent?.entity_id ?? null,
        pid: proc.parent?.pid ?? null,
        executable: proc.parent?.executable ?? null,
        commandLine: proc.parent?.command_line ?? null,
      },
    },
    document,
  };
}

/** The dedup key of an alert without `kibana.alert.uuid`. */
export function fingerprint(ruleId: string | null, sourceEventId: string, originalTime: string): string {
  return createHash('sha256').update(`${ruleId ?? ''}\u0000${sourceEventId}\u0000${originalTime}`).digest('hex');
}
