// A plan proposal and a revert claim are each one atomic unit with their audit records: a failing audit append
// leaves no step, claim or meta behind, and a process SIGKILLed mid-proposal leaves no step without its
// `response.proposed` record and no `revertedBy` claim without its `step.revert_requested` record. Real Redis.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../workers/audit/record.js';
import { verifyAuditLog } from '../../workers/audit/verify.js';
import { alice, bob, harness, lena, report, stepOf, type Harness } from './helpers.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Makes every audit append fail (the stream key holds the wrong type); returns the undo. */
async function breakAuditLog(t: Harness): Promise<() => Promise<void>> {
  const stream = t.audit.keys.stream;
  const had = (await t.redis.exists(stream)) === 1;
  if (had) await t.redis.rename(stream, `${stream}:aside`);
  await t.redis.set(stream, 'not a stream');
  return async () => {
    await t.redis.del(stream);
    if (had) await t.redis.rename(`${stream}:aside`, stream);
  };
}

async function isolateDone(t: Harness, caseId: string) {
  await t.service.proposePlan(caseId, report(caseId));
  const iso = await stepOf(t, caseId, 'isolate_host');
  await t.service.approve(caseId, iso.stepId, alice, iso.hash);
  await t.service.approve(caseId, iso.stepId, lena, iso.hash);
  expect((await t.executor.run(caseId, iso.stepId, 1)).state).toBe('done');
  return iso;
}

/** Every step and claim of the case against its records; returns what does not match. */
async function stateMatchesRecords(t: Harness, caseId: string): Promise<string[]> {
  const records = (await t.audit.caseRecords(caseId)).map((r) => r.record as AuditRecord & { data: Record<string, any> });
  const steps = await t.store.list(caseId);
  const meta = await t.store.getMeta(caseId);
  const out: string[] = [];
  const proposed = records.filter((r) => r.type === 'response.proposed');
  const created = proposed.flatMap((r) => (r.data.created as { stepId: string; hash: string }[]).map((c) => c.stepId));
  const requested = records.filter((r) => r.type === 'step.revert_requested');
  for (const step of steps) {
    if (!step.revertOf && created.filter((id) => id === step.stepId).length !== 1) out.push(`${caseId}/${step.stepId}: created ${created.filter((id) => id === step.stepId).length} times in response.proposed`);
    if (step.revertOf && requested.filter((r) => r.data.stepId === step.stepId && r.data.revertOf === step.revertOf).length !== 1) out.push(`${caseId}/${step.stepId}: revert step without its step.revert_requested record`);
    if (step.revertedBy && !requested.some((r) => r.data.stepId === step.revertedBy && r.data.revertOf === step.stepId)) out.push(`${caseId}/${step.stepId}: claim revertedBy=${step.revertedBy} without a record`);
    if (step.revertedBy && !steps.some((other) => other.stepId === step.revertedBy)) out.push(`${caseId}/${step.stepId}: claim names a step that does not exist`);
  }
  for (const id of created) if (!steps.some((step) => step.stepId === id)) out.push(`${caseId}/${id}: recorded as created but missing`);
  for (const r of requested) if (!steps.some((step) => step.stepId === r.data.stepId)) out.push(`${caseId}/${r.data.stepId}: revert recorded but missing`);
  if (meta && meta.planVersion !== proposed.length) out.push(`${caseId}: meta planVersion ${meta.planVersion}, ${proposed.length} response.proposed record(s)`);
  if (!meta && (proposed.length > 0 || steps.length > 0)) out.push(`${caseId}: records or steps without meta`);
  const withdrawn = records.filter((r) => r.type === 'step.withdrawn').map((r) => r.data.stepId as string);
  for (const step of steps) {
    const made = step.decisions.filter((d) => d.kind === 'denied' && d.reason?.startsWith('withdrawn')).length;
    if (made !== withdrawn.filter((id) => id === step.stepId).length) out.push(`${caseId}/${step.stepId}: ${made} withdrawal(s), ${withdrawn.filter((id) => id === step.stepId).length} record(s)`);
  }
  return out;
}

describe('a plan proposal is one atomic unit with its record', () => {
  it('an audit append that fails leaves no step and no meta; once the log works the proposal is made and recorded once', async () => {
    h = await harness();
    const restore = await breakAuditLog(h);
    await expect(h.service.proposePlan('p1', report('p1'))).rejects.toThrow(/WRONGTYPE/);
    expect(await h.store.list('p1')).toEqual([]);
    expect(await h.store.getMeta('p1')).toBeNull();
    expect(await h.redis.lrange(h.store.keys.steps('p1'), 0, -1)).toEqual([]);
    await restore();

    const steps = await h.service.proposePlan('p1', report('p1'));
    expect(steps).toHaveLength(3);
    const records = (await h.audit.caseRecords('p1')).map((r) => r.record);
    const proposed = records.filter((r) => r.type === 'response.proposed');
    expect(proposed).toHaveLength(1);
    expect((proposed[0]!.data.created as { stepId: string; hash: string }[]).map((c) => [c.stepId, c.hash])).toEqual(steps.map((s) => [s.stepId, s.hash]));
    expect(await stateMatchesRecords(h, 'p1')).toEqual([]);
    expect(await verifyAuditLog(h.audit)).toMatchObject({ ok: true, broken: null });
  });

  it('a changed plan whose records cannot be written re-binds and withdraws nothing', async () => {
    h = await harness();
    await h.service.proposePlan('p2', report('p2'));
    const before = await h.store.list('p2');
    const metaBefore = await h.store.getMeta('p2');
    const restore = await breakAuditLog(h);
    const changed = report('p2', { score: 90, plan: report('p2').plan.filter((s) => s.action !== 'terminate_process') });
    await expect(h.service.proposePlan('p2', changed)).rejects.toThrow(/WRONGTYPE/);
    expect(await h.store.list('p2')).toEqual(before);
    expect(await h.store.getMeta('p2')).toEqual(metaBefore);
    await restore();
    await h.service.proposePlan('p2', changed);
    const types = (await h.audit.caseRecords('p2')).map((r) => r.record.type);
    expect(types.filter((t) => t === 'response.proposed')).toHaveLength(2);
    expect(types.filter((t) => t === 'step.withdrawn')).toHaveLength(1);
    expect(types.filter((t) => t === 'step.rebound')).toHaveLength(2);
    expect((await stepOf(h, 'p2', 'terminate_process')).state).toBe('denied');
    expect(await stateMatchesRecords(h, 'p2')).toEqual([]);
  });
});

describe('a revert claim is one atomic unit with the revert step and its record', () => {
  it('an audit append that fails leaves no claim and no revert step; afterwards the claim names the recorded step', async () => {
    h = await harness();
    const iso = await isolateDone(h, 'r1');
    const restore = await breakAuditLog(h);
    await expect(h.service.revert('r1', iso.stepId, alice, 'false positive')).rejects.toThrow(/WRONGTYPE/);
    const untouched = await h.store.mustGet('r1', iso.stepId);
    expect(untouched).toMatchObject({ state: 'done', revertedBy: null });
    expect((await h.store.list('r1')).filter((s) => s.revertOf)).toEqual([]);
    await restore();
    // No dangling claim: the next request goes through at once (no "being reverted" window to wait out).
    const revert = await h.service.revert('r1', iso.stepId, bob, 'false positive');
    expect((await h.store.mustGet('r1', iso.stepId)).revertedBy).toBe(revert.stepId);
    const requested = (await h.audit.caseRecords('r1')).map((r) => r.record).filter((r) => r.type === 'step.revert_requested');
    expect(requested).toHaveLength(1);
    expect(requested[0]).toMatchObject({ actor: { id: 'bob' }, data: { stepId: revert.stepId, revertOf: iso.stepId, hash: revert.hash, previousRevert: null } });
    expect(await stateMatchesRecords(h, 'r1')).toEqual([]);
  });

  it('a denied revert frees the step; the new claim records which revert it replaces', async () => {
    h = await harness();
    const iso = await isolateDone(h, 'r2');
    const first = await h.service.revert('r2', iso.stepId, alice, 'false positive');
    await h.service.deny('r2', first.stepId, bob, 'keep it isolated');
    const second = await h.service.revert('r2', iso.stepId, bob, 'owner confirmed');
    expect((await h.store.mustGet('r2', iso.stepId)).revertedBy).toBe(second.stepId);
    const requested = (await h.audit.caseRecords('r2')).map((r) => r.record).filter((r) => r.type === 'step.revert_requested');
    expect(requested.map((r) => [r.data.stepId, r.data.previousRevert])).toEqual([[first.stepId, null], [second.stepId, first.stepId]]);
    expect(await stateMatchesRecords(h, 'r2')).toEqual([]);
  });
});

describe('a proposing process SIGKILLed at random moments', () => {
  it('leaves no step, meta, withdrawal or revert claim without its record, and the chain verifies', async () => {
    h = await harness();
    const harnessed = h;
    for (const [round, delayMs] of [[0, 700], [1, 950], [2, 1200]] as const) {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures/proposer-child.ts')], {
        cwd: repoRoot,
        env: { ...process.env, HW_TEST_PREFIX: harnessed.prefix, HW_CHILD_TAG: `k${round}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`proposer exited early (${code}): ${stderr}`)));
      });
      await new Promise((resolve) => setTimeout(resolve, delayMs + Math.floor(Math.random() * 200)));
      // A child that died on its own (an error) must fail the test, not hang it.
      if (child.exitCode !== null) throw new Error(`proposer died before the kill (${child.exitCode}): ${stderr}`);
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    }
    const caseIds = (await h.store.listCases(false, 100_000)).filter((id) => /^k\d-\d+$/.test(id));
    expect(caseIds.length).toBeGreaterThan(3);
    const mismatches: string[] = [];
    let reverts = 0;
    for (const caseId of caseIds) {
      mismatches.push(...(await stateMatchesRecords(h, caseId)));
      reverts += (await h.store.list(caseId)).filter((s) => s.revertOf).length;
    }
    expect(reverts).toBeGreaterThan(2);
    expect(mismatches).toEqual([]);
    expect(await verifyAuditLog(h.audit)).toMatchObject({ ok: true, broken: null });
  }, 60_000);
});
