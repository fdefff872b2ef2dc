// Redis keys of the audit trail. One stream per deployment; the head pins the last seq and hash so a
// truncated tail is detected too.
export interface AuditKeys {
  stream: string;
  head: string;
  caseIndex(caseId: string): string;
}

export function auditKeys(prefix: string, deployment: string): AuditKeys {
  const base = `${prefix}audit:${deployment}`;
  return {
    stream: `${base}:log`,
    head: `${base}:head`,
    caseIndex: (caseId) => `${base}:case:${caseId}`,
  };
}
