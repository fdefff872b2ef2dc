import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileAssetInventory, HttpAssetInventory, parseAssets } from '../../connectors/assets/index.js';
import type { Asset } from '../../connectors/types.js';

const DC: Asset = { 'host.id': 'h-dc', 'host.name': 'ws-finance-07', role: 'domain_controller', criticality: 'critical', isolation_allowed: false, owner: 'identity-team', tags: ['tier0'] };
const WS: Asset = { 'host.id': 'h-ws', 'host.name': 'dc01', role: 'workstation', criticality: 'low', isolation_allowed: true, owner: 'it', tags: [] };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hw-assets-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('asset schema', () => {
  it('names the entry index and the field of every problem', () => {
    const bad = [DC, { ...WS, criticality: 'urgent' }, { ...WS, 'host.id': 'h-3', isolation_allowed: 'yes' }, { ...WS, 'host.id': 'h-4', extra: 1 }];
    expect(() => parseAssets(bad, 'assets.json')).toThrow(/entry 1 field "criticality".*entry 2 field "isolation_allowed".*entry 3 field "\(entry\)"/);
    expect(() => parseAssets([DC, DC], 'assets.json')).toThrow(/entry 1 field "host.id": "h-dc" is already listed at entry 0/);
    expect(() => parseAssets({ assets: [] }, 'cmdb')).toThrow(/cmdb: expected a JSON list/);
    try {
      parseAssets([{ ...DC, role: 'dc' }], 'x');
      expect.unreachable();
    } catch (error) {
      expect((error as { code: string }).code).toBe('HW_ERR_ASSETS_INVALID');
    }
  });
});

describe('FileAssetInventory', () => {
  it('answers role and criticality from the file, null for an unknown host, never from the name', async () => {
    const path = join(dir, 'assets.json');
    await writeFile(path, JSON.stringify([DC, WS]));
    const inventory = new FileAssetInventory(path);
    await inventory.load();
    // The host named like a workstation is the DC, and the one named "dc01" is a workstation: only the inventory counts.
    expect((await inventory.getAsset('h-dc'))?.role).toBe('domain_controller');
    expect((await inventory.getAsset('h-ws'))?.role).toBe('workstation');
    expect(await inventory.getAsset('h-unknown')).toBeNull();
    expect((await inventory.list()).length).toBe(2);
  });

  it('reports an unreadable or invalid file with a code, and retries after the file is fixed', async () => {
    const path = join(dir, 'later.json');
    const inventory = new FileAssetInventory(path);
    await expect(inventory.getAsset('h-dc')).rejects.toMatchObject({ code: 'HW_ERR_ASSETS_UNREADABLE', message: expect.stringContaining(path) });
    await writeFile(path, '[{"host.id":');
    await expect(inventory.getAsset('h-dc')).rejects.toMatchObject({ code: 'HW_ERR_ASSETS_INVALID', message: expect.stringContaining('not valid JSON') });
    await writeFile(path, JSON.stringify([DC]));
    expect((await inventory.getAsset('h-dc'))?.criticality).toBe('critical');
  });
});

describe('HttpAssetInventory', () => {
  let server: FastifyInstance;
  let base: string;
  let body: unknown = [DC, WS];
  let status = 200;
  let delayMs = 0;
  const seen: { auth: string | undefined }[] = [];

  beforeAll(async () => {
    server = Fastify();
    server.get('/cmdb/assets', async (request, reply) => {
      seen.push({ auth: request.headers.authorization });
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return reply.code(status).send(body);
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const address = server.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await server.close();
  });

  it('fetches once per TTL, shares one request between concurrent lookups, and sends its headers', async () => {
    let clock = 1_000_000;
    seen.length = 0;
    const inventory = new HttpAssetInventory({ url: `${base}/cmdb/assets`, ttlMs: 60_000, now: () => clock, headers: { Authorization: 'Bearer cmdb-secret' } });
    const [a, b, c] = await Promise.all([inventory.getAsset('h-dc'), inventory.getAsset('h-ws'), inventory.getAsset('h-none')]);
    expect(a?.role).toBe('domain_controller');
    expect(b?.role).toBe('workstation');
    expect(c).toBeNull();
    expect(seen).toEqual([{ auth: 'Bearer cmdb-secret' }]);
    clock += 59_000;
    await inventory.getAsset('h-dc');
    expect(seen.length).toBe(1);
    clock += 2_000;
    body = [{ ...DC, criticality: 'high' }];
    expect((await inventory.getAsset('h-dc'))?.criticality).toBe('high');
    expect(seen.length).toBe(2);
    body = [DC, WS];
  });

  it('serves the last good copy while the CMDB fails, then errors with a code and no secret', async () => {
    let clock = 0;
    const inventory = new HttpAssetInventory({ url: `${base}/cmdb/assets?token=url-secret`, ttlMs: 1_000, maxStaleMs: 5_000, now: () => clock });
    expect((await inventory.getAsset('h-ws'))?.role).toBe('workstation');
    status = 503;
    clock = 2_000;
    expect((await inventory.getAsset('h-ws'))?.role).toBe('workstation');
    clock = 10_000;
    const error = (await inventory.getAsset('h-ws').then(() => null, (e: unknown) => e)) as Error & { code: string };
    expect(error).toMatchObject({ code: 'HW_ERR_ASSETS_HTTP' });
    expect(error.message).toContain('HTTP 503');
    expect(error.message).not.toContain('url-secret');
    status = 200;
  });

  it('rejects an invalid inventory body and times out a slow CMDB', async () => {
    body = [{ ...WS, role: 'laptop' }];
    const invalid = new HttpAssetInventory({ url: `${base}/cmdb/assets` });
    await expect(invalid.getAsset('h-ws')).rejects.toMatchObject({ code: 'HW_ERR_ASSETS_INVALID', message: expect.stringMatching(/entry 0 field "role"/) });
    body = [DC, WS];
    delayMs = 500;
    const slow = new HttpAssetInventory({ url: `${base}/cmdb/assets`, timeoutMs: 100 });
    await expect(slow.getAsset('h-ws')).rejects.toMatchObject({ code: 'HW_ERR_ASSETS_HTTP', message: expect.stringContaining('ECONNABORTED') });
    delayMs = 0;
  });
});
