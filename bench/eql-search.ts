// `_eql/search` throughput: an event query, a sequence and a sample over N synthetic ECS process
// events (default 200,000; `node --import tsx bench/eql-search.ts 500000`). Prints events/s per
// query kind, measured after one warm-up run.
import { buildIndexSet, type IndexSet } from '../detection/eql/index-set.js';
import { parseQuery } from '../detection/eql/parser.js';
import { search } from '../detection/eql/search.js';

const N = Number(process.argv[2] ?? 200_000);

function events(n: number): unknown[] {
  const out: unknown[] = [];
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    const reg = i % 1000 === 0;
    out.push({
      '@timestamp': new Date(t0 + i * 50).toISOString(),
      event: { category: ['process'], type: ['start'] },
      host: { name: `host-${i % 400}`, os: { type: 'windows' } },
      user: { name: `user-${i % 60}` },
      process: {
        pid: 1000 + (i % 5000),
        name: reg ? 'reg.exe' : i % 3 === 0 ? 'cmd.exe' : 'svchost.exe',
        args: reg ? ['reg.exe', 'save', 'hklm\\sam', 'C:\\Temp\\sam.save'] : ['svchost.exe', '-k', 'netsvcs'],
      },
    });
  }
  return out;
}

function time(label: string, set: IndexSet, query: string): void {
  const q = parseQuery(query);
  search(q, set, { size: 10 });
  const start = process.hrtime.bigint();
  const hits = search(q, set, { size: 10 });
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const found = hits.events?.length ?? hits.sequences?.length ?? 0;
  console.log(`${label.padEnd(10)} ${(N / secs).toFixed(0).padStart(10)} events/s  (${(secs * 1000).toFixed(0)} ms, ${found} results shown)`);
}

const set = buildIndexSet([{ index: 'logs', docs: events(N) }]);
console.log(`eql search over ${N} events`);
time('event', set, 'process where process.name : "reg.exe" and process.args : ("save", "export")');
time('sequence', set, 'sequence by host.name with maxspan=5m [process where process.name == "reg.exe"] [process where process.name == "cmd.exe"]');
time('sample', set, 'sample by host.name [process where process.name == "reg.exe"] [process where process.name == "cmd.exe"]');
