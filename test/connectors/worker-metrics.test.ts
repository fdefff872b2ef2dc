// Connector metrics wired into the worker process: `serve --with-workers` triages an alert through the Elastic
// fake, and the API's /metrics then shows the vendor's requests, latency and breaker state.
import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../workers/commands/serve.js';
import { CaseStore } from '../../workers/cases/store.js';
import { ElasticFake } from '../fakes/elastic.js';
import { bearer, cleanup, connect, nestedAlert, testConfig, uniquePrefix } from '../intake/helpers.js';
import { at, H1, seedElastic } from './elastic.fixture.js';
import { createMetrics } from '../../workers/metrics.js';
import { connectorFromConfig } from '../../workers/response/connector.js';

const prefix = uniquePrefix('vendormetrics');
const fake = new ElasticFake();
let redis: Redis;
let running: { url: string; stop(): Promise<void> };

beforeAll(async () => {
  seedElastic(fake);
  const url = await fake.start();
  redis = await connect();
  const config = testConfig(prefix, {
    http: { port: 0 },
    connector: { kind: 'elastic', elasticsearchUrl: url, kibanaUrl: url, apiKey: fake.apiKey },
  });
  running = await serve({ config, withWorkers: true, logger: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await running.stop();
  await fake.stop();
  await cleanup(redis, prefix);
  await redis.quit();
});

describe('connector metrics on /metrics', () => {
  it('a triage through the vendor fake shows up as vendor requests, latency and breaker state', async () => {
    const alert = nestedAlert({ hostId: H1, pid: 300, parentEntityId: 'E1', originalTime: at(0), userId: 'S-1-5-21-1000' }) as { process: Record<string, unknown> } & Record<string, unknown>;
    alert.process.entity_id = 'E2';
    alert['@timestamp'] = at(1);
    const posted = await fetch(`${running.url}/v1/alerts/elastic`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify(alert) });
    expect(posted.status).toBeLessThan(300);
    const caseId = ((await posted.json()) as { results: { caseId: string }[] }).results[0]!.caseId;
    const cases = new CaseStore(redis, { prefix, groupingWindowMinutes: 60, retentionDays: 1 });
    const until = Date.now() + 20_000;
    while (!(await cases.getReport(caseId)) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const report = await cases.getReport(caseId);
    // The fixture's event lacks the rule's args, so it does not verify; the triage still asked every question.
    expect(report?.alertId).toBeDefined();
    expect(report!.queries).toBeDefined();
    expect(fake.server.log.length).toBeGreaterThan(0);

    const text = await (await fetch(`${running.url}/metrics`, { headers: bearer })).text();
    const requests = text.match(/^hivewatch_vendor_requests_total\{vendor="elastic",outcome="200"\} (\d+)$/m);
    expect(requests).not.toBeNull();
    // Every query the triage sent reached the fake and was counted (actions of the response stage may add more).
    expect(Number(requests![1])).toBeGreaterThanOrEqual(fake.server.log.filter((r) => r.path.includes('_search')).length);
    expect(text).toMatch(/^hivewatch_vendor_request_seconds_count\{vendor="elastic"\} [1-9]\d*$/m);
    expect(text).toMatch(/^hivewatch_vendor_breaker_state\{vendor="elastic"\} 0$/m);
    expect(text).toContain('# TYPE hivewatch_vendor_retries_total counter');
  });

  it('the response stage connector reports its vendor calls too', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const config = testConfig(prefix, { connector: { kind: 'elastic', elasticsearchUrl: fake.server.url, kibanaUrl: fake.server.url, apiKey: fake.apiKey } });
    const connector = await connectorFromConfig(config, redis, metrics.connectors)();
    await connector.getHostDetails(H1);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^hivewatch_vendor_requests_total\{vendor="elastic",outcome="200"\} [1-9]\d*$/m);
    await connector.close?.();
  });
});
