// Every finding cites what it stands on: the connector, the question asked, the events and the window.
import { createHash } from 'node:crypto';
import type { EcsEvent, QueryResult } from '../../connectors/types.js';
import type { Evidence } from './report.js';
import { str } from './text.js';

/** Cited event ids per evidence item; storms would otherwise make reports unreadable. */
export const MAX_CITED_EVENTS = 25;

/** A stable id for an event: its document id, its ECS event.id, or what identifies the process start. */
export function eventIdOf(doc: EcsEvent): string {
  const id = str(doc, '_id') ?? str(doc, 'kibana.alert.uuid') ?? str(doc, 'event.id');
  if (id) return id;
  const entity = str(doc, 'process.entity_id');
  const ts = str(doc, '@timestamp') ?? '';
  if (entity) return `${entity}@${ts}`;
  const pid = str(doc, 'process.pid');
  if (pid) return `${str(doc, 'host.id') ?? ''}:${pid}@${ts}`;
  return createHash('sha256').update(JSON.stringify(doc)).digest('hex').slice(0, 16);
}

export function cite(connector: string, result: Pick<QueryResult, 'query' | 'window'>, events: EcsEvent[], summary: string): Evidence {
  const ids = events.map(eventIdOf);
  const shown = ids.slice(0, MAX_CITED_EVENTS);
  return {
    connector,
    query: result.query,
    eventIds: shown,
    window: { from: result.window.from, to: result.window.to },
    summary: ids.length > shown.length ? `${summary} (${ids.length} events, first ${shown.length} cited)` : summary,
  };
}

export function addMs(iso: string, ms: number): string {
  return new Date(Date.parse(iso) + ms).toISOString();
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
