// `hivewatch eql match --query Q | --rule FILE.toml FILE.ndjson|-`: grep for events. Prints every input line
// whose event matches the query's condition, byte for byte as it was read, in input order.
//
// Exit codes (like grep): 0 some event matched, 1 none did, 2 on an error (bad options, unreadable input,
// invalid query, an evaluation error ES would fail the query on). A malformed line (not JSON, or not a JSON
// object) is reported on stderr with its line number and skipped; it does not change the exit code.
//
// Decisions:
// - Sequence and sample queries need an ordered index and a state machine, not a per-line test: `match`
//   rejects them (exit 2) and points to `eql search`.
// - `| head N` / `| tail N` on an event query apply to the matches in INPUT order (not timestamp order, which
//   `eql search` uses): head stops reading after N matches, tail keeps the last N.
// - No raw-line prefilter: reporting malformed lines means every line is JSON-parsed anyway, and the
//   compiled predicate costs a small fraction of that parse.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { Option, type Command } from 'commander';
import type { EventQuery, Query } from '../../detection/eql/ast.js';
import { compileFilter, type Predicate } from '../../detection/eql/compile.js';
import { EqlError } from '../../detection/eql/errors.js';
import { EqlEvalError } from '../../detection/eql/eval-error.js';
import { parseQuery } from '../../detection/eql/parser.js';
import { loadRule, RuleError } from '../../detection/rules/load.js';

export interface MatchOptions {
  query?: string;
  rule?: string;
  eventCategoryField?: string;
}

class UsageError extends Error {
  constructor(readonly code: string, message: string) {
    super(`${code}: ${message}`);
  }
}

function loadQuery(opts: MatchOptions): Query {
  if ((opts.query === undefined) === (opts.rule === undefined)) {
    throw new UsageError('HW_ERR_EQL_MATCH_USAGE', 'give exactly one of --query Q or --rule FILE.toml');
  }
  if (opts.rule !== undefined) return loadRule(opts.rule).ast;
  return parseQuery(opts.query!);
}

/**
 * `| head N` / `| tail N` over the matches in input order, split into what streaming can do: stop after
 * `head` matches (the heads before any tail), keep the last `tail` (the first tail), then apply the rest.
 */
export interface MatchLimits {
  head: number;
  tail: number;
  after: Array<{ name: 'head' | 'tail'; n: number }>;
}

function pipeLimits(q: EventQuery): MatchLimits {
  const limits: MatchLimits = { head: Infinity, tail: Infinity, after: [] };
  for (const p of q.pipes) {
    const arg = p.args[0];
    const n = arg?.type === 'literal' && typeof arg.value === 'number' ? arg.value : NaN;
    if ((p.name !== 'head' && p.name !== 'tail') || !Number.isInteger(n) || n < 0) {
      throw new UsageError('HW_ERR_EQL_MATCH_PIPE', `eql match supports only "| head N" and "| tail N"; remove "| ${p.name}" or use eql search`);
    }
    if (limits.tail !== Infinity) limits.after.push({ name: p.name, n });
    else if (p.name === 'head') limits.head = Math.min(limits.head, n);
    else limits.tail = n;
  }
  return limits;
}

const NEWLINE = Buffer.from('\n');

export interface MatchStats {
  lines: number;
  matched: number;
  malformed: number;
}

/**
 * Streams NDJSON from `input`, writing each matching line's original bytes to `out` and a note per malformed
 * line to `err`. Stops early once `head` matches were written.
 *
 * Each chunk is decoded once up to its last newline (a newline byte never sits inside a UTF-8 sequence) and
 * split as a string; the original bytes of a matching line are found by a parallel newline scan of the
 * buffer, skipped when the chunk decoded one char per byte (then the offsets coincide).
 */
export async function matchStream(
  input: Readable,
  predicate: Predicate,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  limits: MatchLimits = { head: Infinity, tail: Infinity, after: [] },
): Promise<MatchStats> {
  let kept: Buffer[] = [];
  const stats: MatchStats = { lines: 0, matched: 0, malformed: 0 };
  const keepAll = limits.tail !== Infinity;
  let carry: Buffer | null = null;
  let done = false;
  let pending: Buffer[] = [];

  const write = async (parts: Buffer[]): Promise<void> => {
    if (parts.length === 0) return;
    if (!out.write(Buffer.concat(parts))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };

  /** Handles one line: text[from, to) and its bytes buf[bFrom, bTo). */
  const onLine = (text: string, from: number, to: number, buf: Buffer, bFrom: number, bTo: number): void => {
    stats.lines++;
    let end = to;
    if (end > from && text.charCodeAt(end - 1) === 13) end--; // CRLF input
    if (end === from) return;
    const line = text.slice(from, end);
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch (error) {
      if (line.trim() === '') return;
      stats.malformed++;
      err.write(`HW_ERR_EQL_INPUT: line ${stats.lines}: not valid JSON (${(error as Error).message}); skipped\n`);
      return;
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      stats.malformed++;
      err.write(`HW_ERR_EQL_INPUT: line ${stats.lines}: not a JSON object; skipped\n`);
      return;
    }
    if (!predicate(doc)) return;
    stats.matched++;
    const bytes = buf.subarray(bFrom, bTo);
    if (keepAll) {
      kept.push(Buffer.from(bytes));
      // Trim in batches so a long tail stays linear.
      if (kept.length >= 2 * limits.tail + 1024) kept = kept.slice(kept.length - limits.tail);
    } else pending.push(bytes, NEWLINE);
    if (stats.matched >= limits.head) done = true;
  };

  const onChunk = (buf: Buffer, last: number): void => {
    const text = buf.toString('utf8', 0, last);
    const oneToOne = text.length === last;
    let pos = 0;
    let bpos = 0;
    while (pos < text.length && !done) {
      let nl = text.indexOf('\n', pos);
      if (nl === -1) nl = text.length;
      let bnl = nl;
      if (!oneToOne) {
        bnl = buf.indexOf(10, bpos);
        if (bnl === -1 || bnl > last) bnl = last;
      }
      onLine(text, pos, nl, buf, bpos, bnl);
      pos = nl + 1;
      bpos = bnl + 1;
    }
  };

  for await (const chunk of input as AsyncIterable<Buffer>) {
    const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = null;
    const nl = buf.lastIndexOf(10);
    if (nl === -1) {
      carry = buf;
      continue;
    }
    onChunk(buf, nl + 1);
    if (nl + 1 < buf.length) carry = buf.subarray(nl + 1);
    const parts = pending;
    pending = [];
    await write(parts);
    if (done) break;
  }
  if (carry && carry.length > 0 && !done) {
    onChunk(carry, carry.length);
    await write(pending);
    pending = [];
  }
  if (input.destroy) input.destroy();
  if (keepAll) {
    kept = kept.slice(Math.max(0, kept.length - limits.tail));
    for (const p of limits.after) kept = p.name === 'head' ? kept.slice(0, p.n) : kept.slice(Math.max(0, kept.length - p.n));
    await write(kept.flatMap((line) => [line, NEWLINE]));
  }
  return stats;
}

/** Runs `eql match`; returns the exit code. */
export async function runEqlMatch(opts: MatchOptions, file: string): Promise<number> {
  let predicate: Predicate;
  let limits: MatchLimits;
  try {
    const q = loadQuery(opts);
    if (q.type !== 'event_query') {
      throw new UsageError(
        'HW_ERR_EQL_MATCH_SEQUENCE',
        `eql match tests one event at a time and cannot run a ${q.type} query; use: hivewatch eql search --query Q FILE.ndjson`,
      );
    }
    limits = pipeLimits(q);
    predicate = compileFilter(q.filter, opts.eventCategoryField ? { eventCategoryField: opts.eventCategoryField } : {});
  } catch (error) {
    if (error instanceof EqlError) process.stderr.write(`${error.code}: ${error.message}\n`);
    else if (error instanceof RuleError || error instanceof UsageError || error instanceof EqlEvalError) process.stderr.write(`${error.message}\n`);
    else throw error;
    return 2;
  }
  if (limits.head === 0) return 1;
  const input: Readable = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  const opened = new Promise<string | null>((resolve) => {
    input.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // A closed pipe (`| head`) ends the run quietly, as grep does.
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  try {
    const stats = await Promise.race([
      matchStream(input, predicate, process.stdout, process.stderr, limits),
      opened.then((why) => {
        throw new UsageError('HW_ERR_EQL_INPUT', `cannot read ${file} (${why}); check the path`);
      }),
    ]);
    return stats.matched > 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError || error instanceof EqlEvalError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    const e = error as NodeJS.ErrnoException;
    if (e.code) {
      process.stderr.write(`HW_ERR_EQL_INPUT: cannot read ${file} (${e.code}); check the path\n`);
      return 2;
    }
    throw error;
  }
}

export function registerEqlMatch(eql: Command): void {
  eql
    .command('match')
    .description(
      'print every NDJSON event the query matches (original lines, input order); exit 0 on a match, 1 on none, 2 on error. ' +
        'Event queries only: use `eql search` for sequence/sample queries. `| head N`/`| tail N` count matches in input order.',
    )
    .option('--query <eql>', 'the EQL query (an event query: category where condition)')
    .option('--rule <file>', 'a detection-rules TOML file whose [rule].query is used')
    .addOption(new Option('--event-category-field <field>', 'field holding the event category').default(undefined))
    .argument('<file>', 'NDJSON events, one JSON object per line; - reads stdin')
    .action(async (file: string, opts: MatchOptions) => {
      process.exitCode = await runEqlMatch(opts, file);
    });
}
