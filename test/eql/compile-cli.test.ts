// `hivewatch eql match` as users script against it: exit codes like grep, original bytes out, input order,
// malformed lines reported with their line number, stdin, pipes, and the sequence/sample refusal.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFilter } from '../../detection/eql/compile.js';
import { parseQuery } from '../../detection/eql/parser.js';
import { matchStream } from '../../workers/commands/eql-match.js';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'hw-eql-match-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function cli(args: string[], stdin?: Buffer | string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/hivewatch.js'), 'eql', 'match', ...args], { cwd: root });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(stdin ?? '');
  });
}

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('eql match (CLI)', () => {
  // Odd spacing, key order, escapes and non-ASCII must come out exactly as they went in.
  const lines = [
    '{"event":{"category":["process"]},"process":{"name":"REG.EXE"},  "n": 1}',
    '{ "process.name" : "cmd.exe", "event.category": "process" }',
    '{"event":{"category":"process"},"process":{"name":"r\\u0065g.exe","title":"café ☕"}}',
    '{"event":{"category":["file"]},"process":{"name":"reg.exe"}}',
  ];
  const events = file('events.ndjson', lines.join('\n') + '\n');

  it('prints matching lines byte for byte in input order and exits 0', async () => {
    const r = await cli(['--query', 'process where process.name : "reg.exe"', events]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString('utf8')).toBe(`${lines[0]}\n${lines[2]}\n`);
    expect(r.stderr).toBe('');
  });

  it('exits 1 when nothing matched', async () => {
    const r = await cli(['--query', 'process where process.name == "nope"', events]);
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBe(0);
  });

  it('reads stdin for -, and reports malformed lines by number while good lines still count', async () => {
    const input = ['{"a": 1}', '{not json', '', '[1, 2]', '"str"', '{"a": 2}'].join('\n');
    const r = await cli(['--query', 'any where a >= 1', '-'], input);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('{"a": 1}\n{"a": 2}\n');
    expect(r.stderr).toMatch(/line 2: not valid JSON/);
    expect(r.stderr).toMatch(/line 4: not a JSON object/);
    expect(r.stderr).toMatch(/line 5: not a JSON object/);
    expect(r.stderr).not.toMatch(/line 3/);
  });

  it('exits 2 on a query error, a sequence query, a missing file, or both --query and --rule', { timeout: 60_000 }, async () => {
    const [bad, seq, missing, both] = await Promise.all([
      cli(['--query', 'process where', events]),
      cli(['--query', 'sequence [process where true] [file where true]', events]),
      cli(['--query', 'any where true', path.join(dir, 'nope.ndjson')]),
      cli(['--query', 'any where true', '--rule', 'x.toml', events]),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/HW_ERR_EQL_SYNTAX/);
    expect(seq.code).toBe(2);
    expect(seq.stderr).toMatch(/HW_ERR_EQL_MATCH_SEQUENCE.*eql search/);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/HW_ERR_EQL_INPUT.*ENOENT/);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/exactly one of --query/);
  });

  it('exits 2 when evaluation fails the way ES fails the query (integer division by zero)', async () => {
    const r = await cli(['--query', 'any where n / 0 == 1', '-'], '{"n": 4}\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/HW_ERR_EQL_ARITHMETIC/);
  });

  it('--rule runs the rule file query', async () => {
    const r = await cli(['--rule', path.join(root, 'playbooks/hive-dump/rule-v317.toml'), events]);
    expect(r.code).toBe(1);
  });
});

describe('matchStream (in process)', () => {
  function predicate(q: string) {
    const ast = parseQuery(q);
    if (ast.type !== 'event_query') throw new Error('event query expected');
    return compileFilter(ast.filter);
  }

  async function run(input: Buffer[], q: string, limits?: Parameters<typeof matchStream>[4]) {
    const src = new PassThrough();
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (b: Buffer) => chunks.push(b));
    let errText = '';
    err.on('data', (b: Buffer) => (errText += b.toString()));
    const done = matchStream(src, predicate(q), out, err, limits);
    for (const b of input) src.write(b);
    src.end();
    const stats = await done;
    return { stats, out: Buffer.concat(chunks), err: errText };
  }

  it('keeps byte offsets right across chunk splits inside multi-byte characters and CRLF lines', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ i, s: i % 3 === 0 ? 'é☕𝄞'.repeat(i % 7) : 'plain', k: i % 10 === 0 ? 'hit' : 'miss' }));
    const whole = Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
    // Cut at awkward places, including inside a 4-byte character.
    const parts: Buffer[] = [];
    for (let at = 0; at < whole.length; ) {
      const n = 1 + ((at * 7919) % 4093);
      parts.push(whole.subarray(at, at + n));
      at += n;
    }
    const { stats, out } = await run(parts, 'any where k == "hit"');
    expect(stats.lines).toBe(3000);
    expect(stats.matched).toBe(300);
    const expected = lines.filter((_, i) => i % 10 === 0).map((l) => `${l}\r\n`).join('');
    expect(out.equals(Buffer.from(expected, 'utf8'))).toBe(true);
  });

  it('head stops after N matches; tail keeps the last N; head|tail composes left to right', async () => {
    const input = [Buffer.from(Array.from({ length: 20 }, (_, i) => `{"i":${i}}`).join('\n'))];
    const ids = (b: Buffer) => b.toString().trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
    const head = await run(input, 'any where i >= 5 | head 3', { head: 3, tail: Infinity, after: [] });
    expect(ids(head.out)).toEqual([5, 6, 7]);
    const tail = await run(input, 'any where i >= 5', { head: Infinity, tail: 2, after: [] });
    expect(ids(tail.out)).toEqual([18, 19]);
    const both = await run(input, 'any where i >= 5', { head: 4, tail: 2, after: [] });
    expect(ids(both.out)).toEqual([7, 8]);
  });

  it('a final line without a newline still counts', async () => {
    const { stats, out } = await run([Buffer.from('{"a":1}\n{"a":2}')], 'any where a == 2');
    expect(stats.matched).toBe(1);
    expect(out.toString()).toBe('{"a":2}\n');
  });
});
