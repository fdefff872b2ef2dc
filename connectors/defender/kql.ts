// The KQL the Defender connector sends (edr-apis §3.4). Every query pins DeviceId and a time window, and
// pins a pid with its creation time when one is known, so a reused pid never joins the investigation.

export interface Span {
  from: number;
  to: number;
}

export const ROW_LIMIT = 10_000;

const dt = (ms: number): string => `datetime(${new Date(ms).toISOString()})`;
export const kqlString = (value: string): string => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const between = (field: string, span: Span): string => `${field} between (${dt(span.from)} .. ${dt(span.to)})`;

const PROCESS_COLUMNS =
  'Timestamp, DeviceId, DeviceName, ActionType, ProcessId, ProcessCreationTime, FileName, FolderPath, ProcessCommandLine, ' +
  'ProcessVersionInfoOriginalFileName, SHA1, SHA256, AccountSid, AccountName, AccountDomain, AccountObjectId, InitiatingProcessId, ' +
  'InitiatingProcessCreationTime, InitiatingProcessFileName, InitiatingProcessFolderPath, InitiatingProcessCommandLine, ' +
  'InitiatingProcessParentId, InitiatingProcessParentCreationTime, InitiatingProcessParentFileName, ReportId';

const FILE_COLUMNS =
  'Timestamp, DeviceId, DeviceName, ActionType, FileName, FolderPath, SHA1, SHA256, InitiatingProcessId, InitiatingProcessCreationTime, ' +
  'InitiatingProcessFileName, InitiatingProcessFolderPath, InitiatingProcessCommandLine, InitiatingProcessParentId, ' +
  'InitiatingProcessParentCreationTime, InitiatingProcessAccountSid, InitiatingProcessAccountName, ReportId';

const NETWORK_COLUMNS =
  'Timestamp, DeviceId, DeviceName, ActionType, RemoteIP, RemotePort, RemoteUrl, LocalIP, LocalPort, Protocol, InitiatingProcessId, ' +
  'InitiatingProcessCreationTime, InitiatingProcessFileName, InitiatingProcessFolderPath, InitiatingProcessCommandLine, ' +
  'InitiatingProcessParentId, InitiatingProcessParentCreationTime, InitiatingProcessAccountSid, InitiatingProcessAccountName, ReportId';

/** How a process is pinned: its pid, and a creation-time span when the start time is known. */
export interface PidPin {
  pid: number;
  creation?: Span;
}

const pinned = (pidField: string, timeField: string, pin: PidPin): string =>
  pin.creation ? `${pidField} == ${pin.pid} and ${between(timeField, pin.creation)}` : `${pidField} == ${pin.pid}`;

/** The process-creation event(s) of one process. */
export function processKql(deviceId: string, pin: PidPin, window: Span, newestFirst = false): string {
  return [
    'DeviceProcessEvents',
    `| where ${between('Timestamp', window)}`,
    `| where DeviceId == ${kqlString(deviceId)}`,
    `| where ${pinned('ProcessId', 'ProcessCreationTime', pin)}`,
    `| project ${PROCESS_COLUMNS}`,
    `| order by Timestamp ${newestFirst ? 'desc' : 'asc'}`,
    `| take ${newestFirst ? 1 : ROW_LIMIT}`,
  ].join('\n');
}

/** The creation events of several processes at once (ancestry: a row names its parent and grandparent). */
export function processesKql(deviceId: string, pins: PidPin[], window: Span): string {
  return [
    'DeviceProcessEvents',
    `| where ${between('Timestamp', window)}`,
    `| where DeviceId == ${kqlString(deviceId)}`,
    `| where ${pins.map((pin) => `(${pinned('ProcessId', 'ProcessCreationTime', pin)})`).join(' or ')}`,
    `| project ${PROCESS_COLUMNS}`,
    '| order by Timestamp desc',
    `| take ${ROW_LIMIT}`,
  ].join('\n');
}

/** Every process created on a device in a span, newest first: one scan the ancestry is walked in locally. */
export function hostProcessesKql(deviceId: string, window: Span): string {
  return [
    'DeviceProcessEvents',
    `| where ${between('Timestamp', window)}`,
    `| where DeviceId == ${kqlString(deviceId)}`,
    `| project ${PROCESS_COLUMNS}`,
    '| order by Timestamp desc',
    `| take ${ROW_LIMIT}`,
  ].join('\n');
}

/** Processes created by one process (its children; for the alert's parent, the alert's siblings). */
export function childrenKql(deviceId: string, parent: PidPin, window: Span): string {
  return [
    'DeviceProcessEvents',
    `| where ${between('Timestamp', window)}`,
    `| where DeviceId == ${kqlString(deviceId)}`,
    `| where ${pinned('InitiatingProcessId', 'InitiatingProcessCreationTime', parent)}`,
    `| project ${PROCESS_COLUMNS}`,
    '| order by Timestamp asc',
    `| take ${ROW_LIMIT}`,
  ].join('\n');
}

/** File or network events whose actor is the process or one of its children. */
export function activityKql(table: 'DeviceFileEvents' | 'DeviceNetworkEvents', deviceId: string, pin: PidPin, window: Span): string {
  return [
    table,
    `| where ${between('Timestamp', window)}`,
    `| where DeviceId == ${kqlString(deviceId)}`,
    `| where (${pinned('InitiatingProcessId', 'InitiatingProcessCreationTime', pin)}) or (${pinned('InitiatingProcessParentId', 'InitiatingProcessParentCreationTime', pin)})`,
    `| project ${table === 'DeviceFileEvents' ? FILE_COLUMNS : NETWORK_COLUMNS}`,
    '| order by Timestamp asc',
    `| take ${ROW_LIMIT}`,
  ].join('\n');
}

/** ECS user.id from MDE is the SID; an Entra object id, a UPN or a bare name also identify an account. */
function userClause(user: string): string {
  if (/^S-1-\d+(-\d+)+$/.test(user)) return `AccountSid == ${kqlString(user)}`;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(user)) return `AccountObjectId == ${kqlString(user)}`;
  if (user.includes('@')) return `AccountUpn =~ ${kqlString(user)}`;
  return `AccountName =~ ${kqlString(user.includes('\\') ? user.slice(user.indexOf('\\') + 1) : user)}`;
}

/** Alerts whose evidence names a device or an account (SID), latest row per alert. */
export function alertsKql(match: { deviceId: string } | { user: string }, window: Span): string {
  const where = 'deviceId' in match ? `DeviceId == ${kqlString(match.deviceId)}` : userClause(match.user);
  return [
    'AlertInfo',
    `| where ${between('Timestamp', window)}`,
    `| join kind=inner (AlertEvidence | where ${between('Timestamp', window)}) on AlertId`,
    `| where ${where}`,
    '| summarize arg_max(Timestamp, *) by AlertId',
    '| project AlertId, Timestamp, Title, Severity, Category, ServiceSource, DetectionSource, AttackTechniques, DeviceId, DeviceName, AccountSid, AccountName',
    '| order by Timestamp asc',
    `| take ${ROW_LIMIT}`,
  ].join('\n');
}
