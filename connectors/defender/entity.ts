// MDE has no unique process id, so one is synthesized from what identifies a process on a device:
// `mde:{DeviceId}:{ProcessId}:{ProcessCreationTime}` (edr-apis §3.6). It parses back, so a ref carrying
// only the entity id can still be pinned to pid + creation time in a hunting query.

export function mdeEntityId(deviceId: unknown, pid: unknown, creationTime: unknown): string | undefined {
  if (typeof deviceId !== 'string' || deviceId === '') return undefined;
  const n = typeof pid === 'number' ? pid : typeof pid === 'string' && /^\d+$/.test(pid) ? Number(pid) : undefined;
  if (n === undefined || typeof creationTime !== 'string') return undefined;
  const ms = Date.parse(creationTime);
  if (Number.isNaN(ms)) return undefined;
  return `mde:${deviceId}:${n}:${new Date(ms).toISOString()}`;
}

export interface MdeProcessKey {
  deviceId: string;
  pid: number;
  /** Creation time, epoch ms. */
  creation: number;
}

export function parseMdeEntityId(entityId: string): MdeProcessKey | null {
  const match = /^mde:([^:]+):(\d+):(.+)$/.exec(entityId);
  if (!match) return null;
  const creation = Date.parse(match[3]!);
  if (Number.isNaN(creation)) return null;
  return { deviceId: match[1]!, pid: Number(match[2]), creation };
}
