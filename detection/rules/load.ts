// Loads a detection-rules TOML file into a validated rule with its parsed (and checked) EQL query.
// Errors are RuleError with a stable code, the file, and where possible the line and column in the
// file: a query syntax error points at the offending token inside the TOML file itself.
//   HW_ERR_RULE_READ     the file cannot be read
//   HW_ERR_RULE_TOML     the file is not valid TOML
//   HW_ERR_RULE_INVALID  a field is missing or has the wrong type (the message names it)
//   HW_ERR_RULE_QUERY    the EQL query does not parse or Elasticsearch would reject it
// `version` is read from `[rule]` or `[metadata]`, whichever the file has (upstream keeps it in
// version.lock.json; older files and ours write it in the TOML).
import { readFileSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { Query } from '../eql/ast.js';
import { EqlError } from '../eql/errors.js';
import { parseQuery } from '../eql/parser.js';
import { ruleFileSchema, type Investigate, type Threat } from './schema.js';

export type RuleErrorCode = 'HW_ERR_RULE_READ' | 'HW_ERR_RULE_TOML' | 'HW_ERR_RULE_INVALID' | 'HW_ERR_RULE_QUERY';

export class RuleError extends Error {
  readonly code: RuleErrorCode;
  readonly file: string;
  /** Position in the file (1-based) when known. */
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** The offending field, dotted (`rule.risk_score`), when the error is about one. */
  readonly field: string | undefined;
  /** For HW_ERR_RULE_QUERY: the EQL error, with its position inside the query text. */
  readonly eqlError: EqlError | undefined;

  constructor(
    code: RuleErrorCode,
    file: string,
    reason: string,
    opts: { line?: number; column?: number; field?: string; eqlError?: EqlError } = {},
  ) {
    const where = opts.line !== undefined ? `${file}:${opts.line}:${opts.column ?? 1}` : file;
    super(`${code}: ${where}: ${reason}`);
    this.name = 'RuleError';
    this.code = code;
    this.file = file;
    this.line = opts.line;
    this.column = opts.column;
    this.field = opts.field;
    this.eqlError = opts.eqlError;
  }
}

export interface DetectionRule {
  file: string;
  ruleId: string;
  name: string;
  description: string | undefined;
  language: 'eql';
  query: string;
  ast: Query;
  index: string[];
  riskScore: number;
  severity: 'low' | 'medium' | 'high' | 'critical';
  version: number | undefined;
  threat: Threat[];
  /** The note as stored, with `$investigate_N` placeholders (see renderNote). */
  note: string | undefined;
  tags: string[];
  from: string | undefined;
  interval: string | undefined;
  maxSignals: number | undefined;
  timestampOverride: string | undefined;
  investigationFields: string[];
  investigate: Investigate[];
  osquery: Record<string, unknown>[];
  metadata: Record<string, unknown>;
}

/** Maps an offset in the query text to a line/column in the file, when the query is stored verbatim. */
function queryOrigin(text: string, query: string): number | undefined {
  const re = /^[ \t]*query[ \t]*=[ \t]*('''|"""|'|")/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    let start = m.index + m[0].length;
    const quote = m[1] as string;
    if (quote.length === 3) {
      // TOML trims a newline right after a multi-line opener.
      if (text.startsWith('\r\n', start)) start += 2;
      else if (text[start] === '\n') start += 1;
    }
    if (text.startsWith(query, start)) return start;
  }
  return undefined;
}

function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function offsetOf(query: string, line: number, column: number): number {
  let off = 0;
  for (let l = 1; l < line; l++) {
    const nl = query.indexOf('\n', off);
    if (nl === -1) break;
    off = nl + 1;
  }
  return off + column - 1;
}

/** Parses a rule from TOML text; `file` names it in errors. */
export function parseRule(text: string, file = '<rule>'): DetectionRule {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0] ?? 'invalid TOML';
      throw new RuleError('HW_ERR_RULE_TOML', file, `${first}; fix the TOML syntax`, { line: err.line, column: err.column });
    }
    throw err;
  }
  const parsed = ruleFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.map(String).join('.') : '';
    const missing = issue?.code === 'invalid_type' && /received undefined/.test(issue.message);
    const reason = issue
      ? `${field || '(file)'}: ${missing ? 'is required but missing' : issue.message}`
      : 'the file does not look like a detection-rules TOML file';
    throw new RuleError('HW_ERR_RULE_INVALID', file, `${reason}; fix that field (see detection-rules' schema)`, { field });
  }
  const data = parsed.data;
  const r = data.rule;
  let ast: Query;
  try {
    ast = parseQuery(r.query);
  } catch (err) {
    if (!(err instanceof EqlError)) throw err;
    const origin = queryOrigin(text, r.query);
    const pos = origin === undefined ? undefined : positionAt(text, origin + offsetOf(r.query, err.line, err.column));
    const reason = `rule.query: ${err.message}${pos ? '' : ' (position inside the query)'}; fix the EQL query`;
    throw new RuleError('HW_ERR_RULE_QUERY', file, reason, {
      line: pos?.line,
      column: pos?.column,
      field: 'rule.query',
      eqlError: err,
    });
  }
  const metadata = (data.metadata ?? {}) as Record<string, unknown>;
  return {
    file,
    ruleId: r.rule_id,
    name: r.name,
    description: r.description,
    language: 'eql',
    query: r.query,
    ast,
    index: r.index ?? [],
    riskScore: r.risk_score,
    severity: r.severity,
    version: r.version ?? data.metadata?.version,
    threat: r.threat ?? [],
    note: r.note,
    tags: r.tags ?? [],
    from: r.from,
    interval: r.interval,
    maxSignals: r.max_signals,
    timestampOverride: r.timestamp_override,
    investigationFields: r.investigation_fields?.field_names ?? [],
    investigate: data.transform?.investigate ?? [],
    osquery: data.transform?.osquery ?? [],
    metadata,
  };
}

/** Reads and parses a rule file. */
export function loadRule(path: string): DetectionRule {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new RuleError('HW_ERR_RULE_READ', path, `cannot read the rule file (${why}); check the path`);
  }
  return parseRule(text, path);
}

// Python's json.dumps(sort_keys=True, separators=(',', ':')), as detection-rules renders transforms.
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(obj[k])}`).join(',')}}`;
  }
  // Python escapes non-ASCII by default (ensure_ascii=True).
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One investigate transform as Kibana's note markup: `!{investigate{...}}`. */
export function renderInvestigate(inv: Investigate): string {
  return `!{investigate${sortedJson(inv)}}`;
}

/**
 * The note as Kibana receives it: each `$investigate_N` / `$osquery_N` (or `${...}`) replaced by the
 * N-th transform of that kind, like detection-rules' build step (string.Template.safe_substitute:
 * unknown placeholders stay as written, `$$` is a literal `$`).
 */
export function renderNote(
  rule: Pick<DetectionRule, 'note' | 'investigate'> & { osquery?: Record<string, unknown>[] },
): string | undefined {
  if (rule.note === undefined) return undefined;
  const re = /\$(?:\$|(investigate|osquery)_(\d+)\b|\{(investigate|osquery)_(\d+)\})/g;
  return rule.note.replace(re, (m, k1?: string, n1?: string, k2?: string, n2?: string) => {
    if (m === '$$') return '$';
    const kind = k1 ?? k2;
    const n = Number(n1 ?? n2);
    if (kind === 'investigate') {
      const inv = rule.investigate[n];
      return inv ? renderInvestigate(inv) : m;
    }
    const os = rule.osquery?.[n];
    return os ? `!{osquery${sortedJson(os)}}` : m;
  });
}
