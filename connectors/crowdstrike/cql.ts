// CQL (LogScale) strings for the NG-SIEM queries of docs/edr-apis.md §2.2. Values are always quoted and
// escaped, so an id from an alert cannot change the query.
import type { CsCategory } from './mapping.js';

export const quote = (v: string | number): string => `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

const NAMES: Record<CsCategory, string> = {
  process: '#event_simpleName=ProcessRollup2',
  file: '#event_simpleName=/Written$/',
  network: '#event_simpleName=/^NetworkConnectIP[46]$/',
};

export function cql(category: CsCategory, aid: string, clauses: string[], limit: number): string {
  return [NAMES[category], `aid=${quote(aid)}`, ...clauses].join(' ') + ` | head(${limit})`;
}

export const eq = (field: string, value: string | number): string => `${field}=${quote(value)}`;
export const inList = (field: string, values: (string | number)[]): string => `in(${field}, values=[${values.map(quote).join(', ')}])`;
