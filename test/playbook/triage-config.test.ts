// The `triage` config section: rule version, workflows file and asset source (file or CMDB URL) from a config
// file, the env overrides through the loader, bad values naming the setting, the CMDB wired into the triage
// dependencies, and the loud warning for a vendor connector without any inventory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '../../workers/config.js';
import { triageDepsFromConfig } from '../../workers/triage/processor.js';
import { assetInventoryFor, assetSourceWarning } from '../../workers/triage/settings.js';
import { startWorkers } from '../../workers/worker.js';
import { cleanup, connect, testConfig, uniquePrefix } from '../intake/helpers.js';

const repo = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'hw-triage-config-'));
const prefix = uniquePrefix('triagecfg');
const HOST = '78d29d18-e316-5aab-846b-a6a319b2acfb';
let redis: Redis;
let cmdb: Server;
let cmdbUrl = '';
let cmdbHits = 0;

beforeAll(async () => {
  redis = await connect();
  cmdb = createServer((_req, res) => {
    cmdbHits += 1;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify([{ 'host.id': HOST, 'host.name': 'WORKSTATION5', role: 'backup_node', criticality: 'critical', isolation_allowed: false, owner: 'cmdb', tags: [] }]));
  });
  await new Promise<void>((ok) => cmdb.listen(0, '127.0.0.1', ok));
  cmdbUrl = `http://127.0.0.1:${(cmdb.address() as AddressInfo).port}/inventory`;
});

afterAll(async () => {
  await new Promise((ok) => cmdb.close(ok));
  await cleanup(redis, prefix);
  await redis.quit();
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('triage config section', () => {
  it('defaults to rule 318, no workflows file and no explicit asset source', () => {
    expect(loadConfig({}).triage).toEqual({ ruleVersion: 318 });
  });

  it('reads rule version, workflows file and a CMDB from a TOML file; env vars override it', () => {
    const path = file('hw.toml', `[triage]\nruleVersion = 317\nworkflowsFile = "/etc/hw/workflows.json"\n[triage.assets]\nurl = "https://cmdb.example/inventory"\nttlSeconds = 60\n`);
    expect(loadConfig({}, path).triage).toEqual({ ruleVersion: 317, workflowsFile: '/etc/hw/workflows.json', assets: { url: 'https://cmdb.example/inventory', ttlSeconds: 60, timeoutMs: 5000 } });
    // An env asset source replaces the file's (never a mix of a file and a URL).
    const overridden = loadConfig({ HIVEWATCH_RULE_VERSION: '318', HIVEWATCH_ASSETS_FILE: '/data/assets.json', HIVEWATCH_WORKFLOWS_FILE: '/data/wf.json' }, path).triage;
    expect(overridden).toEqual({ ruleVersion: 318, workflowsFile: '/data/wf.json', assets: { file: '/data/assets.json' } });
    expect(loadConfig({ HIVEWATCH_ASSETS_URL: 'http://127.0.0.1:9/x' }).triage.assets).toEqual({ url: 'http://127.0.0.1:9/x', ttlSeconds: 300, timeoutMs: 5000 });
  });

  it('the CLI honours `-c FILE` (serve/worker share the loader) and never prints a CMDB credential', () => {
    const path = file('cli.toml', `[triage]\nruleVersion = 317\n[triage.assets]\nurl = "https://reader:pw123@cmdb.example/inv?token=tok456"\n`);
    const env = { ...process.env, HIVEWATCH_CONFIG: '', HIVEWATCH_RULE_VERSION: '', HIVEWATCH_ASSETS_FILE: '', HIVEWATCH_ASSETS_URL: '', HIVEWATCH_WORKFLOWS_FILE: '' };
    const printed = execFileSync(process.execPath, [join(repo, 'bin/hivewatch.js'), 'serve', '--print-config', '-c', path], { env, encoding: 'utf8' });
    const triage = (JSON.parse(printed) as { triage: { ruleVersion: number; assets: { url: string } } }).triage;
    expect(triage.ruleVersion).toBe(317);
    expect(triage.assets.url).toBe('https://***@cmdb.example/inv?***');
    expect(printed).not.toMatch(/pw123|tok456/);
    expect(JSON.stringify(describeConfig(loadConfig({}, path)))).not.toMatch(/pw123|tok456/);
  }, 30_000);

  it('a bad value names the setting', () => {
    expect(() => loadConfig({ HIVEWATCH_RULE_VERSION: '319' })).toThrow(/HW_ERR_CONFIG: triage\.ruleVersion \(HIVEWATCH_RULE_VERSION\): must be 317 or 318/);
    expect(() => loadConfig({}, undefined, { triage: { assets: { file: '/a.json', url: 'https://cmdb' } } } as never)).toThrow(/HW_ERR_CONFIG: triage\.assets: set either \{ file \} or \{ url/);
    expect(() => loadConfig({ HIVEWATCH_ASSETS_URL: 'ftp://cmdb/x' })).toThrow(/HW_ERR_CONFIG: triage\.assets/);
    expect(() => loadConfig({}, undefined, { triage: { assets: { url: 'https://cmdb', ttlSeconds: -1 } } } as never)).toThrow(/triage\.assets/);
  });

  it('wires the CMDB, the rule version and the workflows file into the triage dependencies', async () => {
    const workflows = file('workflows.json', JSON.stringify([{ name: 'nightly', 'process.executable': 'C:\\Windows\\System32\\reg.exe', 'process.code_signature.subject_name': 'Microsoft Windows', 'process.parent.command_line': 'C:\\backup\\run.cmd', 'process.command_line': 'reg save hklm\\sam d:\\bk\\*', 'user.id': 'S-1-5-21-1-2-3-500', 'host.id': HOST }]));
    const config = testConfig(prefix, {
      connector: { kind: 'replay', datasetDir: join(repo, 'data/empire'), stateDir: mkdtempSync(join(tmpdir(), 'hw-tc-')) },
      triage: { ruleVersion: 317, workflowsFile: workflows, assets: { url: cmdbUrl, ttlSeconds: 60 } },
    });
    const deps = await triageDepsFromConfig(config, redis);
    expect(deps.rule.version).toBe('317');
    expect(deps.workflows.map((w) => w.name)).toEqual(['nightly']);
    // The CMDB, not the replay dataset's assets.json (which calls this host a workstation), decides the role.
    expect(await deps.assets.getAsset(HOST)).toMatchObject({ role: 'backup_node', criticality: 'critical' });
    expect(cmdbHits).toBe(1);
    await deps.connector.close?.();

    // Replay without an asset setting: the dataset's assets.json.
    const fallback = await triageDepsFromConfig(testConfig(prefix, { connector: config.connector }), redis);
    expect(await fallback.assets.getAsset(HOST)).toMatchObject({ role: 'workstation' });
    expect(fallback.rule.version).toBe('318');
    await fallback.connector.close?.();

    const missing = testConfig(prefix, { connector: config.connector, triage: { workflowsFile: join(dir, 'nope.json') } });
    await expect(triageDepsFromConfig(missing, redis)).rejects.toThrow(/triage\.workflowsFile.*does not exist/);
  });

  it('warns loudly at worker start when a vendor connector has no asset source', async () => {
    expect(assetSourceWarning({ ruleVersion: 318 }, 'replay')).toBeNull();
    expect(assetSourceWarning({ ruleVersion: 318, assets: { file: '/a.json' } }, 'elastic')).toBeNull();
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
    const config = testConfig(prefix, { connector: { kind: 'elastic', elasticsearchUrl: 'http://127.0.0.1:9', kibanaUrl: 'http://127.0.0.1:9', apiKey: 'dGVzdDp0ZXN0' } });
    const workerRedis = await connect('worker');
    const running = await startWorkers({ config, connection: workerRedis, logger, stages: [], only: ['triage'] });
    await running.close();
    await workerRedis.quit();
    const warning = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.msg.includes('HW_WARN_NO_ASSET_INVENTORY'));
    expect(warning?.level).toBe(40);
    expect(warning?.msg).toMatch(/connector elastic .*triage\.assets\.file or triage\.assets\.url/);
    expect(lines.join('')).not.toContain('dGVzdDp0ZXN0');
  });
});

describe('CMDB token', () => {
  it('sends the token from the named env variable as a bearer header, and a missing one names the setting', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.setHeader('content-type', 'application/json');
      res.end('[]');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/inv`;
      const settings = loadConfig({}, undefined, { triage: { assets: { url, token: { env: 'HW_TEST_CMDB_TOKEN' } } } } as never).triage;
      const connector = {} as never;
      const inventory = assetInventoryFor(settings, connector, { HW_TEST_CMDB_TOKEN: 'cmdb-secret-1' })!;
      expect(await inventory.getAsset('nope')).toBeNull();
      expect(seen).toEqual(['Bearer cmdb-secret-1']);
      expect(() => assetInventoryFor(settings, connector, {})).toThrow(/HW_ERR_CONFIG: triage\.assets\.token: HW_TEST_CMDB_TOKEN is not set/);
      // Without a token setting, HIVEWATCH_ASSETS_TOKEN is used when present, and nothing otherwise.
      const plain = loadConfig({ HIVEWATCH_ASSETS_URL: url }).triage;
      await assetInventoryFor(plain, connector, { HIVEWATCH_ASSETS_TOKEN: 'cmdb-secret-2' })!.getAsset('x');
      await assetInventoryFor(plain, connector, {})!.getAsset('x');
      expect(seen.slice(1)).toEqual(['Bearer cmdb-secret-2', undefined]);
      expect(JSON.stringify(describeConfig(loadConfig({}, undefined, { triage: { assets: { url, token: 'literal-tok' } } } as never)))).not.toContain('literal-tok');
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });
});
