// `hivewatch eql parse`: checks EQL the way Elasticsearch would accept it.
//   --query Q          exit 0 if valid, else exit 2 with the error on stderr
//   --rule FILE.toml   the same for a detection-rules file (its TOML, fields and query)
//   --queries Q.jsonl  one `{"line","ok","error"?}` JSON line per input line (blank lines skipped,
//                      numbering 1-based over all lines); exit 0 only if all parse
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EqlError } from '../../detection/eql/errors.js';
import { parseQuery } from '../../detection/eql/parser.js';
import { printQuery } from '../../detection/eql/printer.js';
import { loadRule, RuleError } from '../../detection/rules/load.js';

interface ParseOptions {
  query?: string;
  rule?: string;
  queries?: string;
  print?: boolean;
  ast?: boolean;
}

/** The error with the offending query line and a caret under the column. */
function explain(err: EqlError, query: string): string {
  const src = query.split('\n')[err.line - 1];
  if (src === undefined) return `${err.code}: ${err.message}`;
  const caret = ' '.repeat(Math.max(0, err.column - 1)) + '^';
  return `${err.code}: ${err.message}\n  ${src.replace(/\t/g, ' ')}\n  ${caret}`;
}

function readInput(path: string): string {
  return readFileSync(path === '-' ? 0 : path, 'utf8');
}

function report(q: ReturnType<typeof parseQuery>, opts: ParseOptions): void {
  if (opts.ast) process.stdout.write(JSON.stringify(q) + '\n');
  if (opts.print) process.stdout.write(printQuery(q) + '\n');
}

function runBatch(path: string): number {
  let text: string;
  try {
    text = readInput(path);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    process.stderr.write(`HW_ERR_EQL_INPUT: cannot read --queries ${path} (${why}); check the path\n`);
    return 2;
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let allOk = true;
  const out: string[] = [];
  lines.forEach((raw, i) => {
    const line = i + 1;
    // A blank line holds no query: nothing to report (line numbers still count it).
    if (raw.trim() === '') return;
    let query: unknown;
    try {
      query = (JSON.parse(raw) as { query?: unknown } | null)?.query;
    } catch {
      allOk = false;
      out.push(JSON.stringify({ line, ok: false, error: 'HW_ERR_EQL_INPUT: the line is not JSON; write one {"query": "..."} object per line' }));
      return;
    }
    if (typeof query !== 'string') {
      allOk = false;
      out.push(JSON.stringify({ line, ok: false, error: 'HW_ERR_EQL_INPUT: the line has no string "query" field; add one' }));
      return;
    }
    try {
      parseQuery(query);
      out.push(JSON.stringify({ line, ok: true }));
    } catch (err) {
      if (!(err instanceof EqlError)) throw err;
      allOk = false;
      out.push(JSON.stringify({ line, ok: false, error: `${err.code}: ${err.message}` }));
    }
  });
  process.stdout.write(out.length ? out.join('\n') + '\n' : '');
  return allOk ? 0 : 2;
}

/** Runs `eql parse`; returns the exit code. */
export function runEqlParse(opts: ParseOptions): number {
  const given = [opts.query !== undefined, opts.rule !== undefined, opts.queries !== undefined].filter(Boolean).length;
  if (given !== 1) {
    process.stderr.write('HW_ERR_EQL_USAGE: give exactly one of --query, --rule or --queries (see --help)\n');
    return 2;
  }
  if (opts.queries !== undefined) return runBatch(opts.queries);
  if (opts.rule !== undefined) {
    try {
      const rule = loadRule(opts.rule);
      report(rule.ast, opts);
      return 0;
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      process.stderr.write(err.message + '\n');
      return 2;
    }
  }
  const query = opts.query as string;
  try {
    report(parseQuery(query), opts);
    return 0;
  } catch (err) {
    if (!(err instanceof EqlError)) throw err;
    process.stderr.write(explain(err, query) + '\n');
    return 2;
  }
}

export function registerEqlParse(eql: Command): void {
  eql
    .command('parse')
    .description(
      'check EQL syntax and semantics as Elasticsearch accepts them: exit 0 if valid, ' +
        'exit 2 with the error (code, line:column, what was expected) on stderr',
    )
    .option('-q, --query <eql>', 'the EQL query text to check')
    .option('-r, --rule <file.toml>', 'a detection-rules TOML file: checks its fields and its query')
    .option(
      '--queries <file.jsonl>',
      'batch mode: one JSON object with a "query" per line ("-" for stdin); prints one ' +
        '{"line","ok","error"?} JSON line per input line and exits 0 only if every query parses',
    )
    .option('--print', 'on success, print the query back in canonical form')
    .option('--ast', 'on success, print the AST as JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ hivewatch eql parse --query 'process where process.name : "reg.exe"'
  $ hivewatch eql parse --rule playbooks/hive-dump/rule-v318.toml
  $ hivewatch eql parse --queries rules.jsonl > results.jsonl`,
    )
    .action((opts: ParseOptions) => {
      process.exitCode = runEqlParse(opts);
    });
}
