// Writes audit records as NDJSON, one record per line exactly as stored (canonical JSON), so `jq` and
// `sha256sum` can check each hash and each link without hivewatch (see docs/audit.md).
import { canonicalJson } from './canonical.js';
import type { RedisAuditLog } from './redis-log.js';

export interface ExportFilter {
  caseId?: string;
  /** Only records at or after this instant. */
  since?: Date;
}

/** Yields the stored text of each selected record, oldest first. */
export async function* exportLines(log: RedisAuditLog, filter: ExportFilter = {}): AsyncGenerator<string> {
  const since = filter.since?.getTime();
  if (filter.caseId) {
    for (const { record } of await log.caseRecords(filter.caseId)) {
      if (since === undefined || Date.parse(record.ts) >= since) yield canonicalJson(record);
    }
    return;
  }
  for await (const row of log.scan()) {
    if (row.raw === null) continue;
    // A row that no longer parses is exported as stored: an outside check must see it fail, not miss it.
    if (row.record && since !== undefined && Date.parse(row.record.ts) < since) continue;
    yield row.raw;
  }
}

export async function writeNdjson(
  log: RedisAuditLog,
  filter: ExportFilter,
  write: (line: string) => void | Promise<void>,
): Promise<number> {
  let lines = 0;
  for await (const line of exportLines(log, filter)) {
    await write(`${line}\n`);
    lines++;
  }
  return lines;
}
