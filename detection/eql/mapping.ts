// Elasticsearch index mappings, reduced to what the EQL search needs: the type of every dotted
// field, the field aliases, `null_value` substitutes, custom date formats and runtime fields.
// Accepts the `properties` object itself, `{mappings: {...}}` (index creation body) and the
// `GET <index>/_mapping` response (`{<index>: {mappings: {...}}}`).
import { z } from 'zod';

export interface RuntimeField {
  type: string;
  /** A scripted runtime field: we cannot run Painless, so a query touching it fails on this index. */
  scripted: boolean;
}

export interface MappingInfo {
  /** Dotted field path -> ES type (`keyword`, `long`, `date`, `ip`, `version`, ...). Sub-fields included (`file_name.keyword`). */
  types: Map<string, string>;
  /** Alias path -> target path. */
  aliases: Map<string, string>;
  /** Field -> the value indexed in place of an explicit JSON null. */
  nullValues: Map<string, unknown>;
  /** Date field -> its `format` (Java/ES date format, `||`-separated). */
  formats: Map<string, string>;
  runtime: Map<string, RuntimeField>;
}

export class MappingError extends Error {
  readonly code = 'HW_ERR_EQL_MAPPING';
  constructor(message: string) {
    super(message);
    this.name = 'MappingError';
  }
}

// ES's QA mappings use this placeholder; the harness replaces it at random by `keyword` or
// `wildcard`, which behave the same for EQL.
const RANDOM_KEYWORD = '[runtime_random_keyword_type]';

const fieldSchema: z.ZodType<FieldDef> = z.lazy(() =>
  z
    .object({
      type: z.string().optional(),
      path: z.string().optional(),
      format: z.string().optional(),
      null_value: z.unknown().optional(),
      properties: z.record(z.string(), fieldSchema).optional(),
      fields: z.record(z.string(), fieldSchema).optional(),
    })
    .loose(),
);

interface FieldDef {
  type?: string | undefined;
  path?: string | undefined;
  format?: string | undefined;
  null_value?: unknown;
  properties?: Record<string, FieldDef> | undefined;
  fields?: Record<string, FieldDef> | undefined;
}

const bodySchema = z
  .object({
    properties: z.record(z.string(), fieldSchema).optional(),
    runtime: z
      .record(z.string(), z.object({ type: z.string(), script: z.unknown().optional() }).loose())
      .optional(),
  })
  .loose();

export function emptyMapping(): MappingInfo {
  return { types: new Map(), aliases: new Map(), nullValues: new Map(), formats: new Map(), runtime: new Map() };
}

function normType(t: string | undefined): string | undefined {
  if (t === undefined) return undefined;
  return t === RANDOM_KEYWORD ? 'keyword' : t;
}

function walk(props: Record<string, FieldDef>, prefix: string, out: MappingInfo): void {
  for (const [rawName, def] of Object.entries(props)) {
    const name = rawName === RANDOM_KEYWORD ? 'keyword' : rawName;
    const path = prefix ? `${prefix}.${name}` : name;
    const type = normType(def.type);
    if (type === 'alias') {
      if (!def.path) throw new MappingError(`mapping field "${path}" is an alias without "path"; add the target field's path`);
      out.aliases.set(path, def.path);
      continue;
    }
    if (type !== undefined && type !== 'object' && type !== 'nested') out.types.set(path, type);
    if (def.format !== undefined) out.formats.set(path, def.format);
    if (def.null_value !== undefined) out.nullValues.set(path, def.null_value);
    if (def.properties) walk(def.properties, path, out);
    if (def.fields) walk(def.fields, path, out);
  }
}

/** Unwraps the accepted envelopes down to the mapping body (`{properties, runtime}`). */
function unwrap(json: unknown): unknown {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return json;
  const obj = json as Record<string, unknown>;
  if ('properties' in obj || 'runtime' in obj) return obj;
  if ('mappings' in obj) return unwrap(obj.mappings);
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const inner = obj[keys[0] as string];
    if (inner && typeof inner === 'object' && 'mappings' in (inner as object)) return unwrap((inner as Record<string, unknown>).mappings);
  }
  return obj;
}

/** Reads one Elasticsearch mapping (already JSON-parsed). `where` names the source in errors. */
export function parseMapping(json: unknown, where = 'mapping'): MappingInfo {
  const body = bodySchema.safeParse(unwrap(json));
  if (!body.success) {
    const issue = body.error.issues[0];
    const at = issue?.path.join('.') || '(root)';
    throw new MappingError(`${where}: invalid mapping at "${at}": ${issue?.message ?? 'bad shape'}; expected {"properties": {...}}`);
  }
  const out = emptyMapping();
  if (body.data.properties) walk(body.data.properties, '', out);
  for (const [name, def] of Object.entries(body.data.runtime ?? {})) {
    out.runtime.set(name, { type: def.type, scripted: def.script !== undefined });
    out.types.set(name, def.type);
  }
  return out;
}

/** Follows aliases (ES allows no alias chains, but be lenient). */
export function resolveAlias(m: MappingInfo, field: string): string {
  let f = field;
  for (let i = 0; i < 4; i++) {
    const next = m.aliases.get(f);
    if (next === undefined) return f;
    f = next;
  }
  return f;
}

/** Merges several mappings into one view, like field capabilities over an index pattern. */
export function mergeMappings(ms: readonly MappingInfo[]): MappingInfo {
  const out = emptyMapping();
  for (const m of ms) {
    for (const [k, v] of m.types) if (!out.types.has(k)) out.types.set(k, v);
    for (const [k, v] of m.aliases) if (!out.aliases.has(k)) out.aliases.set(k, v);
    for (const [k, v] of m.nullValues) if (!out.nullValues.has(k)) out.nullValues.set(k, v);
    for (const [k, v] of m.formats) if (!out.formats.has(k)) out.formats.set(k, v);
    for (const [k, v] of m.runtime) if (!out.runtime.has(k)) out.runtime.set(k, v);
  }
  return out;
}

export function isDateType(t: string | undefined): boolean {
  return t === 'date' || t === 'date_nanos';
}

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

/**
 * ES dynamic mapping for a JSON value first seen in a field that the mapping lacks: integral
 * numbers are `long`, others `float`, booleans `boolean`, date-looking strings `date`
 * (date_detection), other strings `keyword` (really `text` + `.keyword`, equivalent for EQL).
 */
export function dynamicType(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const v of value) {
      const t = dynamicType(v);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (typeof value === 'number') return Number.isInteger(value) ? 'long' : 'float';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return ISO_LIKE.test(value) ? 'date' : 'keyword';
  return undefined;
}
