// The response CLI as users run it (`node bin/hivewatch.js ...`), against real Redis.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDataset, ReplayConnector } from '../../connectors/replay/index.js';
import { canonicalJson } from '../../workers/audit/canonical.js';
import { loadConfig } from '../../workers/config.js';
import { createResponseRuntime, type ResponseRuntime } from '../../workers/response/runtime.js';
import { report } from './helpers.js';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const prefix = `hwtest-cli-${randomBytes(4).toString('hex')}`;
let dir: string;
let configPath: string;
let redis: Redis;
let runtime: ResponseRuntime;

async function cli(args: string[], token?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, HIVEWATCH_CONFIG: configPath, HIVEWATCH_TOKEN: token ?? '' };
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'bin/hivewatch.js'), ...args], { env, cwd: repoRoot });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'hw-cli-'));
  configPath = path.join(dir, 'hivewatch.json');
  const raw = {
    redis: { prefix },
    response: {
      identities: [
        { id: 'alice', role: 'responder', tokenSha256: sha('alice-token-xyz') },
        { id: 'bob', role: 'responder', tokenSha256: sha('bob-token-xyz') },
        { id: 'vera', role: 'viewer', tokenSha256: sha('vera-token-xyz') },
      ],
    },
  };
  writeFileSync(configPath, JSON.stringify(raw));
  redis = new Redis({ host: '127.0.0.1', port: 6379 });
  const config = loadConfig({}, configPath);
  const connector = new ReplayConnector(buildDataset([]), { stateDir: dir });
  runtime = createResponseRuntime({ config, redis, connector: async () => connector });
  await runtime.service.proposePlan('case-cli1', report('case-cli1'));
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

// Each CLI run starts node + tsx (seconds on a loaded 2-core box): generous timeouts.
describe('hivewatch cases / steps / audit', { timeout: 120_000 }, () => {
  it('lists and shows the case, approves as one identity, refuses a viewer and a missing token', async () => {
    const list = await cli(['cases', 'list']);
    expect(list.stdout).toContain('case-cli1');
    const show = await cli(['cases', 'show', 'case-cli1']);
    expect(show.stdout).toMatch(/s3\s+proposed\s+isolate_host host-1 \[isolate_host\] approvals 0\/2 undo: release_host/);
    const noToken = await cli(['steps', 'approve', 'case-cli1', 's3']);
    expect([noToken.code, noToken.stderr]).toEqual([2, expect.stringContaining('HIVEWATCH_TOKEN')]);
    const viewer = await cli(['steps', 'approve', 'case-cli1', 's3'], 'vera-token-xyz');
    expect([viewer.code, viewer.stderr]).toEqual([1, expect.stringContaining('HW_ERR_ROLE_FORBIDDEN')]);
    const first = await cli(['steps', 'approve', 'case-cli1', 's3'], 'alice-token-xyz');
    expect(first.stdout).toContain('1 more approver(s) needed');
    const stale = await cli(['steps', 'approve', 'case-cli1', 's3', '--hash', '0'.repeat(64)], 'bob-token-xyz');
    expect([stale.code, stale.stderr]).toEqual([1, expect.stringContaining('HW_ERR_STALE_HASH')]);
    const deny = await cli(['steps', 'deny', 'case-cli1', 's2', '--reason', 'known admin tool'], 'bob-token-xyz');
    expect(deny.stdout).toContain('s2 denied by bob');
    expect((await runtime.store.mustGet('case-cli1', 's2')).state).toBe('denied');
  });

  it('audit verify passes, export checks out, and a hand-edited record fails verify by name', async () => {
    const ok = await cli(['audit', 'verify']);
    expect([ok.code, ok.stdout]).toEqual([0, expect.stringMatching(/^ok: \d+ records/)]);
    const exported = await cli(['audit', 'export', '--case', 'case-cli1']);
    const lines = exported.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; caseId: string });
    expect(lines.map((l) => l.type)).toEqual(expect.arrayContaining(['response.proposed', 'step.approved', 'step.denied']));
    expect(new Set(lines.map((l) => l.caseId))).toEqual(new Set(['case-cli1']));

    // Edit the step.denied record in place, as someone with Redis access would.
    const rows = await redis.xrange(runtime.audit.keys.stream, '-', '+');
    const target = rows.find(([, fields]) => fields[1]!.includes('"step.denied"'))!;
    await redis.del(runtime.audit.keys.stream);
    for (const [id, fields] of rows) {
      const record = JSON.parse(fields[1]!) as Record<string, unknown>;
      if (id === target[0]) (record.data as Record<string, unknown>).reason = 'approved by management';
      await redis.xadd(runtime.audit.keys.stream, id, 'r', canonicalJson(record), 'h', fields[3]!);
    }
    const broken = await cli(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN at record ${target[0]}`);
    expect(broken.stdout).toContain('content hash mismatch');
  });
});
