// Which indices answer which question. Process events come from every index the rule reads (Defend,
// Sysmon, 4688, CrowdStrike FDR, M365, S1, Endgame); file and network events from the sources that
// carry them per process (Defend, Sysmon EID 11/3, winlogbeat). 4688 has no file/network events at all.
//
// Coverage rule (documented in docs/connectors-elastic-crowdstrike.md): a category is `none` for a query when no index of
// that category exists in the cluster (`_shards.total` 0), or when the query found nothing and the host
// has sent no event of that category within an hour either side of the window. `partial` when shards
// failed or the search timed out. Otherwise `full`, also with zero events.

export type Category = 'process' | 'file' | 'network';

export const RULE_INDICES = [
  'endgame-*',
  'logs-crowdstrike.fdr*',
  'logs-endpoint.events.process-*',
  'logs-m365_defender.event-*',
  'logs-sentinel_one_cloud_funnel.*',
  'logs-system.security*',
  'logs-windows.forwarded*',
  'logs-windows.sysmon_operational-*',
  'winlogbeat-*',
];

export const DEFAULT_INDICES: Record<Category, string[]> = {
  process: RULE_INDICES,
  file: ['logs-endpoint.events.file-*', 'logs-windows.sysmon_operational-*', 'winlogbeat-*'],
  network: ['logs-endpoint.events.network-*', 'logs-windows.sysmon_operational-*', 'winlogbeat-*'],
};

/** How far either side of the window the coverage probe looks for any telemetry of the host. */
export const COVERAGE_SLACK_MS = 3_600_000;
