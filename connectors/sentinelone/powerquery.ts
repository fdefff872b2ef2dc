// The replacement for Deep Visibility (edr-apis §4.2 S7n; DV sunsets 2027-02-15): SDL long-running
// PowerQuery. POST /sdl/v2/api/queries (Bearer service-user token) -> poll GET .../{id}?lastStepSeen=N,
// echoing the X-Dataset-Query-Forward-Tag header, which may change between polls -> DELETE. The body
// shape is [community] (n8n's SentinelOne node); check it against the tenant's /api-doc.

/** Columns read back; in Process Creation the child is tgt.* and the parent src.*, elsewhere the actor is src.*. */
export const PQ_COLUMNS = [
  'event.time',
  'event.type',
  'agent.uuid',
  'endpoint.name',
  'src.process.uid',
  'src.process.pid',
  'src.process.name',
  'src.process.cmdline',
  'src.process.image.path',
  'src.process.startTime',
  'src.process.user',
  'src.process.parent.uid',
  'src.process.parent.pid',
  'src.process.parent.name',
  'tgt.process.uid',
  'tgt.process.pid',
  'tgt.process.name',
  'tgt.process.cmdline',
  'tgt.process.image.path',
  'tgt.process.startTime',
  'tgt.process.user',
  'tgt.file.path',
  'src.ip.address',
  'src.port.number',
  'dst.ip.address',
  'dst.port.number',
] as const;

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function powerQuery(hostId: string, eventTypes: readonly string[], limit: number): string {
  const types = eventTypes.length === 1 ? `event.type = ${quote(eventTypes[0]!)}` : `event.type in (${eventTypes.map(quote).join(', ')})`;
  return `agent.uuid = ${quote(hostId)} ${types} | columns ${PQ_COLUMNS.join(', ')} | limit ${limit}`;
}

/**
 * A PowerQuery row, rewritten in the Deep Visibility legacy names so one ECS mapping serves both engines
 * (dvEventToEcs): the created process of a Process Creation row is tgt.*, its parent src.*.
 */
export function pqRowToDvEvent(row: Record<string, unknown>): Record<string, unknown> {
  const creation = row['event.type'] === 'Process Creation';
  const me = creation ? 'tgt.process' : 'src.process';
  return {
    eventType: row['event.type'],
    createdAt: row['event.time'],
    agentUuid: row['agent.uuid'],
    agentName: row['endpoint.name'],
    processUniqueKey: row[`${me}.uid`],
    pid: row[`${me}.pid`],
    processName: row[`${me}.name`],
    processCmd: row[`${me}.cmdline`],
    processImagePath: row[`${me}.image.path`],
    processStartTime: row[`${me}.startTime`],
    user: row[`${me}.user`],
    parentProcessUniqueKey: creation ? row['src.process.uid'] : row['src.process.parent.uid'],
    parentPid: creation ? row['src.process.pid'] : row['src.process.parent.pid'],
    parentProcessStartTime: creation ? row['src.process.startTime'] : undefined,
    parentProcessName: creation ? row['src.process.name'] : row['src.process.parent.name'],
    fileFullName: row['tgt.file.path'],
    srcIp: row['src.ip.address'],
    srcPort: row['src.port.number'],
    dstIp: row['dst.ip.address'],
    dstPort: row['dst.port.number'],
  };
}

/** Zips a TABLE result (`columns` + `values`) into rows keyed by column name. */
export function tableRows(data: { columns?: { name: string }[]; values?: unknown[][] } | undefined): Record<string, unknown>[] {
  const names = (data?.columns ?? []).map((c) => c.name);
  return (data?.values ?? []).map((values) => Object.fromEntries(names.map((name, i) => [name, values[i]])));
}

