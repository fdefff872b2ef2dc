// Threat Graph (docs/edr-apis.md C13/C14): the entity-centric process graph, for tenants without NG-SIEM
// event search. It answers the process itself, its children and its ancestry by TargetProcessId; it is
// not a time-series store, so pid-only lookups and file/network activity are left to NG-SIEM.

import { getString } from '../../detection/fields.js';
import { collectPages, cursorPage, type HttpClient } from '../http/index.js';
import type { EcsEvent, ProcessRef, QueryResult, TimeWindow } from '../types.js';
import { eventToEcs } from './mapping.js';

interface Vertex {
  id: string;
  properties?: Record<string, unknown>;
}

interface Edge {
  id: string;
  timestamp?: string;
}

export const vertexId = (aid: string, targetProcessId: string): string => `pid:${aid}:${targetProcessId}`;

export class ThreatGraph {
  constructor(private readonly http: HttpClient) {}

  /** Process vertices as ECS process start events (≤100 ids per call). */
  async summaries(operation: string, aid: string, ids: string[]): Promise<EcsEvent[] | 'unavailable'> {
    const out: EcsEvent[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const res = await this.http.request({ operation, method: 'GET', url: '/threatgraph/combined/processes/summary/v1', params: { ids: ids.slice(i, i + 100).map((id) => vertexId(aid, id)), scope: 'device' }, acceptStatus: [403] });
      if (res.status === 403) return 'unavailable';
      const vertices = ((res.data as { resources?: Vertex[] })?.resources ?? []) as Vertex[];
      for (const v of vertices) out.push(vertexToEcs(v, aid));
    }
    return out;
  }

  /** Ids (TargetProcessId) at the end of one edge type, walking the string `offset` token. */
  async edges(operation: string, aid: string, id: string, edgeType: string): Promise<Edge[] | 'unavailable'> {
    let denied = false;
    const collected = await collectPages<Edge, string>(async (offset) => {
      const res = await this.http.request({ operation, method: 'GET', url: '/threatgraph/combined/edges/v1', params: { ids: vertexId(aid, id), edge_type: edgeType, limit: 100, offset, scope: 'device' }, acceptStatus: [403, 404] });
      if (res.status === 403) denied = true;
      if (res.status !== 200) return { items: [], next: undefined };
      const body = res.data as { resources?: Edge[]; meta?: { pagination?: { offset?: string | number } } };
      const next = body.meta?.pagination?.offset;
      return cursorPage(body.resources ?? [], next === undefined || next === '' ? undefined : String(next));
    });
    return denied ? 'unavailable' : collected.items;
  }

  async processEvent(ref: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    const query = `GET /threatgraph/combined/processes/summary/v1?ids=${vertexId(ref.hostId, ref.entityId ?? '?')}`;
    if (!ref.entityId) return unanswerable(query, window, 'Threat Graph finds processes by TargetProcessId only; this alert has just a pid');
    const found = await this.summaries('getProcessEvent', ref.hostId, [ref.entityId]);
    if (found === 'unavailable') return unavailable(query, window);
    return { events: found, coverage: 'full', query, window, note: 'answered by Threat Graph (NG-SIEM unavailable)' };
  }

  async children(operation: string, parent: ProcessRef, window: TimeWindow): Promise<QueryResult> {
    const query = `GET /threatgraph/combined/edges/v1?ids=${vertexId(parent.hostId, parent.entityId ?? '?')}&edge_type=child_process`;
    if (!parent.entityId) return unanswerable(query, window, 'Threat Graph walks edges from a TargetProcessId only; this parent has just a pid');
    const edges = await this.edges(operation, parent.hostId, parent.entityId, 'child_process');
    if (edges === 'unavailable') return unavailable(query, window);
    const from = Date.parse(window.from);
    const to = Date.parse(window.to);
    const inWindow = edges.filter((e) => !e.timestamp || (Date.parse(e.timestamp) >= from && Date.parse(e.timestamp) <= to));
    const ids = inWindow.map((e) => e.id.split(':').pop() ?? '').filter(Boolean);
    const found = ids.length ? await this.summaries(operation, parent.hostId, ids) : [];
    if (found === 'unavailable') return unavailable(query, window);
    found.sort((a, b) => Date.parse(getString(a, '@timestamp') ?? '') - Date.parse(getString(b, '@timestamp') ?? ''));
    return { events: found, coverage: 'full', query, window, note: 'answered by Threat Graph (NG-SIEM unavailable)' };
  }

  async ancestry(ref: ProcessRef, levels: number, window: TimeWindow): Promise<QueryResult> {
    const self = await this.processEvent(ref, window);
    let current = self.events[0];
    if (!current) return { ...self, events: [], note: self.note ?? 'the process vertex was not found, so its ancestry is unknown' };
    const events: EcsEvent[] = [];
    let note: string | undefined;
    for (let level = 0; level < levels; level++) {
      const parentId = getString(current, 'process.parent.entity_id');
      if (!parentId) break;
      const found = await this.summaries('getAncestry', ref.hostId, [parentId]);
      if (found === 'unavailable') return unavailable(self.query, window);
      const parent = found[0];
      if (!parent) {
        note = `the chain ends at level ${level + 1}: vertex ${parentId} is no longer in Threat Graph`;
        break;
      }
      events.push(parent);
      current = parent;
    }
    return { events, coverage: note ? 'partial' : 'full', query: self.query, window, note: note ?? 'answered by Threat Graph (NG-SIEM unavailable)' };
  }
}

function vertexToEcs(v: Vertex, aid: string): EcsEvent {
  const p = v.properties ?? {};
  const started = typeof p.ProcessStartTime_formatted === 'string' ? Date.parse(p.ProcessStartTime_formatted) : NaN;
  return eventToEcs({
    '#event_simpleName': 'ProcessRollup2',
    aid,
    '@timestamp': Number.isNaN(started) ? undefined : started,
    TargetProcessId: v.id.split(':').pop(),
    ParentProcessId: p.ParentProcessId,
    RawProcessId: p.RawProcessId,
    ImageFileName: p.ImageFileName,
    CommandLine: p.CommandLine,
    SHA256HashData: p.SHA256HashData,
    UserSid: p.UserSid,
    UserName: p.UserName,
    ComputerName: p.ComputerName,
  });
}

function unavailable(query: string, window: TimeWindow): QueryResult {
  return { events: [], coverage: 'none', query, window, note: 'neither NG-SIEM event search nor Threat Graph is available to this API client; grant "NGSIEM: Read" or "Threatgraph: Read"' };
}

function unanswerable(query: string, window: TimeWindow, why: string): QueryResult {
  return { events: [], coverage: 'none', query, window, note: `${why} (NG-SIEM, which can search by pid, is unavailable)` };
}
