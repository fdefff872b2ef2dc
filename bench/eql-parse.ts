// EQL parser benchmark: lex + parse + check, and print, of all 1,081 detection-rules queries
// (../shared/corpus/elastic-eql-rules.jsonl). Prints CPU-time figures; asserts nothing.
// Usage: node --import tsx bench/eql-parse.ts [--rounds N]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseQuery } from '../detection/eql/parser.js';
import { printQuery } from '../detection/eql/printer.js';

const root = path.resolve(import.meta.dirname, '..');
const corpus = path.resolve(root, '../shared/corpus/elastic-eql-rules.jsonl');
const argIdx = process.argv.indexOf('--rounds');
const rounds = argIdx > 0 ? Number(process.argv[argIdx + 1]) : 10;

const queries = readFileSync(corpus, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => (JSON.parse(l) as { query: string }).query);
const chars = queries.reduce((n, q) => n + q.length, 0);

// CPU time of this thread (user + system), which a busy shared machine inflates far less than wall time.
function time(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const cold = time(() => queries.forEach((q) => parseQuery(q)));
const parseTimes: number[] = [];
const printTimes: number[] = [];
const asts = queries.map((q) => parseQuery(q));
for (let r = 0; r < rounds; r++) {
  parseTimes.push(time(() => queries.forEach((q) => parseQuery(q))));
  printTimes.push(time(() => asts.forEach((a) => printQuery(a))));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const p = median(parseTimes);
console.log(`corpus: ${queries.length} queries, ${(chars / 1024).toFixed(0)} KiB of EQL`);
console.log(`parse+check, first run (cold JIT): ${cold.toFixed(1)} ms`);
console.log(
  `parse+check, median of ${rounds}: ${p.toFixed(1)} ms  (${((queries.length / p) * 1000).toFixed(0)} queries/s, ${(chars / 1024 / 1024 / (p / 1000)).toFixed(1)} MiB/s)`,
);
console.log(`print, median of ${rounds}: ${median(printTimes).toFixed(1)} ms`);
