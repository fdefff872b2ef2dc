// Time to gather a full investigation (every query of the guide: process event, siblings, children,
// ancestry, file, network, user alerts, host alerts, host details) through the Elastic, CrowdStrike,
// Defender and SentinelOne connectors against their fakes on 127.0.0.1, with 0 ms and 50 ms of added
// latency per request. The queries run concurrently, so at 50 ms the total should be a few round trips,
// not one per query. Defender and SentinelOne keep per-host caches (machine/agent lookups, Deep Visibility
// snapshots), so each of their runs uses a new connector whose token (Defender) is already issued: every
// run is a cold investigation of a new alert, not an answer from the previous run's cache.
//
//   npm run bench:connectors            (or: node --import tsx bench/connectors.ts [iterations])

import { performance } from 'node:perf_hooks';
import { CrowdStrikeConnector } from '../connectors/crowdstrike/index.js';
import { ElasticConnector } from '../connectors/elastic/index.js';
import type { Connector, ProcessRef, TimeWindow } from '../connectors/types.js';
import { DefenderConnector, mdeEntityId } from '../connectors/defender/index.js';
import { SentinelOneConnector, type SentinelOneConnectorOptions } from '../connectors/sentinelone/index.js';
import { CONTRACT_SCENARIO } from '../test/connectors/contract.js';
import { CrowdStrikeFake } from '../test/fakes/crowdstrike.js';
import { DefenderFake } from '../test/fakes/defender.js';
import { SentinelOneFake } from '../test/fakes/sentinelone.js';
import { ElasticFake } from '../test/fakes/elastic.js';
import type { FakeServer } from '../test/fakes/harness.js';
import { seedCrowdStrike, AID, SID as CS_SID, WINDOW as CS_WINDOW } from '../test/connectors/crowdstrike.fixture.js';
import { seedElastic, H1, USER, WINDOW as ES_WINDOW } from '../test/connectors/elastic.fixture.js';

const ITERATIONS = Number(process.argv[2] ?? 5);
const QUERIES = 9;

interface Target {
  vendor: string;
  server: FakeServer;
  connector: Connector;
  proc: ProcessRef;
  parent: ProcessRef;
  userId: string;
  window: TimeWindow;
  stop: () => Promise<void>;
  /** A new connector for each run (cold caches, warm token); absent = the same connector every run. */
  renew?: () => Promise<Connector>;
}

/** Runs every query at once; returns each query's own duration (ms). */
async function investigate(t: Target): Promise<Record<string, number>> {
  const { connector: c, proc, parent, window } = t;
  const timed = async (name: string, run: () => Promise<unknown>): Promise<[string, number]> => {
    const start = performance.now();
    await run();
    return [name, performance.now() - start];
  };
  const parts = await Promise.all([
    timed('process', () => c.getProcessEvent(proc, window)),
    timed('siblings', () => c.getSiblingProcesses(parent, window)),
    timed('children', () => c.getChildProcesses(proc, window)),
    timed('ancestry', () => c.getAncestry(proc, 5, window)),
    timed('file', () => c.getFileEvents(proc, window)),
    timed('network', () => c.getNetworkEvents(proc, window)),
    timed('userAlerts', () => c.getAlertsForUser(t.userId, window)),
    timed('hostAlerts', () => c.getAlertsForHost(proc.hostId, window)),
    timed('host', () => c.getHostDetails(proc.hostId)),
  ]);
  return Object.fromEntries(parts);
}

async function elastic(): Promise<Target> {
  const fake = new ElasticFake();
  seedElastic(fake, { extraChildren: 5 });
  const url = await fake.start();
  const connector = new ElasticConnector({ elasticsearchUrl: url, kibanaUrl: url, apiKey: fake.apiKey });
  return { vendor: 'elastic', server: fake.server, connector, proc: { hostId: H1, entityId: 'E2' }, parent: { hostId: H1, entityId: 'E1' }, userId: USER, window: ES_WINDOW, stop: () => fake.stop() };
}

async function crowdstrike(): Promise<Target> {
  const fake = new CrowdStrikeFake();
  fake.server.completeAfterPolls = 1; // a finished NG-SIEM job answers on its first poll
  seedCrowdStrike(fake, { hostAlerts: 7 });
  const url = await fake.start();
  const connector = new CrowdStrikeConnector({ baseUrl: url, clientId: fake.clientId, clientSecret: fake.clientSecret, queryPollMs: 50 });
  return { vendor: 'crowdstrike', server: fake.server, connector, proc: { hostId: AID, entityId: '3000' }, parent: { hostId: AID, entityId: '2000' }, userId: CS_SID, window: CS_WINDOW, stop: () => fake.stop() };
}

async function defender(): Promise<Target> {
  const fake = new DefenderFake();
  fake.seedScenario(CONTRACT_SCENARIO);
  const url = await fake.start();
  const { reg, cmd } = CONTRACT_SCENARIO.processes;
  const host = CONTRACT_SCENARIO.hosts.a.id;
  const make = async (): Promise<Connector> => {
    const c = new DefenderConnector({ tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: fake.clientSecret, mdeBaseUrl: url, graphBaseUrl: url, loginBaseUrl: url });
    await c.mdeTokens.get(); // warm token: the bench measures queries, not the token grant
    return c;
  };
  return {
    vendor: 'defender', server: fake.server, connector: await make(), renew: make,
    proc: { hostId: host, entityId: mdeEntityId(host, reg.pid, reg.start)! }, parent: { hostId: host, entityId: mdeEntityId(host, cmd.pid, cmd.start)! },
    userId: CONTRACT_SCENARIO.users.jdoe.id, window: CONTRACT_SCENARIO.window, stop: () => fake.stop(),
  };
}

/** `dv-paced`: the connector keeps its Deep Visibility pacing on (1 ms apart here, so the path is measured without the minute's wait). */
async function sentinelone(engine: 'deep-visibility' | 'powerquery' | 'dv-paced'): Promise<Target> {
  const fake = new SentinelOneFake();
  // Bench only: the fake's 1-init-query-per-minute limit (and the connector's matching pacing) is off,
  // or every run after the first would wait a minute; a finished query answers on its first poll.
  fake.dvInitIntervalMs = 0;
  fake.server.completeAfterPolls = 1;
  fake.lrqSteps = 1;
  fake.seedScenario(CONTRACT_SCENARIO);
  const url = await fake.start();
  const { reg, cmd } = CONTRACT_SCENARIO.processes;
  const host = CONTRACT_SCENARIO.hosts.a.id;
  const opts: SentinelOneConnectorOptions = { baseUrl: url, apiToken: fake.token, dvInitIntervalMs: engine === 'dv-paced' ? 1 : 0, dvPollMs: 50, ...(engine === 'powerquery' ? { engine, sdlToken: fake.sdlToken } : {}) };
  const make = async (): Promise<Connector> => new SentinelOneConnector(opts);
  return {
    vendor: engine === 'powerquery' ? 's1-pq' : engine === 'dv-paced' ? 's1-dv-paced' : 's1-dv', server: fake.server, connector: await make(), renew: make,
    proc: { hostId: host, entityId: reg.entityId }, parent: { hostId: host, entityId: cmd.entityId },
    userId: 'jdoe', window: CONTRACT_SCENARIO.window, stop: () => fake.stop(),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  console.log(`connectors bench: ${QUERIES} queries per investigation, run concurrently; median of ${ITERATIONS} warm runs (token cached)`);
  console.log('vendor       latency  total ms  requests  total/latency  (total-total@0)/latency  serial estimate');
  const slowest: string[] = [];
  for (const make of [elastic, crowdstrike, defender, () => sentinelone('deep-visibility'), () => sentinelone('powerquery'), () => sentinelone('dv-paced')]) {
    const t = await make();
    try {
      await investigate(t); // warm: connections, token
      let base = 0;
      for (const latency of [0, 50]) {
        t.server.latencyMs = latency;
        const times: number[] = [];
        let requests = 0;
        let parts: Record<string, number> = {};
        for (let i = 0; i < ITERATIONS; i++) {
          if (t.renew) {
            await t.connector.close?.();
            t.connector = await t.renew();
          }
          const before = t.server.log.length;
          const start = performance.now();
          parts = await investigate(t);
          times.push(performance.now() - start);
          requests = t.server.log.length - before;
        }
        const total = median(times);
        if (latency === 0) base = total;
        const trips = latency > 0 ? (total / latency).toFixed(1) : '-';
        const added = latency > 0 ? ((total - base) / latency).toFixed(1) : '-';
        const serial = latency > 0 ? `${requests * latency} ms` : '-';
        console.log(`${t.vendor.padEnd(12)} ${String(latency).padStart(4)} ms  ${total.toFixed(1).padStart(8)}  ${String(requests).padStart(8)}  ${String(trips).padStart(13)}  ${String(added).padStart(23)}  ${serial.padStart(15)}`);
        if (latency > 0) slowest.push(`${t.vendor} @${latency} ms, last run per query: ${Object.entries(parts).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
      }
    } finally {
      await t.connector.close?.();
      await t.stop();
    }
  }
  for (const line of slowest) console.log(line);
  console.log('Defender: every question is one Advanced Hunting call sent with the (cached) machine lookup; the ancestry is walked locally in one scan of the device\'s process creations (24 h back), and host details ask the machine and its actions together, so the floor is 1 round trip plus CPU. Run: a new connector each time (cold machine cache), MDE token already issued.');
  console.log('SentinelOne: the fake\'s Deep Visibility limit of 1 init-query per minute per token is SWITCHED OFF for this bench (fake.dvInitIntervalMs = 0), a query finishes on its first status poll, and polls are 50 ms apart. s1-dv and s1-pq: the connector has no init-query budget to keep (dvInitIntervalMs = 0, which only code can set: config requires it positive; or PowerQuery), so every question about the host shares one merged events query sent with the agent lookup, and the ancestry\'s process-creation query runs beside it: init -> status -> events = 3 round trips (PowerQuery: launch -> poll -> delete). s1-dv-paced (what a Deep Visibility config runs): the connector\'s pacing is on (1 ms apart here), so the agent is checked before the one init-query a minute is spent and the lineage query goes only when the snapshot lacks an ancestor; against a real console that second init-query waits for the next minute\'s slot (up to 60 s, not in these figures).');
  console.log('CrowdStrike: every NG-SIEM query is a job (create + poll = 2 round trips); all jobs start at once (the ancestry is walked locally from one host scan, file/network come from host scans filtered to the tree), so the floor is 2 round trips plus CPU.');
}

await main();
