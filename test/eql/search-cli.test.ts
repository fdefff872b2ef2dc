// `hivewatch eql search`: the command-line contract (output shape, batch form, mappings per file,
// exit codes), through the real CLI where the process boundary matters and in-process otherwise.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runEqlSearch, type SearchCliOptions } from '../../workers/commands/eql-search.js';

const repo = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'hw-eql-search-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

const ndjson = (docs: unknown[]) => docs.map((d) => JSON.stringify(d)).join('\n') + '\n';

const procs = file(
  'procs.ndjson',
  ndjson([
    { '@timestamp': '2024-01-01T00:00:01Z', kind: 'process', host: 'a', n: 1 },
    { '@timestamp': '2024-01-01T00:00:03Z', kind: 'process', host: 'a', n: 3 },
  ]),
);
const files = file(
  'files.jsonl',
  ndjson([{ '@timestamp': '2024-01-01T00:00:02Z', kind: 'file', host: 'a', n: 2 }]) + 'this is not json\n',
);
const mapping = file(
  'mapping.json',
  JSON.stringify({ properties: { kind: { type: 'keyword' }, event: { properties: { category: { type: 'alias', path: 'kind' } } } } }),
);

function cli(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['bin/hivewatch.js', 'eql', 'search', ...args], { cwd: repo }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

function inProcess(opts: SearchCliOptions, args: string[]) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c) => (stdout += c));
  err.on('data', (c) => (stderr += c));
  const code = runEqlSearch(opts, args, out, err);
  return { code, stdout, stderr };
}

// Spawning node + tsx is slow on a loaded machine: the process-level tests get room.
const SPAWN = { timeout: 120_000 };

describe('eql search (CLI)', () => {
  it('searches several files as one index set and prints the response hits', SPAWN, async () => {
    const r = await cli(['--query', 'sequence by host [process where n == 1] [file where true] [process where true]', '--mapping', mapping, procs, files]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('files.jsonl:2');
    const hits = JSON.parse(r.stdout);
    expect(hits.sequences).toHaveLength(1);
    expect(hits.sequences[0].join_keys).toEqual(['a']);
    expect(hits.sequences[0].events.map((e: { _index: string; _id: string }) => `${e._index}/${e._id}`)).toEqual(['procs/1', 'files/1', 'procs/2']);
    expect(hits.sequences[0].events[1]._source).toEqual({ '@timestamp': '2024-01-01T00:00:02Z', kind: 'file', host: 'a', n: 2 });
  });

  it('reads stdin as `-` and exits 0 with an empty result', SPAWN, async () => {
    const r = await cli(['--query', 'process where n == 99', '--event-category-field', 'kind', '-'], ndjson([{ '@timestamp': 1, kind: 'process', n: 1 }]));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ total: { value: 0, relation: 'eq' }, events: [] });
  });

  it('prints help and exits 0', SPAWN, async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--mapping');
    expect(r.stdout).toContain('--queries');
  });

  it('uses ES defaults: size 10 from the tail', () => {
    const many = file('many.ndjson', ndjson(Array.from({ length: 12 }, (_, i) => ({ '@timestamp': i, event: { category: 'x' }, n: i }))));
    const r = inProcess({ query: 'x where true' }, [many]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).events.map((e: { _source: { n: number } }) => e._source.n)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const head = inProcess({ query: 'x where true', size: '3', resultPosition: 'head' }, [many]);
    expect(JSON.parse(head.stdout).events.map((e: { _source: { n: number } }) => e._source.n)).toEqual([0, 1, 2]);
  });

  it('runs a queries file, honouring each line\'s options, and reports bad lines with exit 2', () => {
    const q = file(
      'q.jsonl',
      [
        JSON.stringify({ name: 'all', query: 'any where true', size: 50, result_position: 'head' }),
        JSON.stringify({ query: 'any where true', size: 1, result_position: 'head' }),
        '',
        JSON.stringify({ name: 'bad', query: 'any where (' }),
        '{oops',
        JSON.stringify({ name: 'nocase', query: 'any where kind == "PROCESS"', case_sensitive: false, size: 1, result_position: 'head' }),
        JSON.stringify({ name: 'noquery' }),
      ].join('\n'),
    );
    const r = inProcess({ queries: q, mapping: [mapping, mapping] }, [procs, files]);
    expect(r.code).toBe(2);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.line)).toEqual([1, 2, 4, 5, 6, 7]);
    expect(lines[0].name).toBe('all');
    expect(lines[0].hits.events.map((e: { _source: { n: number } }) => e._source.n)).toEqual([1, 2, 3]);
    expect(lines[1].hits.events).toHaveLength(1);
    expect(lines[1].name).toBeUndefined();
    expect(lines[2]).toMatchObject({ line: 4, name: 'bad', error: expect.stringContaining('HW_ERR_EQL_SYNTAX') });
    expect(lines[3].error).toContain('HW_ERR_EQL_INPUT');
    expect(lines[4].hits.events.map((e: { _source: { n: number } }) => e._source.n)).toEqual([1]);
    expect(lines[5].error).toContain('"query"');
  });

  it('runs a detection rule\'s query with --rule', () => {
    const rule = path.join(repo, 'playbooks/hive-dump/rule-v317.toml');
    const ev = {
      '@timestamp': '2024-01-01T00:00:00Z',
      event: { category: ['process'], type: ['start'] },
      host: { os: { type: 'windows' } },
      process: { name: 'reg.exe', args: ['reg.exe', 'save', 'HKLM\\SAM', 'C:\\t\\s'] },
    };
    const data = file('reg.ndjson', ndjson([ev, { ...ev, process: { name: 'cmd.exe', args: ['cmd.exe'] } }]));
    const r = inProcess({ rule }, [data]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).events.map((e: { _id: string }) => e._id)).toEqual(['1']);
    expect(inProcess({ rule, query: 'any where true' }, [data]).stderr).toMatch(/exactly one of/);
  });

  it('exits 0 for a batch whose lines all succeed', () => {
    const q = file('ok.jsonl', JSON.stringify({ query: 'process where true', tiebreaker: 'n' }) + '\n');
    const r = inProcess({ queries: q, mapping: [mapping] }, [procs]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).hits.events).toHaveLength(2);
  });

  it('exits 2 with a coded message on usage errors', () => {
    const cases: [SearchCliOptions, string[], RegExp][] = [
      [{}, [procs], /exactly one of --query/],
      [{ rule: path.join(dir, 'nope.toml') }, [procs], /HW_ERR_RULE_READ/],
      [{ query: 'any where true', mapping: [mapping, mapping, mapping] }, [procs, files], /3 --mapping files for 2 data files/],
      [{ query: 'any where true', size: 'ten' }, [procs], /--size must be a non-negative integer/],
      [{ query: 'any where true' }, [path.join(dir, 'nope.ndjson')], /HW_ERR_EQL_INPUT: cannot read/],
      [{ query: 'any where true', mapping: [procs] }, [procs], /HW_ERR_EQL_MAPPING/],
      [{ query: 'any where true' }, [], /at least one NDJSON file/],
      [{ query: 'process where', mapping: [mapping] }, [procs], /HW_ERR_EQL_SYNTAX/],
    ];
    for (const [opts, args, msg] of cases) {
      const r = inProcess(opts, args);
      expect(r.code, JSON.stringify(opts)).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    }
  });
});
