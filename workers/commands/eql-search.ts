// `hivewatch eql search`: `_eql/search` over NDJSON files searched as one index set.
//
//   eql search --query Q [options] FILE.ndjson...      prints the response `hits` as one JSON object
//   eql search --rule FILE.toml [options] FILE...      the same with a detection rule's query
//   eql search --queries Q.jsonl [options] FILE...     one JSON line per query: {"line","name"?,"hits"} or {"line","error"}
//                                                      (plus "is_partial"/"shard_failures" when an index failed)
//
// Each file is an index named after the file (`data/extra.jsonl` -> `extra`); files with the same
// name form one index. `--mapping` is given once for all files or once per file, in file order.
// A line of the form `{"_index","_id","_source"}` (an exported hit) keeps its `_index`/`_id`;
// other documents get `_id` "1", "2", ... in indexing order within their index.
// Exit codes: 0 ok (with or without hits), 2 on any error (usage, unreadable input, bad mapping,
// bad query, or - in batch form - any line that failed). Malformed input lines are reported on
// stderr and skipped.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import type { Query } from '../../detection/eql/ast.js';
import { buildIndexSet, indexNameForFile, parseNdjson, type IndexSet } from '../../detection/eql/index-set.js';
import { parseMapping, type MappingInfo } from '../../detection/eql/mapping.js';
import { parseQuery } from '../../detection/eql/parser.js';
import { loadRule } from '../../detection/rules/load.js';
import { searchResponse, type SearchRequest } from '../../detection/eql/search.js';

export interface SearchCliOptions {
  query?: string;
  rule?: string;
  queries?: string;
  size?: string;
  fetchSize?: string;
  timestampField?: string;
  tiebreakerField?: string;
  eventCategoryField?: string;
  resultPosition?: string;
  maxSamplesPerKey?: string;
  allowPartialSequenceResults?: boolean;
  mapping?: string[];
}

class UsageError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError('HW_ERR_EQL_SEARCH_USAGE', `--${name} must be a non-negative integer, got "${v}"`);
  return Number(v);
}

/** The request options given on the command line (batch lines override them). */
function baseRequest(opts: SearchCliOptions): SearchRequest {
  const req: SearchRequest = {};
  const size = intOption('size', opts.size);
  if (size !== undefined) req.size = size;
  const fetch = intOption('fetch-size', opts.fetchSize);
  if (fetch !== undefined) req.fetch_size = fetch;
  const msk = intOption('max-samples-per-key', opts.maxSamplesPerKey);
  if (msk !== undefined) req.max_samples_per_key = msk;
  if (opts.timestampField !== undefined) req.timestamp_field = opts.timestampField;
  if (opts.tiebreakerField !== undefined) req.tiebreaker_field = opts.tiebreakerField;
  if (opts.eventCategoryField !== undefined) req.event_category_field = opts.eventCategoryField;
  if (opts.resultPosition !== undefined) {
    if (opts.resultPosition !== 'head' && opts.resultPosition !== 'tail') {
      throw new UsageError('HW_ERR_EQL_SEARCH_USAGE', `--result-position must be head or tail, got "${opts.resultPosition}"`);
    }
    req.result_position = opts.resultPosition;
  }
  if (opts.allowPartialSequenceResults) req.allow_partial_sequence_results = true;
  return req;
}

function readMapping(file: string): MappingInfo {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError('HW_ERR_EQL_MAPPING', `cannot read mapping ${file}: ${(err as Error).message}`);
  }
  return parseMapping(json, file);
}

/** Loads the files (and their mappings) as one index set; malformed lines go to `err`. */
export function loadIndexSet(files: readonly string[], mappingFiles: readonly string[], err: NodeJS.WritableStream): IndexSet {
  if (files.length === 0) throw new UsageError('HW_ERR_EQL_SEARCH_USAGE', 'give at least one NDJSON file to search');
  if (mappingFiles.length > 1 && mappingFiles.length !== files.length) {
    throw new UsageError(
      'HW_ERR_EQL_SEARCH_USAGE',
      `got ${mappingFiles.length} --mapping files for ${files.length} data files; give one mapping for all files or one per file, in file order`,
    );
  }
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('HW_ERR_EQL_SEARCH_USAGE', 'stdin (-) can be given only once');
  const mappings = mappingFiles.map(readMapping);
  return buildIndexSet(
    files.map((file, i) => {
      let text: string;
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8');
      } catch (e) {
        throw new UsageError('HW_ERR_EQL_INPUT', `cannot read ${file}: ${(e as Error).message}`);
      }
      const { docs, problems } = parseNdjson(text);
      for (const p of problems) err.write(`HW_ERR_EQL_INPUT: ${file}:${p.line}: ${p.message}; skipped\n`);
      return { index: indexNameForFile(file), docs, mapping: mappings.length === 1 ? mappings[0] : mappings[i] };
    }),
  );
}

/** One batch line: `query` plus, optionally, `name` and `_eql/search` options (`tiebreaker` is accepted for `tiebreaker_field`). */
const batchLineSchema = z
  .object({
    query: z.string().min(1),
    name: z.string().optional(),
    size: z.number().optional(),
    fetch_size: z.number().optional(),
    timestamp_field: z.string().optional(),
    tiebreaker_field: z.string().optional(),
    tiebreaker: z.string().optional(),
    event_category_field: z.string().optional(),
    result_position: z.string().optional(),
    max_samples_per_key: z.number().optional(),
    allow_partial_search_results: z.boolean().optional(),
    allow_partial_sequence_results: z.boolean().optional(),
    case_sensitive: z.boolean().optional(),
  })
  .loose();

const REQUEST_KEYS = [
  'size',
  'fetch_size',
  'timestamp_field',
  'tiebreaker_field',
  'event_category_field',
  'result_position',
  'max_samples_per_key',
  'allow_partial_search_results',
  'allow_partial_sequence_results',
  'case_sensitive',
] as const;

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' && !msg.startsWith(e.code) ? `${e.code}: ${msg}` : msg;
}

/** Runs every line of a queries file; returns whether all lines succeeded. */
export function runBatch(text: string, set: IndexSet, base: SearchRequest, out: (line: string) => void): boolean {
  let ok = true;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const lineNo = i + 1;
    let name: string | undefined;
    try {
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch (e) {
        throw new UsageError('HW_ERR_EQL_INPUT', `not valid JSON (${(e as Error).message})`);
      }
      const parsed = batchLineSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new UsageError('HW_ERR_EQL_INPUT', `field "${issue?.path.join('.') || '(line)'}": ${issue?.message}; each line needs at least {"query": "..."}`);
      }
      const line = parsed.data;
      name = line.name;
      const req: Record<string, unknown> = { ...base };
      if (line.tiebreaker !== undefined) req.tiebreaker_field = line.tiebreaker;
      for (const k of REQUEST_KEYS) if (line[k] !== undefined) req[k] = line[k];
      const res = searchResponse(parseQuery(line.query), set, req as SearchRequest);
      const o: Record<string, unknown> = name === undefined ? { line: lineNo, hits: res.hits } : { line: lineNo, name, hits: res.hits };
      // Like the API, a partial result says so (an index failed: see search.ts on runtime fields).
      if (res.is_partial) Object.assign(o, { is_partial: true, shard_failures: res.shard_failures });
      out(JSON.stringify(o));
    } catch (err) {
      ok = false;
      out(JSON.stringify(name === undefined ? { line: lineNo, error: describe(err) } : { line: lineNo, name, error: describe(err) }));
    }
  }
  return ok;
}

/** The command's work, with its exit code (0 ok, 2 error). */
export function runEqlSearch(
  opts: SearchCliOptions,
  files: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): number {
  try {
    const given = [opts.query, opts.rule, opts.queries].filter((x) => x !== undefined).length;
    if (given !== 1) {
      throw new UsageError('HW_ERR_EQL_SEARCH_USAGE', 'give exactly one of --query Q, --rule FILE.toml or --queries Q.jsonl');
    }
    const base = baseRequest(opts);
    if (opts.query !== undefined || opts.rule !== undefined) {
      const query: Query = opts.rule !== undefined ? loadRule(opts.rule).ast : parseQuery(opts.query!);
      const set = loadIndexSet(files, opts.mapping ?? [], err);
      const res = searchResponse(query, set, base);
      for (const f of res.shard_failures) err.write(`HW_WARN_EQL_PARTIAL: index [${f.index}] left out: ${f.reason}\n`);
      out.write(JSON.stringify(res.hits) + '\n');
      return 0;
    }
    let text: string;
    try {
      text = readFileSync(opts.queries!, 'utf8');
    } catch (e) {
      throw new UsageError('HW_ERR_EQL_INPUT', `cannot read ${opts.queries}: ${(e as Error).message}`);
    }
    const set = loadIndexSet(files, opts.mapping ?? [], err);
    const chunks: string[] = [];
    const ok = runBatch(text, set, base, (l) => chunks.push(l));
    out.write(chunks.length ? chunks.join('\n') + '\n' : '');
    return ok ? 0 : 2;
  } catch (e) {
    err.write(describe(e) + '\n');
    return 2;
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerEqlSearch(eql: Command): void {
  eql
    .command('search')
    .description(
      "run an EQL query (event, sequence or sample, with pipes) the way Elasticsearch's _eql/search would over an index " +
        'holding the files\' events; prints the response `hits` ({events} or {sequences: [{join_keys, events}]}). ' +
        'Exit 0 ok (even with no hits), 2 on error.',
    )
    .option('--query <eql>', 'the EQL query')
    .option('--rule <file>', 'a detection-rules TOML file whose [rule].query is run')
    .option('--queries <file>', 'JSON lines, each {"query", "name"?, "size"?, "tiebreaker"?, "case_sensitive"?, ...}: prints one JSON line per query')
    .option('--size <n>', 'maximum number of events / sequences / samples (ES default 10)')
    .option('--fetch-size <n>', 'ES fetch_size (sequence paging; does not change results)')
    .option('--timestamp-field <field>', 'timestamp field (default @timestamp)')
    .option('--tiebreaker-field <field>', 'field that orders events with equal timestamps')
    .option('--event-category-field <field>', 'event category field (default event.category)')
    .addOption(new Option('--result-position <pos>', 'with more results than --size, keep the first (head) or the last (tail, ES default)').choices(['head', 'tail']))
    .option('--max-samples-per-key <n>', 'samples per join key (default 1)')
    .option('--allow-partial-sequence-results', 'return sequences even when part of the index set failed')
    .option('--mapping <file>', 'Elasticsearch mapping JSON; once for all files or once per file (repeat)', collect)
    .argument('<files...>', 'NDJSON files (- reads stdin); each file is an index named after it')
    .action((files: string[], opts: SearchCliOptions) => {
      process.exitCode = runEqlSearch(opts, files);
    });
}
