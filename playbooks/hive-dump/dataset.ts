// Triage on a replay dataset folder (`events.ndjson`, `assets.json`, optional `workflows.json`): what
// `hivewatch triage --dataset DIR ALERT.json` runs, with no Redis and no vendor.
import { join } from 'node:path';
import { parseAlert } from '../../detection/alert.js';
import { ReplayConnector } from '../../connectors/replay/index.js';
import type { TriageReport } from './report.js';
import { runHiveDumpPlaybook, type PlaybookOptions } from './playbook.js';
import { loadHiveDumpRule, DEFAULT_RULE_VERSION } from './rule.js';
import { loadWorkflows, type Workflow } from './workflows.js';

export interface DatasetTriageOptions {
  ruleVersion?: string;
  /** Where the replay connector keeps its action log (default `.state/replay` in the working directory). */
  stateDir?: string;
  /** Overrides `DIR/workflows.json`. */
  workflows?: Workflow[];
  playbook?: PlaybookOptions;
}

/** Opens the dataset once; `triage` can then run many alerts against it. */
export async function openDataset(dir: string, options: DatasetTriageOptions = {}) {
  const connector = await ReplayConnector.open({ datasetDir: dir, ...(options.stateDir ? { stateDir: options.stateDir } : {}) });
  const workflows = options.workflows ?? (await loadWorkflows(join(dir, 'workflows.json')));
  const rule = loadHiveDumpRule(options.ruleVersion ?? DEFAULT_RULE_VERSION);
  return {
    connector,
    workflows,
    rule,
    triage(rawAlert: unknown): Promise<TriageReport> {
      return runHiveDumpPlaybook(parseAlert(rawAlert), { connector, assets: connector.assets, rule, workflows, ...(options.playbook ? { options: options.playbook } : {}) });
    },
  };
}

export async function triageDataset(dir: string, rawAlert: unknown, options: DatasetTriageOptions = {}): Promise<TriageReport> {
  return (await openDataset(dir, options)).triage(rawAlert);
}
