// Elasticsearch's own EQL QA suite (../shared/corpus/es-eql-qa), run the way its harness runs it
// (README §3): per index set, through the real `hivewatch eql search --queries` CLI, one `it` per
// query row and run, asserting the exact ids in the exact order (any listed alternative), the
// join keys where the row has them, and whether shard failures are reported (test_failing_shards). Rows in qa-known-failures.json must fail (so the list only
// shrinks); every other row must pass.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const qaDir = path.resolve(repo, '../shared/corpus/es-eql-qa');

interface QaRun {
  index: string;
  data_files: string[];
  tiebreaker: string | null;
  id_field: string;
}

interface QaRow {
  file: string;
  name: string;
  query: string;
  expected_alternatives: number[][];
  join_keys?: (string | null)[];
  size?: number;
  max_samples_per_key?: number;
  allow_partial_search_results?: boolean;
  allow_partial_sequence_results?: boolean;
  expect_shard_failures?: boolean;
  runs: QaRun[];
  request: { size: number; event_category_field: string; timestamp_field: string };
}

interface KnownFailure {
  name: string;
  /** Only this run (index) is expected to fail; all runs when absent. */
  index?: string;
  reason: string;
}

const rows: QaRow[] = readFileSync(path.join(qaDir, 'queries.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as QaRow);
const known: KnownFailure[] = JSON.parse(readFileSync(path.join(import.meta.dirname, 'qa-known-failures.json'), 'utf8'));

function knownFailure(row: QaRow, r: QaRun): KnownFailure | undefined {
  return known.find((k) => k.name === row.name && (k.index === undefined || k.index === r.index));
}

// The harness picks result_position and fetch_size at random; results must not depend on them.
// A fixed hash of the name keeps runs reproducible while covering both positions.
function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

interface Group {
  key: string;
  run: QaRun;
  members: { row: QaRow; line: number }[];
  results?: Map<number, { hits?: { events?: Ev[]; sequences?: { join_keys: unknown[]; events: Ev[] }[] }; error?: string; shard_failures?: unknown[] }>;
  failure?: string;
}

type Ev = { missing?: boolean; _source?: Record<string, unknown> };

const groups = new Map<string, Group>();
for (const row of rows) {
  for (const r of row.runs) {
    const key = `${r.index}|${r.data_files.join(',')}|${r.tiebreaker ?? ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, run: r, members: [] }));
    g.members.push({ row, line: g.members.length + 1 });
  }
}

const tmp = mkdtempSync(path.join(tmpdir(), 'hw-eql-qa-'));

async function runGroup(g: Group): Promise<void> {
  const lines = g.members.map(({ row }) => {
    const size = row.size ?? row.request.size;
    const h = hash(row.name);
    const line: Record<string, unknown> = {
      name: row.name,
      query: row.query,
      size,
      fetch_size: 2 + (h % Math.max(1, size - 1)),
      result_position: h % 2 === 0 ? 'head' : 'tail',
    };
    if (g.run.tiebreaker) line.tiebreaker = g.run.tiebreaker;
    if (row.max_samples_per_key !== undefined && row.max_samples_per_key > 0) line.max_samples_per_key = row.max_samples_per_key;
    if (row.allow_partial_search_results !== undefined) line.allow_partial_search_results = row.allow_partial_search_results;
    if (row.allow_partial_sequence_results !== undefined) line.allow_partial_sequence_results = row.allow_partial_sequence_results;
    return JSON.stringify(line);
  });
  const qfile = path.join(tmp, `${hash(g.key)}.jsonl`);
  writeFileSync(qfile, lines.join('\n') + '\n');
  const args = ['bin/hivewatch.js', 'eql', 'search', '--queries', qfile, '--timestamp-field', '@timestamp', '--event-category-field', 'event.category'];
  for (const f of g.run.data_files) {
    const index = path.basename(f).replace(/\.jsonl$/, '');
    args.push('--mapping', path.join(qaDir, 'mappings', `${index}.json`));
  }
  args.push(...g.run.data_files.map((f) => path.join(qaDir, f)));
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, args, { cwd: repo, maxBuffer: 64 << 20 }));
  } catch (err) {
    // Exit 2 when some line failed: its output still holds every line's result.
    const e = err as { stdout?: string; stderr?: string; code?: number };
    if (e.code !== 2 || !e.stdout) {
      g.failure = `CLI failed (exit ${e.code}): ${e.stderr ?? String(err)}`;
      return;
    }
    stdout = e.stdout;
  }
  g.results = new Map();
  for (const l of stdout.split('\n')) {
    if (l.trim() === '') continue;
    const o = JSON.parse(l) as { line: number };
    g.results.set(o.line, o as never);
  }
}

beforeAll(async () => {
  await Promise.all([...groups.values()].map(runGroup));
}, 300_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Why this row's result is wrong, or null when it is right. */
function verdict(g: Group, row: QaRow, line: number): string | null {
  if (g.failure) return g.failure;
  const res = g.results?.get(line);
  if (!res) return 'no output line for this query';
  if (res.error !== undefined) return `error: ${res.error}`;
  const hits = res.hits ?? {};
  const events: Ev[] = hits.events ?? (hits.sequences ?? []).flatMap((s) => s.events);
  const ids = events.map((e) => (e.missing ? -1 : Number(e._source?.[g.run.id_field])));
  const want = row.expected_alternatives;
  if (!want.some((alt) => alt.length === ids.length && alt.every((v, i) => v === ids[i]))) {
    return `ids ${JSON.stringify(ids)}, expected ${want.map((a) => JSON.stringify(a)).join(' or ')}`;
  }
  if (row.expect_shard_failures !== undefined && row.expect_shard_failures !== (res.shard_failures !== undefined)) {
    return `shard failures ${res.shard_failures ? 'reported' : 'not reported'}, expected ${row.expect_shard_failures ? '' : 'none'}`;
  }
  if (row.join_keys !== undefined) {
    const got = (hits.sequences ?? []).flatMap((s) => s.join_keys.map((k) => String(k)));
    const exp = row.join_keys.map((k) => String(k));
    if (JSON.stringify(got) !== JSON.stringify(exp)) return `join_keys ${JSON.stringify(got)}, expected ${JSON.stringify(exp)}`;
  }
  return null;
}

describe('Elasticsearch EQL QA suite through `eql search --queries`', () => {
  for (const g of groups.values()) {
    describe(`${g.run.index} (${g.run.data_files.join(', ')})`, () => {
      for (const { row, line } of g.members) {
        const kf = knownFailure(row, g.run);
        it(`${row.file}: ${row.name}${kf ? ' [known failure]' : ''}`, () => {
          const why = verdict(g, row, line);
          if (kf) {
            expect(why, `listed in qa-known-failures.json but now passes: remove it (${kf.reason})`).not.toBeNull();
          } else {
            expect(why, `query: ${row.query}`).toBeNull();
          }
        });
      }
    });
  }

  it('every known failure names an existing query run and gives a reason', () => {
    for (const k of known) {
      const row = rows.find((r) => r.name === k.name);
      expect(row, `qa-known-failures.json: no query named ${k.name}`).toBeDefined();
      if (k.index !== undefined) expect(row!.runs.map((r) => r.index)).toContain(k.index);
      expect(k.reason.length).toBeGreaterThan(20);
    }
  });

  it('runs every row of queries.jsonl on every index set its harness uses', () => {
    const total = [...groups.values()].reduce((n, g) => n + g.members.length, 0);
    expect(rows.length).toBe(320);
    expect(total).toBe(453);
  });
});
