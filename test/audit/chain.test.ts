import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, normalize } from '../../workers/audit/canonical.js';
import { exportLines } from '../../workers/audit/export.js';
import { recordHash } from '../../workers/audit/record.js';
import { RedisAuditLog } from '../../workers/audit/redis-log.js';
import { verifyAuditLog } from '../../workers/audit/verify.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const prefix = `hwtest:audit:${randomBytes(4).toString('hex')}:`;
let redis: Redis;

async function cleanup(): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
}

beforeAll(() => {
  redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false });
});
afterAll(async () => {
  await cleanup();
  redis.disconnect();
});

function newLog(deployment: string): RedisAuditLog {
  return new RedisAuditLog({ redis, prefix, deployment });
}

async function fill(log: RedisAuditLog, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await log.append({
      type: i % 2 ? 'step.approved' : 'triage.query',
      caseId: `case-${i % 3}`,
      actor: { id: 'alice', role: 'responder' },
      data: { i, resultHash: `h${i}`, score: 0.5, text: 'reg.exe save HKLM\\SAM C:\\Users\\Public\\sam — ü' },
    });
  }
}

/** Rewrites a stream entry in place, as someone with Redis access would: same ids, one body changed. */
async function editByHand(log: RedisAuditLog, seq: number, edit: (record: Record<string, unknown>) => void, fixHash = false) {
  const rows = await redis.xrange(log.keys.stream, '-', '+');
  await redis.del(log.keys.stream);
  for (const [id, fields] of rows) {
    const record = JSON.parse(fields[1]!) as Record<string, unknown>;
    let r = fields[1]!;
    let h = fields[3]!;
    if (record.seq === seq) {
      edit(record);
      if (fixHash) {
        record.hash = recordHash(record as never);
        h = record.hash as string;
        r = canonicalJson(record);
      } else {
        r = JSON.stringify(record);
      }
    }
    await redis.xadd(log.keys.stream, id, 'r', r, 'h', h);
  }
  return rows.find(([, fields]) => (JSON.parse(fields[1]!) as { seq: number }).seq === seq)![0];
}

describe('canonical JSON', () => {
  it('matches jq -cS and keeps numbers jq would re-format as strings', () => {
    const value = normalize({ b: 1, a: [{ z: null, y: 0.1 }], 'é': 'x', c: -0, big: 2 ** 60, u: undefined });
    expect(canonicalJson(value)).toBe('{"a":[{"y":"0.1","z":null}],"b":1,"big":"1152921504606847000","c":0,"é":"x"}');
    const viaJq = execFileSync('jq', ['-cS', '.'], { input: JSON.stringify(value) }).toString().trim();
    expect(viaJq).toBe(canonicalJson(value));
  });

  it('redacts secret-named keys before hashing', async () => {
    const log = newLog('redact');
    const stored = await log.appendRecord({ type: 'config.changed', data: { notify: { url: 'http://x', secret: 's3cr3t' }, apiKey: 'k' } });
    expect(JSON.stringify(stored.record)).not.toContain('s3cr3t');
    expect(stored.record.data).toEqual({ notify: { url: 'http://x', secret: '[redacted]' }, apiKey: '[redacted]' });
  });
});

describe('RedisAuditLog', () => {
  it('chains every record to the one before and verifies clean', async () => {
    const log = newLog('clean');
    await fill(log, 12);
    const result = await verifyAuditLog(log);
    expect(result).toMatchObject({ ok: true, records: 12, lastSeq: 12, broken: null });
    const records = (await log.caseRecords('case-1')).map((r) => r.record.seq);
    expect(records).toEqual([2, 5, 8, 11]);
  });

  it('keeps one unbroken chain under concurrent writers on separate connections', async () => {
    const other = new Redis({ host: '127.0.0.1', port: 6379 });
    try {
      const a = newLog('concurrent');
      const b = new RedisAuditLog({ redis: other, prefix, deployment: 'concurrent' });
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).append({ type: 'alert.received', caseId: `c${i}`, data: { i } })),
      );
      const result = await verifyAuditLog(a);
      expect(result.ok).toBe(true);
      expect(result.records).toBe(40);
    } finally {
      other.disconnect();
    }
  });

  it('names the record edited by hand in Redis', async () => {
    const log = newLog('tamper');
    await fill(log, 8);
    const id = await editByHand(log, 5, (record) => {
      (record.data as Record<string, unknown>).resultHash = 'forged';
    });
    const result = await verifyAuditLog(log);
    expect(result.ok).toBe(false);
    expect(result.broken).toMatchObject({ id, seq: 5 });
    expect(result.records).toBe(4);
  });

  it('names the next record when the forger also recomputes the edited hash', async () => {
    const log = newLog('tamper2');
    await fill(log, 6);
    await editByHand(log, 3, (record) => { record.type = 'step.denied'; }, true);
    const result = await verifyAuditLog(log);
    expect(result.ok).toBe(false);
    expect(result.broken?.seq).toBe(4);
    expect(result.broken?.reason).toContain('broken link');
  });

  it('detects records removed from the middle and from the tail', async () => {
    const mid = newLog('gap');
    await fill(mid, 5);
    const rows = await redis.xrange(mid.keys.stream, '-', '+');
    await redis.xdel(mid.keys.stream, rows[2]![0]);
    expect((await verifyAuditLog(mid)).broken?.seq).toBe(4);

    const tail = newLog('tail');
    await fill(tail, 5);
    const tailRows = await redis.xrange(tail.keys.stream, '-', '+');
    await redis.xdel(tail.keys.stream, tailRows[4]![0]);
    const result = await verifyAuditLog(tail);
    expect(result.ok).toBe(false);
    expect(result.broken?.id).toBe('(head)');
  });
});

describe('NDJSON export and the docs/audit.md recipe', () => {
  const doc = readFileSync(path.join(repoRoot, 'docs/audit.md'), 'utf8');
  const recipe = /<!-- verify-recipe:start -->\s*```sh\n([\s\S]*?)```/.exec(doc)![1]!;
  const runRecipe = (ndjson: string, ...args: string[]) =>
    spawnSync('bash', ['-c', recipe, 'verify-audit.sh', ...args], { input: ndjson, encoding: 'utf8' });

  it('an export passes the sha256sum/jq check; an edited line fails it and is named', async () => {
    const log = newLog('export');
    await fill(log, 7);
    const lines: string[] = [];
    for await (const line of exportLines(log)) lines.push(line);
    expect(lines).toHaveLength(7);
    const ok = runRecipe(`${lines.join('\n')}\n`);
    expect(ok.stdout).toContain('ok: 7 records');
    expect(ok.status).toBe(0);

    const edited = lines.map((line, i) => (i === 3 ? line.replace('"h3"', '"hX"') : line));
    const bad = runRecipe(`${edited.join('\n')}\n`);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('BROKEN line 4 (seq 4)');
  });

  it('--since exports a verifiable tail anchored at its first prev; --case selects the case', async () => {
    let clock = Date.parse('2026-11-25T10:00:00Z');
    const log = new RedisAuditLog({ redis, prefix, deployment: 'since', now: () => new Date((clock += 60_000)) });
    await fill(log, 6);
    const since: string[] = [];
    for await (const line of exportLines(log, { since: new Date('2026-11-25T10:04:00Z') })) since.push(line);
    expect(since.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([4, 5, 6]);
    expect(runRecipe(`${since.join('\n')}\n`, '--anchor').status).toBe(0);
    const byCase: string[] = [];
    for await (const line of exportLines(log, { caseId: 'case-0' })) byCase.push(line);
    expect(byCase.map((l) => (JSON.parse(l) as { caseId: string }).caseId)).toEqual(['case-0', 'case-0']);
  });
});
