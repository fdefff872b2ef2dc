// A decision and its audit record are one atomic write: a failure of the audit half leaves the step as it
// was, a process SIGKILLed mid-decision leaves no decision without its record, and concurrent writers still
// form one verifiable chain. Real Redis, real processes.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisAuditLog } from '../../workers/audit/redis-log.js';
import { verifyAuditLog } from '../../workers/audit/verify.js';
import { StepStore } from '../../workers/response/store.js';
import { MemoryAuditSink } from '../../workers/audit/types.js';
import type { CaseStep } from '../../workers/response/step.js';
import { alice, bob, harness, lena, report, stepOf, type Harness } from './helpers.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Decisions a step carries, by the audit record type each one must have. */
const RECORD_OF: Record<string, string[]> = {
  approved: ['step.approved'],
  denied: ['step.denied', 'step.withdrawn'],
  timeout: ['step.timeout'],
  retried: ['step.retry_requested'],
};

/** For every step of every case: each recorded decision has its audit record, and no record lacks its decision. */
async function decisionsMatchRecords(store: StepStore, audit: RedisAuditLog, caseIds: string[]): Promise<{ decisions: number; mismatches: string[] }> {
  const mismatches: string[] = [];
  let decisions = 0;
  for (const caseId of caseIds) {
    const records = (await audit.caseRecords(caseId)).map((r) => r.record);
    for (const step of await store.list(caseId)) {
      for (const [kind, types] of Object.entries(RECORD_OF)) {
        const made = step.decisions.filter((d) => d.kind === kind);
        const recorded = records.filter((r) => types.includes(r.type) && r.data.stepId === step.stepId);
        decisions += made.length;
        if (made.length !== recorded.length) mismatches.push(`${caseId}/${step.stepId}: ${made.length} ${kind} decision(s), ${recorded.length} record(s)`);
        made.forEach((decision, index) => {
          if (recorded[index] && recorded[index]!.actor?.id !== decision.by.id) mismatches.push(`${caseId}/${step.stepId}: ${kind} by ${decision.by.id} recorded as ${recorded[index]!.actor?.id}`);
        });
      }
    }
  }
  return { decisions, mismatches };
}

describe('decision and audit record are one atomic unit', () => {
  it('an audit append that fails leaves the step untouched; once the log works again the decision is made and recorded', async () => {
    h = await harness();
    await h.service.proposePlan('a1', report('a1'));
    const preserve = await stepOf(h, 'a1', 'preserve_evidence');
    const stream = h.audit.keys.stream;
    const headBefore = await h.redis.get(h.audit.keys.head);
    // Inject the failure between "state" and "record": the stream key holds the wrong type, so XADD fails.
    await h.redis.rename(stream, `${stream}:aside`);
    await h.redis.set(stream, 'not a stream');
    await expect(h.service.approve('a1', preserve.stepId, alice, preserve.hash)).rejects.toThrow(/WRONGTYPE/);
    await expect(h.service.deny('a1', preserve.stepId, alice, 'not needed')).rejects.toThrow(/WRONGTYPE/);
    const untouched = await h.store.mustGet('a1', preserve.stepId);
    expect(untouched).toMatchObject({ state: 'proposed', rev: preserve.rev, approvals: [], decisions: [] });
    expect(await h.redis.get(h.audit.keys.head)).toBe(headBefore);

    await h.redis.del(stream);
    await h.redis.rename(`${stream}:aside`, stream);
    const approved = await h.service.approve('a1', preserve.stepId, alice, preserve.hash);
    expect(approved.state).toBe('approved');
    const records = (await h.audit.caseRecords('a1')).map((r) => r.record);
    expect(records.filter((r) => r.type === 'step.approved')).toHaveLength(1);
    expect(records.at(-1)).toMatchObject({ type: 'step.approved', actor: { id: 'alice' }, data: { stepId: preserve.stepId, hash: preserve.hash } });
    expect(await verifyAuditLog(h.audit)).toMatchObject({ ok: true, broken: null });
  });

  it('a deciding process SIGKILLed at random moments leaves no decision without its record, and the chain verifies', async () => {
    h = await harness();
    const harnessed = h;
    for (const [round, delayMs] of [[0, 700], [1, 950], [2, 1200]] as const) {
      const tag = `k${round}`;
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/decider-child.ts')], {
        cwd: repoRoot,
        env: { ...process.env, HW_TEST_PREFIX: harnessed.prefix, HW_CHILD_TAG: tag },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`decider exited early (${code}): ${stderr}`)));
      });
      await new Promise((resolve) => setTimeout(resolve, delayMs + Math.floor(Math.random() * 200)));
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    }
    const caseIds = (await h.store.listCases(false, 100_000)).filter((id) => /^k\d-\d+$/.test(id));
    expect(caseIds.length).toBeGreaterThan(3);
    const { decisions, mismatches } = await decisionsMatchRecords(h.store, h.audit, caseIds);
    expect(decisions).toBeGreaterThan(10);
    expect(mismatches).toEqual([]);
    expect(await verifyAuditLog(h.audit)).toMatchObject({ ok: true, broken: null });
  }, 60_000);

  it('a sink that is not the Redis chain (Redis-free runs) still gets every record, after the state write', async () => {
    h = await harness();
    await h.service.proposePlan('m1', report('m1'));
    const step = await stepOf(h, 'm1', 'preserve_evidence');
    const memory = new MemoryAuditSink();
    const { after } = await h.store.update('m1', step.stepId, (current) => ({ ...current, state: 'denied' }), { sink: memory, entries: (next) => [{ type: 'step.denied', caseId: 'm1', data: { stepId: next.stepId, state: next.state } }] });
    expect(after.state).toBe('denied');
    expect(memory.entries).toEqual([{ type: 'step.denied', caseId: 'm1', data: { stepId: step.stepId, state: 'denied' } }]);
    expect((await h.audit.caseRecords('m1')).some((r) => r.record.type === 'step.denied')).toBe(false);
  });

  it('concurrent deciders and plain appends on separate connections form one chain', async () => {
    h = await harness();
    const ids = Array.from({ length: 8 }, (_, i) => `c${i}`);
    for (const id of ids) await h.service.proposePlan(id, report(id));
    // A second process's view: its own connections to the same Redis.
    const other = h.redis.duplicate();
    const otherAudit = new RedisAuditLog({ redis: other, prefix: `${h.prefix}:`, deployment: 'test' });
    const otherStore = new StepStore(other, h.prefix);
    const harnessed = h;
    try {
      const work: Promise<unknown>[] = [];
      for (const id of ids) {
        const iso = await stepOf(harnessed, id, 'isolate_host');
        const kill = await stepOf(harnessed, id, 'terminate_process');
        work.push(harnessed.service.approve(id, iso.stepId, alice, iso.hash));
        work.push(harnessed.service.approve(id, iso.stepId, lena, iso.hash));
        work.push(harnessed.service.deny(id, kill.stepId, bob, 'keep it running for now'));
        work.push(otherAudit.append({ type: 'note', caseId: id, data: { n: id } }));
        work.push(
          otherStore.update(id, kill.stepId, (step: CaseStep) => step, { sink: otherAudit, entries: () => [{ type: 'note.touch', caseId: id, data: { stepId: kill.stepId } }] }).catch(() => undefined),
        );
      }
      await Promise.all(work);
      const verify = await verifyAuditLog(h.audit);
      expect(verify).toMatchObject({ ok: true, broken: null });
      const total = (await h.redis.xlen(h.audit.keys.stream));
      expect(verify.records).toBe(total);
      const { mismatches } = await decisionsMatchRecords(h.store, h.audit, ids);
      expect(mismatches).toEqual([]);
      for (const id of ids) expect((await stepOf(harnessed, id, 'isolate_host')).state).toBe('approved');
    } finally {
      other.disconnect();
    }
  });
});
