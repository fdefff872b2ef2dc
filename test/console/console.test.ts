// The web console in a real headless Chromium (Debian's), against the real API, worker and Redis:
// sign in, open a case, see the evidence and the steps with their undo, approve a step, see it done.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDataset, ReplayConnector } from '../../connectors/replay/index.js';
import { parseAlert } from '../../detection/alert.js';
import { consolePlugin } from '../../workers/api/console-routes.js';
import { buildServer, type HivewatchServer } from '../../workers/api/server.js';
import { stepsPlugin } from '../../workers/api/steps-routes.js';
import { loadConfig } from '../../workers/config.js';
import { createResponseRuntime, type ResponseRuntime } from '../../workers/response/runtime.js';
import { report } from '../response/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const prefix = `hwtest-console-${randomBytes(4).toString('hex')}`;
const tokens = { alice: 'console-alice-token', bob: 'console-bob-token' };
let redis: Redis;
let workerRedis: Redis;
let app: HivewatchServer;
let runtime: ResponseRuntime | undefined;
let worker: Worker;
let browser: Browser;
let base: string;
let stateDir: string;
let caseId: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  redis = new Redis({ host: '127.0.0.1', port: 6379 });
  workerRedis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
  stateDir = mkdtempSync(path.join(tmpdir(), 'hw-console-'));
  const connector = new ReplayConnector(buildDataset([]), { stateDir });
  const config = loadConfig({}, undefined, {
    redis: { prefix },
    http: { host: '127.0.0.1', port: 0 },
    response: {
      identities: [
        { id: 'alice', role: 'responder', tokenSha256: sha(tokens.alice) },
        { id: 'bob', role: 'lead', tokenSha256: sha(tokens.bob) },
      ],
      pollIntervalMs: 20,
    },
  });
  const shared = (context: Parameters<Parameters<typeof stepsPlugin>[0]>[0]) =>
    (runtime ??= createResponseRuntime({ config, redis, connector: async () => connector, queue: context.queues.response, cases: context.cases, executeBackoffMs: 50 }));
  app = await buildServer({ config, redis, logger: false, plugins: [stepsPlugin(shared), consolePlugin(shared)] });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  worker = runtime!.startWorker(workerRedis);
  // A real case (as intake admits it) with its stored triage report, then the plan proposed from it.
  const alert = parseAlert({
    '@timestamp': '2026-11-25T11:59:00.000Z',
    host: { id: 'host-1', name: 'WS-042' },
    user: { id: 'S-1-5-21-1', name: 'jdoe' },
    process: { entity_id: 'proc-entity-1', pid: 4242, name: 'reg.exe', parent: { entity_id: 'parent-1', pid: 100 } },
    kibana: { alert: { uuid: `ui-${randomBytes(4).toString('hex')}`, original_time: '2026-11-25T11:58:59.000Z' } },
  });
  caseId = (await app.hivewatch.cases.admit(alert)).caseId;
  await app.hivewatch.cases.saveReport(caseId, report(caseId));
  await runtime!.service.proposePlan(caseId, report(caseId));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await worker?.close();
  await app?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  workerRedis.disconnect();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('console in Chromium', () => {
  it('signs in, opens a case, approves a step and sees it done; talks to no one else', async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    const consoleErrors: string[] = [];
    page.on('pageerror', (err) => consoleErrors.push(err.message));

    await page.goto(`${base}/console`);
    await page.fill('#token', tokens.alice);
    await page.click('#sign-in');
    await page.getByTestId('who').filter({ hasText: 'alice (responder)' }).waitFor();
    await page.click(`button[data-case="${caseId}"]`);

    // Evidence and the steps with their undo.
    await page.getByTestId('evidence').filter({ hasText: 'public_profile_destination' }).waitFor();
    const isolateRow = page.locator('tr[data-step="s3"]');
    await expect.poll(() => isolateRow.innerText()).toContain('release_host');
    expect(await page.locator('tr[data-step="s2"]').innerText()).toContain('cannot be undone');

    // Approve the kill step (one approver) and watch it run to done through the queue and connector.
    await page.click('button[data-action="approve"][data-step="s2"]');
    await page.getByTestId('state-s2').filter({ hasText: 'done' }).waitFor({ timeout: 20_000 });

    // The isolate step needs a second approver: after alice it still waits.
    await page.click('button[data-action="approve"][data-step="s3"]');
    await page.locator('tr[data-step="s3"]').filter({ hasText: '1/2 (alice)' }).waitFor();
    expect(await page.getByTestId('state-s3').innerText()).toBe('proposed');

    // Four-eyes in the UI: a second approval by alice is refused with the API's code.
    await page.click('button[data-action="approve"][data-step="s3"]');
    await page.getByTestId('error').filter({ hasText: 'HW_ERR_SECOND_APPROVER' }).waitFor();

    // Deny with a reason from the row's input.
    await page.fill('input[data-reason="s1"]', 'evidence already on the share');
    await page.click('button[data-action="deny"][data-step="s1"]');
    await page.getByTestId('state-s1').filter({ hasText: 'denied' }).waitFor();

    expect(consoleErrors).toEqual([]);
    expect(requested.length).toBeGreaterThan(3);
    expect(requested.filter((url) => !url.startsWith(base))).toEqual([]);
    const stored = await runtime!.store.mustGet(caseId, 's1');
    expect(stored.decisions.at(-1)).toMatchObject({ kind: 'denied', by: { id: 'alice' }, reason: 'evidence already on the share' });
    // The case record follows its response: the isolate still waits for a second approver.
    expect((await app.hivewatch.cases.get(caseId))!.status).toBe('awaiting_approval');
  }, 60_000);

  it('a second person approves the isolate and then reverts it from the console', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/console#case=${caseId}`);
    await page.fill('#token', tokens.bob);
    await page.click('#sign-in');
    await page.getByTestId('who').filter({ hasText: 'bob (lead)' }).waitFor();
    await page.locator('tr[data-step="s3"]').waitFor();
    await page.click('button[data-action="approve"][data-step="s3"]');
    await page.getByTestId('state-s3').filter({ hasText: 'done' }).waitFor({ timeout: 20_000 });
    await page.click('button[data-action="revert"][data-step="s3"]');
    // The revert is a new step that waits for another responder (bob requested it).
    const revertRow = page.locator('tr', { hasText: 'undoes s3' });
    await revertRow.waitFor();
    expect(await revertRow.innerText()).toContain('release_host');
    expect(await revertRow.locator('.state').innerText()).toBe('proposed');
  }, 60_000);
});
