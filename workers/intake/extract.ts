// Finds the alerts in a webhook body, whatever shape the SIEM sent (docs: elastic-rules-and-alerts.md §3.4):
// one alert document, {alerts: [...]}, a bare array, NDJSON, {context: {alerts}}, {alerts: {new: {data}}},
// Elasticsearch hits ({hits: {hits: [{_id, _source}]}}), the broken `"alerts": {{{context.alerts}}}` forms.
// A malformed item becomes a rejected entry; it never sinks the others.
import { bomLength, splitAlertsArray } from './split.js';

export type BodyItem = { index: number; raw: unknown } | { index: number; error: string };

export class BodyShapeError extends Error {
  readonly code = 'HW_ERR_BODY_SHAPE';
  constructor(message: string) {
    super(message);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** `{_id, _index, _source}` hits forwarded by pollers: the alert is `_source`, and `_id` is the alert uuid. */
function unwrapHit(item: unknown): unknown {
  if (!isObject(item) || !isObject(item._source)) return item;
  const source = { ...item._source };
  const hasUuid = source['kibana.alert.uuid'] !== undefined || (isObject(source.kibana) && isObject(source.kibana.alert) && source.kibana.alert.uuid !== undefined);
  if (!hasUuid && typeof item._id === 'string' && typeof item._index === 'string' && /alerts|signals/.test(item._index)) {
    source['kibana.alert.uuid'] = item._id;
  }
  return source;
}

/** `"alerts": "{{context.alerts}}"` renders comma-joined JSON objects inside a string. */
function listFromString(text: string): unknown[] | null {
  const parsed = tryJson(`[${text}]`);
  return parsed.ok && Array.isArray(parsed.value) ? parsed.value : null;
}

function listIn(container: Record<string, unknown>): unknown[] | null {
  const candidates: unknown[] = [container.alerts, isObject(container.context) ? container.context.alerts : undefined];
  for (const alerts of candidates) {
    if (Array.isArray(alerts)) return alerts;
    if (typeof alerts === 'string') {
      const list = listFromString(alerts);
      if (list) return list;
    }
    if (isObject(alerts)) {
      // Kibana's summary variables: alerts.new.data / alerts.all.data.
      for (const group of ['new', 'all', 'ongoing']) {
        const bucket = alerts[group];
        if (isObject(bucket) && Array.isArray(bucket.data)) return bucket.data;
      }
      // `"alerts": {{{context.alerts}}}` with exactly one alert renders a bare object.
      return [alerts];
    }
  }
  if (isObject(container.hits) && Array.isArray(container.hits.hits)) return container.hits.hits;
  return null;
}

function itemsOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) return listIn(value) ?? [value];
  throw new BodyShapeError('the body must be a JSON object (one alert or {"alerts": [...]}) or an array of alerts');
}

/**
 * Bodies from this size on are read in pieces, never decoded into one string: see split.ts (V8 keeps strings
 * of 128 KB or more in freshly mapped pages).
 */
export const SPLIT_MIN_BYTES = 64 * 1024;

/** The lines of a body, as `text.split(/\r?\n/)` of its decoded text would give them, each decoded alone. */
function bufferLines(body: Buffer): string[] {
  const lines: string[] = [];
  let start = bomLength(body);
  for (;;) {
    const newline = body.indexOf(0x0a, start);
    const end = newline < 0 ? body.length : newline;
    lines.push(body.toString('utf8', start, end > start && body[end - 1] === 0x0d ? end - 1 : end));
    if (newline < 0) return lines;
    start = newline + 1;
  }
}

function ndjson(lines: string[]): BodyItem[] {
  const items: BodyItem[] = [];
  let index = 0;
  lines.forEach((line, lineNo) => {
    if (line.trim() === '') return;
    const parsed = tryJson(line);
    if (!parsed.ok) {
      items.push({ index: index++, error: `line ${lineNo + 1}: not valid JSON` });
      return;
    }
    // A line may itself hold several alerts (e.g. a summary payload per line).
    try {
      for (const raw of itemsOf(parsed.value)) items.push({ index: index++, raw: unwrapHit(raw) });
    } catch {
      items.push({ index: index++, error: `line ${lineNo + 1}: expected a JSON object` });
    }
  });
  return items;
}

/** Splits a raw body into alert candidates. Throws BodyShapeError when nothing usable is found. */
export function extractAlerts(body: Buffer | string, contentType: string | undefined): BodyItem[] {
  const isNdjson = /ndjson|jsonlines|json-seq/i.test(contentType ?? '');
  if (typeof body !== 'string' && body.length >= SPLIT_MIN_BYTES) {
    const items = isNdjson ? ndjson(bufferLines(body)) : splitAlertsArray(body)?.map((raw, index) => ({ index, raw: unwrapHit(raw) }));
    // Nothing usable: the whole-body path below finds the other shapes and names what is wrong.
    if (items?.some((item) => !('error' in item))) return items;
  }
  const text = (typeof body === 'string' ? body : body.toString('utf8')).replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new BodyShapeError('the body is empty; send one alert, an array of alerts, {"alerts": [...]} or NDJSON');
  let items: BodyItem[];
  if (isNdjson) {
    items = ndjson(text.split(/\r?\n/));
  } else {
    const parsed = tryJson(text);
    if (parsed.ok) {
      items = itemsOf(parsed.value).map((raw, index) => ({ index, raw: unwrapHit(raw) }));
    } else {
      // Kibana's `{{{context.alerts}}}` without brackets renders `{...},{...}`; several JSON lines are NDJSON.
      const wrapped = listFromString(text);
      if (wrapped) items = wrapped.map((raw, index) => ({ index, raw: unwrapHit(raw) }));
      else if (text.trim().includes('\n')) items = ndjson(text.split(/\r?\n/));
      else throw new BodyShapeError('the body is not valid JSON; send application/json or application/x-ndjson');
    }
  }
  if (items.length === 0) throw new BodyShapeError('no alert found in the body; send one alert, an array, {"alerts": [...]} or NDJSON');
  if (items.every((item) => 'error' in item)) {
    throw new BodyShapeError(`no line of the NDJSON body is valid JSON (${(items[0] as { error: string }).error})`);
  }
  return items;
}
