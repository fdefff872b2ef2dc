// Recognised backup, recovery, forensic and break-glass workflows (`workflows.json`). An entry names
// every field the guide requires; anything broader is refused, because an exception on reg.exe, a hive
// or a host alone would hide exactly the attacks this rule exists for.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { EcsEvent } from '../../connectors/types.js';
import { str, wildcardMatch } from './text.js';

export const WORKFLOW_FIELDS = [
  'process.executable',
  'process.code_signature.subject_name',
  'process.parent.command_line',
  'process.command_line',
  'user.id',
  'host.id',
] as const;
export type WorkflowField = (typeof WORKFLOW_FIELDS)[number];

export interface Workflow {
  name: string;
  'process.executable': string;
  'process.code_signature.subject_name': string;
  'process.parent.command_line': string;
  /** Case-insensitive pattern with `*` and `?`, as EQL's `:`. */
  'process.command_line': string;
  'user.id': string;
  'host.id': string;
}

export class WorkflowError extends Error {
  constructor(
    readonly code: 'HW_ERR_WORKFLOW_TOO_BROAD' | 'HW_ERR_WORKFLOW_INVALID' | 'HW_ERR_WORKFLOW_FILE',
    message: string,
    readonly details: { index?: number; name?: string; missing?: string[] } = {},
  ) {
    super(message);
    this.name = 'WorkflowError';
  }
}

const entrySchema = z.looseObject({ name: z.string().trim().min(1) });

const HIVE_IN_PATTERN = /(hklm|hkey_local_machine)\\(sam|security|system)\b/i;

/** Why a command-line pattern is too broad, or null. It must name the hive and a literal destination. */
function commandLineBreadth(pattern: string): string | null {
  const hive = HIVE_IN_PATTERN.exec(pattern);
  if (!hive) return 'process.command_line must name the hive it exports (e.g. hklm\\sam), not only wildcards';
  const after = pattern.slice(hive.index + hive[0].length).replace(/\/y\b|\/reg:\d+/gi, '');
  const literal = after.replace(/[*?"\s]/g, '');
  if (literal.length < 3 || !/[\\:]/.test(literal)) {
    return 'process.command_line must name the destination path after the hive (e.g. D:\\Backups\\*), not a bare wildcard';
  }
  return null;
}

/** Validates one entry; throws WorkflowError naming every missing or too-broad field. */
export function validateWorkflow(raw: unknown, index = 0): Workflow {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new WorkflowError('HW_ERR_WORKFLOW_INVALID', `workflows[${index}]: expected an object with the keys name, ${WORKFLOW_FIELDS.join(', ')}`, { index });
  }
  const parsed = entrySchema.safeParse(raw);
  const record = raw as Record<string, unknown>;
  const name = parsed.success ? parsed.data.name : undefined;
  const label = name ? `workflow "${name}" (workflows[${index}])` : `workflows[${index}]`;
  const missing: string[] = [];
  if (!parsed.success) missing.push('name');
  for (const field of WORKFLOW_FIELDS) {
    const value = record[field];
    if (typeof value !== 'string' || value.trim() === '') missing.push(field);
  }
  if (missing.length > 0) {
    throw new WorkflowError(
      'HW_ERR_WORKFLOW_TOO_BROAD',
      `${label} is too broad: it leaves out ${missing.join(', ')}. A recognised workflow must name the exact ` +
        `process.executable, process.code_signature.subject_name, process.parent.command_line, a process.command_line ` +
        `hive/destination pattern, user.id and host.id; exceptions on process.name, reg.exe, a hive or a host alone are refused.`,
      { index, ...(name ? { name } : {}), missing },
    );
  }
  const exactWildcard = WORKFLOW_FIELDS.filter((f) => f !== 'process.command_line' && /^[*?\s]+$/.test(String(record[f])));
  if (exactWildcard.length > 0) {
    throw new WorkflowError('HW_ERR_WORKFLOW_TOO_BROAD', `${label} is too broad: ${exactWildcard.join(', ')} must be an exact value, not a wildcard.`, {
      index,
      ...(name ? { name } : {}),
      missing: exactWildcard,
    });
  }
  const breadth = commandLineBreadth(String(record['process.command_line']));
  if (breadth) {
    throw new WorkflowError('HW_ERR_WORKFLOW_TOO_BROAD', `${label} is too broad: ${breadth}.`, { index, ...(name ? { name } : {}), missing: ['process.command_line'] });
  }
  const out = { name: name! } as Workflow;
  for (const field of WORKFLOW_FIELDS) out[field] = String(record[field]).trim();
  return out;
}

/** Validates a whole workflows.json document (a JSON array). */
export function parseWorkflows(raw: unknown): Workflow[] {
  if (!Array.isArray(raw)) throw new WorkflowError('HW_ERR_WORKFLOW_INVALID', 'workflows.json must hold a JSON array of workflow objects');
  return raw.map((entry, index) => validateWorkflow(entry, index));
}

/** Reads workflows.json; a missing file is an empty list, an unreadable or too-broad one an error. */
export async function loadWorkflows(file: string): Promise<Workflow[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new WorkflowError('HW_ERR_WORKFLOW_FILE', `cannot read ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new WorkflowError('HW_ERR_WORKFLOW_FILE', `${file} is not valid JSON (${(err as Error).message}); fix the file or remove it`);
  }
  return parseWorkflows(json);
}

export type DimensionState = 'match' | 'mismatch' | 'unknown';

export interface WorkflowComparison {
  workflow: Workflow;
  dimensions: Record<WorkflowField, { state: DimensionState; expected: string; actual: string | null }>;
  matched: number;
  contradicting: WorkflowField[];
  unknown: WorkflowField[];
}

/** Compares one process event with one workflow, dimension by dimension. */
export function compareWorkflow(event: EcsEvent, workflow: Workflow): WorkflowComparison {
  const dimensions = {} as WorkflowComparison['dimensions'];
  const contradicting: WorkflowField[] = [];
  const unknown: WorkflowField[] = [];
  let matched = 0;
  for (const field of WORKFLOW_FIELDS) {
    const actual = str(event, field);
    const expected = workflow[field];
    let state: DimensionState;
    if (actual === null) state = 'unknown';
    else if (field === 'process.command_line') state = wildcardMatch(expected, actual) ? 'match' : 'mismatch';
    else state = expected.toLowerCase() === actual.toLowerCase() ? 'match' : 'mismatch';
    dimensions[field] = { state, expected, actual };
    if (state === 'match') matched++;
    else if (state === 'mismatch') contradicting.push(field);
    else unknown.push(field);
  }
  return { workflow, dimensions, matched, contradicting, unknown };
}

export function matchesWorkflow(event: EcsEvent, workflow: Workflow): boolean {
  return compareWorkflow(event, workflow).matched === WORKFLOW_FIELDS.length;
}

/** The workflow closest to the event: all six dimensions, or failing that the most (at least 3, host.id among them). */
export function closestWorkflow(event: EcsEvent, workflows: Workflow[]): WorkflowComparison | null {
  let best: WorkflowComparison | null = null;
  for (const workflow of workflows) {
    const comparison = compareWorkflow(event, workflow);
    if (comparison.matched < 3) continue;
    if (comparison.dimensions['host.id'].state === 'mismatch' && comparison.matched < 5) continue;
    if (!best || comparison.matched > best.matched) best = comparison;
  }
  return best;
}

/** A pattern seen in prior alerts, offered to a human as an exception candidate. */
export interface CandidateException {
  occurrences: number;
  alertIds: string[];
  workflow: Workflow;
}

const patternCache = new WeakMap<object, { key: string; values: Record<WorkflowField, string> } | null>();

/** The six guide fields of an alert, with digits in the command line made wildcards; null when one is absent. */
function patternOf(doc: EcsEvent): { key: string; values: Record<WorkflowField, string> } | null {
  const hit = patternCache.get(doc);
  if (hit !== undefined) return hit;
  const values = {} as Record<WorkflowField, string>;
  let out: { key: string; values: Record<WorkflowField, string> } | null = null;
  let complete = true;
  for (const field of WORKFLOW_FIELDS) {
    const value = str(doc, field);
    if (value === null) complete = false;
    else values[field] = value;
  }
  if (complete) {
    // Dated or numbered output names (sam_20261114.hiv) are one pattern: digits become `?`.
    values['process.command_line'] = values['process.command_line'].replace(/[0-9]/g, '?');
    out = { key: WORKFLOW_FIELDS.map((f) => values[f].toLowerCase()).join('\u0000'), values };
  }
  patternCache.set(doc, out);
  return out;
}

/** Groups prior alerts by the six guide fields; tuples that recur at least `min` times become candidates. */
export function candidateExceptions(alerts: EcsEvent[], known: Workflow[], min: number, idOf: (doc: EcsEvent) => string): CandidateException[] {
  const groups = new Map<string, { alerts: EcsEvent[]; values: Record<WorkflowField, string> }>();
  for (const doc of alerts) {
    const pattern = patternOf(doc);
    if (!pattern) continue;
    const { key, values } = pattern;
    const group = groups.get(key) ?? { alerts: [], values };
    group.alerts.push(doc);
    groups.set(key, group);
  }
  const out: CandidateException[] = [];
  for (const group of groups.values()) {
    if (group.alerts.length < min) continue;
    if (known.some((wf) => group.alerts.every((doc) => matchesWorkflow(doc, wf)))) continue;
    const commandLine = group.values['process.command_line'];
    out.push({
      occurrences: group.alerts.length,
      alertIds: group.alerts.map(idOf).slice(0, 20),
      workflow: { name: `candidate: ${group.values['process.executable']} on ${group.values['host.id']}`, ...group.values, 'process.command_line': commandLine },
    });
  }
  return out.sort((a, b) => b.occurrences - a.occurrences);
}
