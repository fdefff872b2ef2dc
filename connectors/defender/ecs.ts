// Advanced Hunting rows to ECS (edr-apis §3.6). In DeviceProcessEvents the created process is Process*/
// FileName and its parent is InitiatingProcess*; in file and network tables the actor is InitiatingProcess*.
import type { EcsEvent } from '../types.js';
import { mdeEntityId } from './entity.js';

export type Row = Record<string, unknown>;

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const int = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
const isoTime = (value: unknown): string | undefined => {
  const text = str(value);
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

/** FolderPath normally ends with the image name; when it does not, join the two. */
export function imagePath(folder: unknown, file: unknown): string | undefined {
  const dir = str(folder);
  const name = str(file);
  if (!dir) return name;
  if (!name || dir.toLowerCase().endsWith(`\\${name.toLowerCase()}`) || dir.toLowerCase() === name.toLowerCase()) return dir;
  return `${dir.replace(/\\+$/, '')}\\${name}`;
}

function splitArgs(commandLine: string | undefined): string[] | undefined {
  if (!commandLine) return undefined;
  return (commandLine.match(/"[^"]*"|\S+/g) ?? []).map((arg) => arg.replace(/^"(.*)"$/, '$1'));
}

function compact<T extends Record<string, unknown>>(obj: T): T {
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (value === undefined) delete obj[key];
    else if (value && typeof value === 'object' && !Array.isArray(value)) {
      compact(value as Record<string, unknown>);
      if (Object.keys(value as object).length === 0) delete obj[key];
    }
  }
  return obj;
}

function hostOf(row: Row): Record<string, unknown> {
  return { id: str(row.DeviceId), name: str(row.DeviceName) };
}

/** The created process of a DeviceProcessEvents row. */
export function processRowToEcs(row: Row): EcsEvent {
  const commandLine = str(row.ProcessCommandLine);
  return compact({
    '@timestamp': isoTime(row.Timestamp),
    event: { kind: 'event', category: ['process'], type: ['start'], action: str(row.ActionType) ?? 'ProcessCreated', id: str(String(row.ReportId ?? '')), provider: 'microsoft-defender-endpoint' },
    host: hostOf(row),
    process: {
      entity_id: mdeEntityId(row.DeviceId, row.ProcessId, row.ProcessCreationTime),
      pid: int(row.ProcessId),
      start: isoTime(row.ProcessCreationTime),
      name: str(row.FileName),
      executable: imagePath(row.FolderPath, row.FileName),
      command_line: commandLine,
      args: splitArgs(commandLine),
      pe: { original_file_name: str(row.ProcessVersionInfoOriginalFileName) },
      hash: { sha1: str(row.SHA1), sha256: str(row.SHA256) },
      parent: {
        entity_id: mdeEntityId(row.DeviceId, row.InitiatingProcessId, row.InitiatingProcessCreationTime),
        pid: int(row.InitiatingProcessId),
        start: isoTime(row.InitiatingProcessCreationTime),
        name: str(row.InitiatingProcessFileName),
        executable: imagePath(row.InitiatingProcessFolderPath, row.InitiatingProcessFileName),
        command_line: str(row.InitiatingProcessCommandLine),
      },
    },
    user: { id: str(row.AccountSid), name: str(row.AccountName), domain: str(row.AccountDomain) },
    // The Entra object id is what Graph needs to disable the account; ECS has no field for it.
    defender: { account_object_id: str(row.AccountObjectId) },
  });
}

function actorOf(row: Row): Record<string, unknown> {
  const commandLine = str(row.InitiatingProcessCommandLine);
  return {
    entity_id: mdeEntityId(row.DeviceId, row.InitiatingProcessId, row.InitiatingProcessCreationTime),
    pid: int(row.InitiatingProcessId),
    start: isoTime(row.InitiatingProcessCreationTime),
    name: str(row.InitiatingProcessFileName),
    executable: imagePath(row.InitiatingProcessFolderPath, row.InitiatingProcessFileName),
    command_line: commandLine,
    args: splitArgs(commandLine),
    parent: {
      entity_id: mdeEntityId(row.DeviceId, row.InitiatingProcessParentId, row.InitiatingProcessParentCreationTime),
      pid: int(row.InitiatingProcessParentId),
      start: isoTime(row.InitiatingProcessParentCreationTime),
    },
  };
}

const FILE_TYPES: Record<string, string> = { FileCreated: 'creation', FileModified: 'change', FileRenamed: 'change', FileDeleted: 'deletion' };

export function fileRowToEcs(row: Row): EcsEvent {
  const action = str(row.ActionType);
  return compact({
    '@timestamp': isoTime(row.Timestamp),
    event: { kind: 'event', category: ['file'], type: [FILE_TYPES[action ?? ''] ?? 'info'], action, id: str(String(row.ReportId ?? '')), provider: 'microsoft-defender-endpoint' },
    host: hostOf(row),
    process: actorOf(row),
    file: { path: imagePath(row.FolderPath, row.FileName), name: str(row.FileName), hash: { sha1: str(row.SHA1), sha256: str(row.SHA256) } },
    user: { id: str(row.InitiatingProcessAccountSid), name: str(row.InitiatingProcessAccountName) },
  });
}

export function networkRowToEcs(row: Row): EcsEvent {
  const protocol = str(row.Protocol)?.toLowerCase().replace(/v[46]$/, '');
  return compact({
    '@timestamp': isoTime(row.Timestamp),
    event: { kind: 'event', category: ['network'], type: ['connection'], action: str(row.ActionType), id: str(String(row.ReportId ?? '')), provider: 'microsoft-defender-endpoint' },
    host: hostOf(row),
    process: actorOf(row),
    source: { ip: str(row.LocalIP), port: int(row.LocalPort) },
    destination: { ip: str(row.RemoteIP), port: int(row.RemotePort), domain: str(row.RemoteUrl) },
    network: { transport: protocol },
    user: { id: str(row.InitiatingProcessAccountSid), name: str(row.InitiatingProcessAccountName) },
  });
}

/** An AlertInfo + AlertEvidence row as an alert document (`event.kind: signal`). */
export function alertRowToEcs(row: Row): EcsEvent {
  const techniques = typeof row.AttackTechniques === 'string' && row.AttackTechniques.startsWith('[') ? safeJson(row.AttackTechniques) : row.AttackTechniques;
  return compact({
    '@timestamp': isoTime(row.Timestamp),
    event: { kind: 'signal', id: str(row.AlertId), severity_name: str(row.Severity), provider: str(row.ServiceSource), module: 'microsoft-defender', dataset: str(row.DetectionSource) },
    rule: { name: str(row.Title), category: str(row.Category) },
    host: hostOf(row),
    user: { id: str(row.AccountSid), name: str(row.AccountName) },
    threat: Array.isArray(techniques) && techniques.length > 0 ? { technique: { name: techniques.filter((t): t is string => typeof t === 'string') } } : undefined,
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
