// A replay dataset, read once and indexed so every connector query is a map lookup plus a short scan:
// triage asks ten questions per alert at hundreds of alerts a second.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { getField, getString } from '../../detection/fields.js';
import { parseAssets } from '../assets/schema.js';
import type { Asset, EcsEvent } from '../types.js';
import { ReplayError } from './errors.js';

/** One event with the fields the queries use, read once at load. */
export interface IndexedEvent {
  doc: EcsEvent;
  /** `@timestamp` in epoch ms. */
  ts: number;
  hostId: string | undefined;
  categories: string[];
  types: string[];
  /** A process start: `event.type` says start, or a process event with no type that is not an end. */
  isStart: boolean;
  isAlert: boolean;
  entityId: string | undefined;
  parentEntityId: string | undefined;
  pid: number | undefined;
  parentPid: number | undefined;
  /** `process.start` in epoch ms, when the event carries it. */
  processStart: number | undefined;
  /** `process.parent.start` in epoch ms, when the event carries it. */
  parentStart: number | undefined;
}

export interface ReplayDataset {
  events: IndexedEvent[];
  assets: Asset[];
  byEntity: Map<string, IndexedEvent[]>;
  byParentEntity: Map<string, IndexedEvent[]>;
  /** key `host\u0000pid` */
  byHostPid: Map<string, IndexedEvent[]>;
  /** key `host\u0000parentPid` */
  byHostParentPid: Map<string, IndexedEvent[]>;
  /** key `host\u0000category`: sorted timestamps, for coverage. */
  categoryTimes: Map<string, number[]>;
  byHost: Map<string, IndexedEvent[]>;
  alerts: IndexedEvent[];
  alertsByHost: Map<string, IndexedEvent[]>;
  alertsByUser: Map<string, IndexedEvent[]>;
  alertsByRule: Map<string, IndexedEvent[]>;
}

export const hostKey = (host: string, value: string | number): string => `${host}\u0000${value}`;

function toMs(value: unknown): number | undefined {
  if (Array.isArray(value)) value = value[0];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function toInt(value: unknown): number | undefined {
  if (Array.isArray(value)) value = value[0];
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function toList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

function push<K>(map: Map<K, IndexedEvent[]>, key: K | undefined, event: IndexedEvent): void {
  if (key === undefined) return;
  const list = map.get(key);
  if (list) list.push(event);
  else map.set(key, [event]);
}

/** Rule ids an alert answers to: the stable `rule_id` and the installed rule's uuid. */
function ruleIdsOf(doc: EcsEvent): string[] {
  const ids = new Set<string>();
  for (const path of ['kibana.alert.rule.rule_id', 'kibana.alert.rule.parameters.rule_id', 'signal.rule.rule_id', 'kibana.alert.rule.uuid', 'signal.rule.id', 'rule.id']) {
    const value = getString(doc, path);
    if (value) ids.add(value);
  }
  return [...ids];
}

export function indexEvent(doc: EcsEvent): IndexedEvent {
  const categories = toList(getField(doc, 'event.category'));
  const types = toList(getField(doc, 'event.type'));
  const action = getString(doc, 'event.action') ?? '';
  return {
    doc,
    ts: toMs(getField(doc, '@timestamp')) ?? Number.NaN,
    hostId: getString(doc, 'host.id'),
    categories,
    types,
    isStart: types.includes('start') || (types.length === 0 && categories.includes('process') && !/end|exit|terminat|stop/i.test(action)),
    isAlert: getString(doc, 'event.kind') === 'signal',
    entityId: getString(doc, 'process.entity_id'),
    parentEntityId: getString(doc, 'process.parent.entity_id'),
    pid: toInt(getField(doc, 'process.pid')),
    parentPid: toInt(getField(doc, 'process.parent.pid')),
    processStart: toMs(getField(doc, 'process.start')),
    parentStart: toMs(getField(doc, 'process.parent.start')),
  };
}

/** Builds every index over events already parsed (tests and benches build datasets in memory). */
export function buildDataset(docs: readonly EcsEvent[], assets: Asset[] = []): ReplayDataset {
  const data: ReplayDataset = {
    events: [],
    assets,
    byEntity: new Map(),
    byParentEntity: new Map(),
    byHostPid: new Map(),
    byHostParentPid: new Map(),
    categoryTimes: new Map(),
    byHost: new Map(),
    alerts: [],
    alertsByHost: new Map(),
    alertsByUser: new Map(),
    alertsByRule: new Map(),
  };
  for (const doc of docs) {
    const event = indexEvent(doc);
    if (Number.isNaN(event.ts)) continue;
    data.events.push(event);
  }
  // Sorted once, so every bucket below is in time order too and results need no sort.
  data.events.sort((a, b) => a.ts - b.ts);
  for (const event of data.events) {
    if (event.isAlert) {
      data.alerts.push(event);
      push(data.alertsByHost, event.hostId, event);
      push(data.alertsByUser, getString(event.doc, 'user.id'), event);
      for (const ruleId of ruleIdsOf(event.doc)) push(data.alertsByRule, ruleId, event);
      // An alert copies its source event's fields; it is not telemetry of its own, so it feeds no process index.
      continue;
    }
    push(data.byHost, event.hostId, event);
    push(data.byEntity, event.entityId, event);
    push(data.byParentEntity, event.parentEntityId, event);
    if (event.hostId !== undefined) {
      if (event.pid !== undefined) push(data.byHostPid, hostKey(event.hostId, event.pid), event);
      if (event.parentPid !== undefined) push(data.byHostParentPid, hostKey(event.hostId, event.parentPid), event);
      for (const category of event.categories) {
        const key = hostKey(event.hostId, category);
        const times = data.categoryTimes.get(key);
        if (times) times.push(event.ts);
        else data.categoryTimes.set(key, [event.ts]);
      }
    }
  }
  return data;
}

/** Reads `events.ndjson` (required) and `assets.json` (optional) from a dataset folder. */
export async function loadDataset(dir: string): Promise<ReplayDataset> {
  const eventsPath = join(dir, 'events.ndjson');
  try {
    await stat(eventsPath);
  } catch {
    throw new ReplayError('HW_ERR_REPLAY_DATASET_UNREADABLE', 'load', `${eventsPath} cannot be read; point the replay dataset at a folder holding events.ndjson`);
  }
  const docs: EcsEvent[] = [];
  const lines = createInterface({ input: createReadStream(eventsPath, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new ReplayError('HW_ERR_REPLAY_DATASET_INVALID', 'load', `${eventsPath} line ${lineNo} is not JSON (${(error as Error).message}); fix or remove that line`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ReplayError('HW_ERR_REPLAY_DATASET_INVALID', 'load', `${eventsPath} line ${lineNo} is not a JSON object; each line must hold one ECS event`);
    }
    if (Number.isNaN(toMs(getField(parsed, '@timestamp')) ?? Number.NaN)) {
      throw new ReplayError('HW_ERR_REPLAY_DATASET_INVALID', 'load', `${eventsPath} line ${lineNo} field "@timestamp" is missing or not a date; every event needs one`);
    }
    docs.push(parsed as EcsEvent);
  }
  let assets: Asset[] = [];
  const assetsPath = join(dir, 'assets.json');
  let assetsText: string | undefined;
  try {
    assetsText = await readFile(assetsPath, 'utf8');
  } catch {
    assetsText = undefined; // A dataset without an inventory: every host is unknown.
  }
  if (assetsText !== undefined) {
    let raw: unknown;
    try {
      raw = JSON.parse(assetsText);
    } catch (error) {
      throw new ReplayError('HW_ERR_REPLAY_DATASET_INVALID', 'load', `${assetsPath} is not valid JSON (${(error as Error).message}); fix the file`);
    }
    assets = parseAssets(raw, assetsPath);
  }
  return buildDataset(docs, assets);
}
