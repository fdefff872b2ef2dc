// `hivewatch triage --dataset DIR ALERT.json`: the whole hive-dump triage on the replay connector, with no
// Redis. DIR holds events.ndjson, assets.json and optionally workflows.json. Prints one JSON report (or, for
// a file holding several alerts, a JSON array of reports); `--markdown` prints the case summary instead.
//
// Exit codes: 0 a report was printed, 2 on an error (bad options, unreadable alert or dataset, an invalid or
// too-broad workflows.json, an alert that fails validation).
import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { openDataset } from '../../playbooks/hive-dump/dataset.js';
import { renderMarkdown } from '../../playbooks/hive-dump/markdown.js';
import { DEFAULT_RULE_VERSION, RULE_VERSIONS } from '../../playbooks/hive-dump/rule.js';

export interface TriageCommandOptions {
  dataset: string;
  markdown?: boolean;
  ruleVersion?: string;
  stateDir?: string;
}

class TriageUsageError extends Error {
  readonly code = 'HW_ERR_TRIAGE_INPUT';
}

async function readAlerts(file: string): Promise<unknown[]> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    throw new TriageUsageError(`cannot read the alert file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pass a JSON file holding one alert`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TriageUsageError(`${file} is not JSON (${(err as Error).message}); pass one Kibana alert as JSON`);
  }
  // A rule action body (`alerts` / `context.alerts`) or a plain list holds several alerts.
  const body = json as { alerts?: unknown; context?: { alerts?: unknown } };
  const list = Array.isArray(json) ? json : Array.isArray(body?.alerts) ? body.alerts : Array.isArray(body?.context?.alerts) ? body.context!.alerts : [json];
  if ((list as unknown[]).length === 0) throw new TriageUsageError(`${file} holds no alert`);
  return list as unknown[];
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs the command; returns what it prints. Exported for tests. */
export async function runTriageCommand(alertFile: string, opts: TriageCommandOptions): Promise<string> {
  const alerts = await readAlerts(alertFile);
  const dataset = await openDataset(opts.dataset, { ...(opts.ruleVersion ? { ruleVersion: opts.ruleVersion } : {}), ...(opts.stateDir ? { stateDir: opts.stateDir } : {}) });
  const reports = [];
  for (const alert of alerts) reports.push(await dataset.triage(alert));
  if (opts.markdown) return reports.map(renderMarkdown).join('\n---\n\n');
  return JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n';
}

export function registerTriageCommands(program: Command): void {
  program
    .command('triage')
    .description('triage one alert on a replay dataset (no Redis): verify, investigate, score, decide, plan')
    .argument('<alert>', 'alert JSON file (one Kibana alert, a list, or a rule action body); - for stdin')
    .requiredOption('--dataset <dir>', 'replay dataset folder: events.ndjson, assets.json, optional workflows.json')
    .option('--markdown', 'print a readable case summary instead of JSON')
    .addOption(new Option('--rule-version <version>', 'rule version to re-verify with').choices([...RULE_VERSIONS]).default(DEFAULT_RULE_VERSION))
    .option('--state-dir <dir>', 'where the replay connector records actions (default .state/replay)')
    .action(async (alertFile: string, opts: TriageCommandOptions) => {
      try {
        process.stdout.write(await runTriageCommand(alertFile, opts));
      } catch (err) {
        const e = err as Error & { code?: string };
        process.stderr.write(`${e.code ?? 'HW_ERR_TRIAGE'}: ${e.message}\n`);
        process.exitCode = 2;
      }
    });
}
