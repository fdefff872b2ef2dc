// Redis keys of the case store. Every key starts with `<prefix>:cases:`, so with a hash-tag prefix (`{hw}`) all
// of them share one Redis Cluster slot and the multi-key scripts stay legal.
// ADMIT_ALERTS (scripts.ts) builds the alert, group, case and index names itself from `base`, in these same
// formats; test/intake/cases.test.ts reads a group key through `group()` to hold the two together.
export interface CaseKeys {
  base: string;
  record(caseId: string): string;
  alerts(caseId: string): string;
  jobs(caseId: string): string;
  report(caseId: string): string;
  /** alert id -> {case, queued}: the dedup index, kept for the case retention. */
  alert(alertId: string): string;
  /** host + parent process -> open case, expiring after the grouping window. */
  group(hostId: string, parentKey: string): string;
  indexHost(hostId: string): string;
  indexUser(userId: string): string;
  /** Every case is in the index of its status; there is no index of all cases (see CaseStore.list). */
  indexStatus(status: string): string;
}

export function caseKeys(prefix: string): CaseKeys {
  const base = `${prefix}:cases:`;
  return {
    base,
    record: (id) => `${base}case:${id}`,
    alerts: (id) => `${base}case:${id}:alerts`,
    jobs: (id) => `${base}case:${id}:jobs`,
    report: (id) => `${base}case:${id}:report`,
    alert: (alertId) => `${base}alert:${alertId}`,
    group: (hostId, parentKey) => `${base}group:${hostId}|${parentKey}`,
    indexHost: (hostId) => `${base}index:host:${hostId}`,
    indexUser: (userId) => `${base}index:user:${userId}`,
    indexStatus: (status) => `${base}index:status:${status}`,
  };
}
