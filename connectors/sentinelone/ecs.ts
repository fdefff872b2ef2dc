// Deep Visibility events (v2.1 legacy camelCase JSON) and threats/STAR alerts to ECS (edr-apis §4.4).
// In Process Creation events the fields describe the created process and `parent*` its parent; in every
// other event they describe the actor.
import type { EcsEvent } from '../types.js';

export type DvEvent = Record<string, unknown>;

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined);
const int = (value: unknown): number | undefined => {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined; // DV sends pids as strings
};
const iso = (value: unknown): string | undefined => {
  const text = str(value);
  if (!text) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};

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

function splitUser(user: string | undefined): { name?: string; domain?: string } {
  if (!user) return {};
  const at = user.indexOf('\\');
  return at === -1 ? { name: user } : { domain: user.slice(0, at), name: user.slice(at + 1) };
}

function splitArgs(commandLine: string | undefined): string[] | undefined {
  if (!commandLine) return undefined;
  return (commandLine.match(/"[^"]*"|\S+/g) ?? []).map((arg) => arg.replace(/^"(.*)"$/, '$1'));
}

const FILE_TYPES: Record<string, string> = { 'File Creation': 'creation', 'File Modification': 'change', 'File Rename': 'change', 'File Deletion': 'deletion' };

export function categoryOf(eventType: string | undefined): 'process' | 'file' | 'network' | undefined {
  if (!eventType) return undefined;
  if (eventType === 'Process Creation' || eventType === 'Process Termination') return 'process';
  if (eventType.startsWith('File ')) return 'file';
  if (eventType.startsWith('IP ') || eventType === 'DNS Resolved' || eventType === 'DNS Unresolved') return 'network';
  return undefined;
}

export function dvEventToEcs(event: DvEvent): EcsEvent {
  const eventType = str(event.eventType);
  const category = categoryOf(eventType);
  const commandLine = str(event.processCmd);
  const user = splitUser(str(event.user));
  const type = category === 'process' ? (eventType === 'Process Creation' ? 'start' : 'end') : category === 'file' ? (FILE_TYPES[eventType ?? ''] ?? 'info') : 'connection';
  return compact({
    '@timestamp': iso(event.createdAt),
    event: { kind: 'event', category: category ? [category] : undefined, type: [type], action: eventType, id: str(event.id), provider: 'sentinelone-deep-visibility' },
    host: { id: str(event.agentUuid), name: str(event.agentName), os: { type: str(event.agentOs) } },
    process: {
      entity_id: str(event.processUniqueKey) ?? str(event.srcProcUid),
      pid: int(event.pid),
      start: iso(event.processStartTime),
      name: str(event.processName),
      executable: str(event.processImagePath),
      command_line: commandLine,
      args: splitArgs(commandLine),
      hash: { sha1: str(event.processImageSha1Hash), sha256: str(event.sha256) },
      code_signature: { subject_name: str(event.publisher), status: str(event.signedStatus) },
      group_leader: { entity_id: str(event.storyline) }, // the storyline groups a whole tree
      parent: {
        entity_id: str(event.parentProcessUniqueKey),
        pid: int(event.parentPid),
        start: iso(event.parentProcessStartTime),
        name: str(event.parentProcessName),
      },
    },
    user: { name: user.name, domain: user.domain },
    file: category === 'file' ? { path: str(event.fileFullName), name: str(event.fileFullName)?.split(/[\\/]/).pop() } : undefined,
    source: category === 'network' ? { ip: str(event.srcIp), port: int(event.srcPort) } : undefined,
    destination: category === 'network' ? { ip: str(event.dstIp), port: int(event.dstPort) } : undefined,
    network: category === 'network' ? { direction: str(event.direction)?.toLowerCase() } : undefined,
  });
}

export function threatToEcs(threat: Record<string, any>, hostId?: string): EcsEvent {
  const info = (threat.threatInfo ?? {}) as Record<string, unknown>;
  const agent = (threat.agentRealtimeInfo ?? {}) as Record<string, unknown>;
  const detection = (threat.agentDetectionInfo ?? {}) as Record<string, unknown>;
  const user = splitUser(str(info.processUser));
  return compact({
    '@timestamp': iso(info.createdAt),
    event: { kind: 'signal', id: str(threat.id), dataset: 'sentinelone.threat', severity_name: str(info.confidenceLevel), outcome: str(info.mitigationStatus) },
    rule: { name: str(info.threatName), category: str(info.classification) },
    host: { id: str(detection.agentUuid) ?? hostId, name: str(agent.agentComputerName) },
    agent: { id: str(agent.agentId) },
    user: { name: user.name, domain: user.domain },
    process: { group_leader: { entity_id: str(info.storyline) }, hash: { sha1: str(info.sha1) } },
    sentinelone: { incident_status: str(info.incidentStatus), analyst_verdict: str(info.analystVerdict) },
  });
}

/** STAR / custom-detection alerts; their ids are prefixed `star:` so a status change goes to the right API. */
export function starAlertToEcs(alert: Record<string, any>): EcsEvent {
  const info = (alert.alertInfo ?? {}) as Record<string, unknown>;
  const rule = (alert.ruleInfo ?? {}) as Record<string, unknown>;
  const agent = (alert.agentDetectionInfo ?? {}) as Record<string, unknown>;
  const proc = (alert.sourceProcessInfo ?? {}) as Record<string, unknown>;
  const user = splitUser(str(proc.user));
  const alertId = str(info.alertId);
  return compact({
    '@timestamp': iso(info.createdAt),
    event: { kind: 'signal', id: alertId ? `star:${alertId}` : undefined, dataset: 'sentinelone.alert', severity_name: str(rule.severity) },
    rule: { name: str(rule.name) },
    host: { id: str(agent.uuid), name: str(agent.name) },
    user: { name: user.name, domain: user.domain },
    process: { name: str(proc.name), pid: int(proc.pid), command_line: str(proc.commandline), executable: str(proc.filePath), group_leader: { entity_id: str(proc.storyline) } },
    sentinelone: { incident_status: str(info.incidentStatus) },
  });
}
