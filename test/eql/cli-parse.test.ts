// `hivewatch eql parse` as users and scripts run it: the real CLI in a child process.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const shared = path.resolve(repo, '../shared');
const bin = path.join(repo, 'bin/hivewatch.js');
const run = promisify(execFile);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function hw(args: string[], stdin?: string): Promise<Result> {
  const child = run(process.execPath, [bin, ...args], { cwd: repo, maxBuffer: 64 * 1024 * 1024 });
  if (stdin !== undefined) {
    child.child.stdin?.end(stdin);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout: string; stderr: string };
    return { code: e.code ?? -1, stdout: e.stdout, stderr: e.stderr };
  }
}

const tmp = mkdtempSync(path.join(tmpdir(), 'hw-cli-parse-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('eql parse --query', () => {
  it('exits 0 for a valid query and prints nothing', async () => {
    const r = await hw(['eql', 'parse', '--query', 'process where process.name : "reg.exe"']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('exits 2 with the code, position, expectation and a caret on stderr', async () => {
    const r = await hw(['eql', 'parse', '--query', 'process where\n  (a == 1 and b']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("HW_ERR_EQL_SYNTAX: line 2:16: expected ')' but found <EOF>\n    (a == 1 and b\n                 ^\n");
  });

  it('exits 2 for queries Elasticsearch rejects after parsing', async () => {
    const r = await hw(['eql', 'parse', '--query', 'process where a == b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^HW_ERR_EQL_SEMANTIC: line 1:20: Comparisons against fields/);
  });

  it('prints the canonical form with --print and the AST with --ast', async () => {
    const r = await hw(['eql', 'parse', '--print', '--query', 'process  where  (a==1)']);
    expect(r).toEqual({ code: 0, stdout: 'process where a == 1\n', stderr: '' });
    const a = await hw(['eql', 'parse', '--ast', '--query', 'any where true']);
    expect(JSON.parse(a.stdout)).toEqual({
      type: 'event_query',
      filter: { type: 'event_filter', category: null, condition: { type: 'literal', kind: 'boolean', value: true } },
      pipes: [],
    });
  });
});

describe('eql parse --rule', () => {
  it('exits 0 for both shipped rule versions', async () => {
    for (const v of [317, 318]) {
      expect(await hw(['eql', 'parse', '--rule', `playbooks/hive-dump/rule-v${v}.toml`])).toEqual({
        code: 0,
        stdout: '',
        stderr: '',
      });
    }
  });

  it('exits 2 naming the file, its line and column for a broken query', async () => {
    const file = path.join(tmp, 'broken.toml');
    writeFileSync(
      file,
      readFileSync(path.join(repo, 'playbooks/hive-dump/rule-v318.toml'), 'utf8').replace(
        'event.type == "start" and',
        'event.type == "start" and and',
      ),
    );
    const r = await hw(['eql', 'parse', '--rule', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^HW_ERR_RULE_QUERY: ${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: rule\\.query: line 1:\\d+: expected an expression but found 'and'`));
  });

  it('exits 2 for a missing file', async () => {
    const r = await hw(['eql', 'parse', '--rule', path.join(tmp, 'nope.toml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^HW_ERR_RULE_READ: .*nope\.toml: cannot read the rule file/);
  });
});

describe('eql parse --queries', () => {
  it('prints one result per line and exits 0 when every query parses (all 1,081 rules)', async () => {
    const rules = readFileSync(path.join(shared, 'corpus/elastic-eql-rules.jsonl'), 'utf8');
    const r = await hw(['eql', 'parse', '--queries', path.join(shared, 'corpus/elastic-eql-rules.jsonl')]);
    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { line: number; ok: boolean });
    expect(out).toHaveLength(rules.trimEnd().split('\n').length);
    expect(out.every((o, i) => o.ok && o.line === i + 1)).toBe(true);
  });

  it('reports each bad line, skips blank ones and exits 2, reading stdin with -', async () => {
    const input = [
      JSON.stringify({ query: 'process where true' }),
      JSON.stringify({ query: 'process where (' }),
      'not json',
      JSON.stringify({ name: 'no query' }),
      '',
      JSON.stringify({ query: 'process where a == b', name: 'x' }),
    ].join('\n');
    const r = await hw(['eql', 'parse', '--queries', '-'], input + '\n');
    expect(r.code).toBe(2);
    expect(r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([
      { line: 1, ok: true },
      { line: 2, ok: false, error: 'HW_ERR_EQL_SYNTAX: line 1:16: expected an expression but found <EOF>' },
      { line: 3, ok: false, error: 'HW_ERR_EQL_INPUT: the line is not JSON; write one {"query": "..."} object per line' },
      { line: 4, ok: false, error: 'HW_ERR_EQL_INPUT: the line has no string "query" field; add one' },
      {
        line: 6,
        ok: false,
        error: 'HW_ERR_EQL_SEMANTIC: line 1:20: Comparisons against fields are not (currently) supported; offender [b] in [a == b]',
      },
    ]);
  });
});

describe('usage', () => {
  it('exits 2 unless exactly one input is given', async () => {
    const none = await hw(['eql', 'parse']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/exactly one of --query, --rule or --queries/);
    const two = await hw(['eql', 'parse', '--query', 'any where true', '--rule', 'x.toml']);
    expect(two.code).toBe(2);
  });

  it('describes every option in --help', async () => {
    const r = await hw(['eql', 'parse', '--help']);
    expect(r.code).toBe(0);
    for (const word of ['--query', '--rule', '--queries', 'exit 0', 'exit 2', '{"line","ok","error"?}']) {
      expect(r.stdout).toContain(word);
    }
  });
});
