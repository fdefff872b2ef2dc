// Every payload shape Kibana (or a SIEM) sends to POST /v1/alerts/elastic, and every shape of bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { buildServer, type HivewatchServer } from '../../workers/api/server.js';
import { parseAlert } from '../../detection/alert.js';
import { alertJobId } from '../../workers/queues.js';
import { bearer, cleanup, connect, dottedAlert, legacyAlert, nestedAlert, RULE_ID, testConfig, uniquePrefix } from './helpers.js';

const prefix = uniquePrefix('shapes');
let redis: Redis;
let app: HivewatchServer;

beforeAll(async () => {
  redis = await connect();
  app = await buildServer({ config: testConfig(prefix, { http: { bodyLimit: 64 * 1024 } }), redis, logger: false });
});

afterAll(async () => {
  await app.close();
  await app.hivewatch.queues.close();
  await cleanup(redis, prefix);
  await redis.quit();
});

const post = (payload: string | object, contentType = 'application/json', headers: Record<string, string> = bearer) =>
  app.inject({
    method: 'POST',
    url: '/v1/alerts/elastic',
    headers: { ...headers, 'content-type': contentType },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

async function expectStored(alertId: string, caseId: string) {
  const job = await app.hivewatch.queues.alerts.getJob(alertJobId(alertId));
  expect(job, `alerts job of ${alertId}`).toBeDefined();
  expect(job!.data).toMatchObject({ caseId, alertId, admission: 'created' });
  // The job holds the alert document (validated again by the worker), not a second normalised copy.
  expect(parseAlert(job!.data.document).id).toBe(alertId);
  expect(job!.data.alert).toBeUndefined();
  expect(await app.hivewatch.cases.caseOfAlert(alertId)).toBe(caseId);
}

describe('accepted shapes', () => {
  it('one nested alert document', async () => {
    const alert = nestedAlert();
    const res = await post(alert);
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ received: 1, queued: 1, duplicate: 0, rejected: 0 });
    const kibana = alert.kibana as { alert: { uuid: string } };
    expect(body.results[0]).toMatchObject({ index: 0, status: 'queued', alertId: kibana.alert.uuid });
    expect(body.results[0].case).toBe(`/v1/cases/${body.results[0].caseId}`);
    await expectStored(kibana.alert.uuid, body.results[0].caseId);
  });

  it('one alert with dotted (flattened) field names', async () => {
    const alert = dottedAlert();
    const res = await post(alert);
    expect(res.statusCode).toBe(202);
    expect(res.json().results[0]).toMatchObject({ status: 'queued', alertId: alert['kibana.alert.uuid'] });
    await expectStored(alert['kibana.alert.uuid'] as string, res.json().results[0].caseId);
  });

  it('a legacy signal.* alert, deduplicated by the hash of rule id, source event id and original time', async () => {
    const alert = legacyAlert();
    const res = await post(alert);
    expect(res.statusCode).toBe(202);
    const result = res.json().results[0];
    expect(result.status).toBe('queued');
    expect(result.alertId).toMatch(/^[0-9a-f]{64}$/);
    const again = await post(alert);
    expect(again.json().results[0]).toMatchObject({ status: 'duplicate', alertId: result.alertId, caseId: result.caseId });
  });

  it('an object with an alerts array (the [{{{context.alerts}}}] template), with wrapper fields', async () => {
    const alerts = [nestedAlert(), nestedAlert(), dottedAlert()];
    const res = await post({ source: 'elastic-security', rule: { rule_id: RULE_ID }, signals_count: '3', alerts });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ received: 3, queued: 3 });
    expect(res.json().results.map((r: { index: number }) => r.index)).toEqual([0, 1, 2]);
  });

  it('a bare array', async () => {
    const res = await post([nestedAlert(), nestedAlert()]);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ received: 2, queued: 2 });
  });

  it('NDJSON (application/x-ndjson), a bad line rejected with its line number', async () => {
    const lines = [JSON.stringify(nestedAlert()), '', '{not json', JSON.stringify(dottedAlert())].join('\n');
    const res = await post(lines, 'application/x-ndjson');
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ received: 3, queued: 2, rejected: 1 });
    expect(body.results[1]).toMatchObject({ status: 'rejected', reason: 'line 3: not valid JSON' });
  });

  it('Kibana quirks: "alerts": {{{context.alerts}}} with one alert (an object) and "alerts": "{{context.alerts}}" (a string)', async () => {
    const single = await post({ alerts: nestedAlert() });
    expect(single.json()).toMatchObject({ received: 1, queued: 1 });
    const asString = await post({ alerts: `${JSON.stringify(nestedAlert())},${JSON.stringify(nestedAlert())}` });
    expect(asString.json()).toMatchObject({ received: 2, queued: 2 });
    const unbracketed = await post(`${JSON.stringify(nestedAlert())},${JSON.stringify(nestedAlert())}`);
    expect(unbracketed.json()).toMatchObject({ received: 2, queued: 2 });
  });

  it('context.alerts, alerts.new.data and Elasticsearch hits with _id as the alert id', async () => {
    const tines = await post({ alertId: 'x', context: { alerts: [nestedAlert()] } });
    expect(tines.json()).toMatchObject({ queued: 1 });
    const summary = await post({ alerts: { new: { count: 1, data: [nestedAlert()] } } });
    expect(summary.json()).toMatchObject({ queued: 1 });
    const source = dottedAlert({ uuid: null });
    const hits = await post({ hits: { hits: [{ _id: 'hit-0001', _index: '.internal.alerts-security.alerts-default-000001', _source: source }] } });
    expect(hits.json().results[0]).toMatchObject({ status: 'queued', alertId: 'hit-0001' });
  });

  it('no Content-Type (Kibana without a header) and old axios x-www-form-urlencoded JSON are read as JSON', async () => {
    // A Buffer payload makes inject send no Content-Type at all.
    const bare = await app.inject({ method: 'POST', url: '/v1/alerts/elastic', headers: bearer, payload: Buffer.from(JSON.stringify(nestedAlert())) });
    expect(bare.statusCode).toBe(202);
    expect(bare.json()).toMatchObject({ queued: 1 });
    const legacy = await post({ alerts: [nestedAlert()] }, 'application/x-www-form-urlencoded;charset=utf-8');
    expect(legacy.statusCode).toBe(202);
  });

  it('text/plain and application/vnd.x+json are read as JSON', async () => {
    expect((await post(nestedAlert(), 'text/plain')).json()).toMatchObject({ queued: 1 });
    expect((await post(nestedAlert(), 'application/vnd.elastic+json; charset=utf-8')).json()).toMatchObject({ queued: 1 });
  });
});

describe('bad input', () => {
  it('a bad alert in a batch does not sink the good ones; the reason names the field', async () => {
    const noHost = nestedAlert();
    delete noHost.host;
    const noProcessId = nestedAlert();
    noProcessId.process = { name: 'reg.exe' };
    const res = await post({ alerts: [nestedAlert(), noHost, 'a string', noProcessId, nestedAlert()] });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body).toMatchObject({ received: 5, queued: 2, rejected: 3 });
    expect(body.results[1]).toMatchObject({ status: 'rejected' });
    expect(body.results[1].reason).toContain('host');
    expect(body.results[2].reason).toContain('expected a JSON object');
    expect(body.results[3].reason).toContain('process.entity_id');
    expect(await app.hivewatch.queues.alerts.getJob(alertJobId((noHost.kibana as { alert: { uuid: string } }).alert.uuid))).toBeUndefined();
  });

  it('alerts of another rule are rejected, naming the rule id field', async () => {
    const res = await post(nestedAlert({ ruleId: 'some-other-rule' }));
    expect(res.statusCode).toBe(400);
    expect(res.json().results[0].reason).toMatch(/^kibana\.alert\.rule\.rule_id: "some-other-rule" is not an accepted rule/);
  });

  it('a body whose every alert is invalid is a 400 listing the reasons', async () => {
    const res = await post([{ host: { id: 'h' } }]);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ received: 1, rejected: 1, queued: 0 });
    expect(res.json().results[0].reason).toContain('process');
  });

  it('invalid JSON, a JSON scalar, an empty body, an empty list: 400 with HW_ERR_BODY_SHAPE', async () => {
    for (const payload of ['{"alerts": [', '42', '   ', '[]', '{"alerts": []}']) {
      const res = await post(payload);
      expect(res.statusCode, payload).toBe(400);
      expect(res.json().error.code, payload).toBe('HW_ERR_BODY_SHAPE');
    }
  });

  it('an unsupported media type: 415', async () => {
    for (const [type, payload] of [
      ['application/xml', '<alert/>'],
      ['application/x-www-form-urlencoded', 'alert=1&host=2'],
      ['multipart/form-data; boundary=x', '--x\r\n\r\n{}\r\n--x--'],
      ['image/png', '{"alerts": []}'],
    ]) {
      const res = await post(payload!, type);
      expect(res.statusCode, type).toBe(415);
      expect(res.json().error.code).toBe('HW_ERR_MEDIA_TYPE');
    }
  });

  it('a body over the limit: 413, nothing queued', async () => {
    const before = await app.hivewatch.queues.alerts.getJobCountByTypes('waiting');
    const big = { alerts: Array.from({ length: 40 }, () => ({ ...nestedAlert(), padding: 'x'.repeat(2000) })) };
    const res = await post(big);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('HW_ERR_BODY_TOO_LARGE');
    expect(await app.hivewatch.queues.alerts.getJobCountByTypes('waiting')).toBe(before);
  });
});
