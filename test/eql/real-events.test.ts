// Every real event in ../shared/corpus/real-events.jsonl gets its `label` (the seed's v317 query) and its
// `label_upstream_latest` (v318), in memory through the compiler and end to end through `eql match`.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFilter } from '../../detection/eql/compile.js';
import { parseQuery } from '../../detection/eql/parser.js';
import { loadRule } from '../../detection/rules/load.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const shared = path.resolve(root, '../shared');

// The corpus record is the ECS event plus these bookkeeping keys.
const META = ['source', 'source_commit', 'source_format', 'label', 'label_upstream_latest', 'label_sigma_fd877b94', 'note', 'tags', 'synthesized_fields', 'original'];

interface Row {
  event: Record<string, unknown>;
  v317: boolean;
  v318: boolean;
  note: string;
}

const rows: Row[] = readFileSync(path.join(shared, 'corpus/real-events.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => {
    const rec = JSON.parse(l) as Record<string, unknown>;
    const event = Object.fromEntries(Object.entries(rec).filter(([k]) => !META.includes(k)));
    return { event, v317: rec.label === 'match', v318: rec.label_upstream_latest === 'match', note: String(rec.note) };
  });

/** The query text of the seed (v317), from the rendered rule page. */
function seedQuery(): string {
  const seed = readFileSync(path.join(shared, 'seed/000_44f4c0983ec74fd5.txt'), 'utf8');
  const m = /editprocess where[\s\S]*?\n(?=Framework:)/.exec(seed);
  if (!m) throw new Error('rule query not found in the seed');
  return m[0].replace(/^edit/, '').trim();
}

const rule317 = loadRule(path.join(root, 'playbooks/hive-dump/rule-v317.toml'));
const rule318 = loadRule(path.join(root, 'playbooks/hive-dump/rule-v318.toml'));

function predicate(ast: ReturnType<typeof parseQuery>) {
  if (ast.type !== 'event_query') throw new Error('the rule is an event query');
  return compileFilter(ast.filter);
}

const dir = mkdtempSync(path.join(tmpdir(), 'hw-eql-real-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('real events', () => {
  it('the corpus holds both labels, with matches and non-matches', () => {
    expect(rows.length).toBe(153);
    expect(rows.filter((r) => r.v317).length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.v318 && !r.v317).length).toBeGreaterThan(0);
  });

  it('the rule file v317 carries the seed query', () => {
    expect(parseQuery(seedQuery())).toEqual(rule317.ast);
  });

  const p317 = predicate(rule317.ast);
  const p318 = predicate(rule318.ast);
  it.each(rows.map((r, i) => [i + 1, r] as const))('event %i gets its labels in memory', (_n, row) => {
    expect({ v317: p317(row.event), v318: p318(row.event) }, row.note).toEqual({ v317: row.v317, v318: row.v318 });
  });

  async function cli(args: string[], file: string): Promise<{ stdout: string; code: number }> {
    try {
      const { stdout } = await run(process.execPath, [path.join(root, 'bin/hivewatch.js'), 'eql', 'match', ...args, file], { cwd: root, maxBuffer: 64 << 20 });
      return { stdout, code: 0 };
    } catch (error) {
      const e = error as { stdout: string; code: number };
      return { stdout: e.stdout, code: e.code };
    }
  }

  const lines = rows.map((r) => JSON.stringify(r.event));
  const file = path.join(dir, 'events.ndjson');
  writeFileSync(file, lines.join('\n') + '\n');

  it('eql match --rule v317 prints exactly the label=match events, in input order', async () => {
    const { stdout, code } = await cli(['--rule', path.join(root, 'playbooks/hive-dump/rule-v317.toml')], file);
    expect(code).toBe(0);
    expect(stdout).toBe(lines.filter((_, i) => rows[i]!.v317).map((l) => l + '\n').join(''));
  });

  it('eql match --query (the seed text) agrees with --rule v317', async () => {
    const { stdout } = await cli(['--query', seedQuery()], file);
    expect(stdout).toBe(lines.filter((_, i) => rows[i]!.v317).map((l) => l + '\n').join(''));
  });

  it('eql match --rule v318 prints exactly the label_upstream_latest=match events', async () => {
    const { stdout, code } = await cli(['--rule', path.join(root, 'playbooks/hive-dump/rule-v318.toml')], file);
    expect(code).toBe(0);
    expect(stdout).toBe(lines.filter((_, i) => rows[i]!.v318).map((l) => l + '\n').join(''));
  });

  it('the original corpus lines (labels and all) match the same way and are printed byte for byte', async () => {
    const raw = readFileSync(path.join(shared, 'corpus/real-events.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    const { stdout } = await cli(['--rule', path.join(root, 'playbooks/hive-dump/rule-v318.toml')], path.join(shared, 'corpus/real-events.jsonl'));
    expect(stdout).toBe(raw.filter((_, i) => rows[i]!.v318).map((l) => l + '\n').join(''));
  });
});
