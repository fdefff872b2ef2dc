import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../workers/audit/verify.js';
import { ResponseError } from '../../workers/response/errors.js';
import { statusOf } from '../../workers/response/case-status.js';
import { canTransition, STEP_STATES, TRANSITIONS, type StepState } from '../../workers/response/step.js';
import { alice, bob, harness, lena, plan, report, stepOf, victor, type Harness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await harness({ approvalTtlSeconds: 600, stepTimeoutSeconds: 3600 });
});
afterEach(async () => {
  const result = await verifyAuditLog(h.audit);
  expect(result.ok).toBe(true);
  await h.close();
});

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ResponseError) return err.code;
    throw err;
  }
  return 'no error';
}

async function auditTypes(caseId: string): Promise<string[]> {
  return (await h.audit.caseRecords(caseId)).map((r) => r.record.type);
}

describe('proposal', () => {
  it('turns the plan into proposed steps mapped from the connector declarations, idempotently', async () => {
    const steps = await h.service.proposePlan('c1', report('c1'));
    expect(steps.map((s) => [s.stepId, s.action, s.state, s.connectorAction, s.approvalsRequired])).toEqual([
      ['s1', 'preserve_evidence', 'proposed', null, 1],
      ['s2', 'terminate_process', 'proposed', 'kill_process', 1],
      ['s3', 'isolate_host', 'proposed', 'isolate_host', 2],
    ]);
    expect(steps[2]!.inverseConnectorAction).toBe('release_host');
    expect(steps[0]!.detail).toMatch(/^manual/);
    expect(steps.every((s) => /^[0-9a-f]{64}$/.test(s.hash))).toBe(true);
    const again = await h.service.proposePlan('c1', report('c1'));
    expect(again.map((s) => s.hash)).toEqual(steps.map((s) => s.hash));
    expect((await auditTypes('c1')).filter((t) => t === 'response.proposed')).toHaveLength(1);
    expect(h.asked.notify).toHaveLength(3);
  });

  it('derives the case status from its steps', async () => {
    const steps = await h.service.proposePlan('c0', report('c0'));
    expect(statusOf(steps)).toBe('awaiting_approval');
    const done = steps.map((s) => ({ ...s, state: s.action === 'isolate_host' ? ('done' as const) : ('denied' as const) }));
    expect(statusOf(done)).toBe('contained');
    expect(statusOf(done.map((s) => (s.action === 'isolate_host' ? { ...s, state: 'running' as const } : s)))).toBe('responding');
    expect(statusOf(done.map((s) => ({ ...s, state: 'denied' as const })))).toBeNull();
  });

  it('makes every step on a critical host need two approvers', async () => {
    const steps = await h.service.proposePlan('c2', report('c2', { criticality: 'critical' }));
    expect(steps.every((s) => s.approvalsRequired === 2 && s.highImpact)).toBe(true);
  });
});

describe('approval, execution and the state machine', () => {
  it('approved -> running -> done through the connector, with the approval consumed once', async () => {
    await h.service.proposePlan('c3', report('c3'));
    const kill = await stepOf(h, 'c3', 'terminate_process');
    const approved = await h.service.approve('c3', kill.stepId, alice, kill.hash);
    expect(approved.state).toBe('approved');
    expect(h.asked.execute).toEqual([`c3/${kill.stepId}/1`]);
    const outcome = await h.executor.run('c3', kill.stepId, 1);
    expect(outcome.state).toBe('done');
    const done = await h.store.mustGet('c3', kill.stepId);
    expect(done.usedApprovals.map((a) => a.identity)).toEqual(['alice']);
    expect(done.approvals).toEqual([]);
    expect(done.idempotencyKey).toBe(`hw-c3-${kill.stepId}-a1`);
    const recorded = h.connector.recordedActions().filter((a) => a.kind === 'kill_process');
    expect(recorded).toHaveLength(1);
    // A second run of the same attempt (a redelivered job) does nothing more.
    expect((await h.executor.run('c3', kill.stepId, 1)).note).toContain('nothing to do');
    expect(h.connector.recordedActions().filter((a) => a.kind === 'kill_process')).toHaveLength(1);
    expect(await code(h.service.approve('c3', kill.stepId, bob, kill.hash))).toBe('HW_ERR_STEP_STATE');
    expect(await auditTypes('c3')).toEqual(expect.arrayContaining(['step.approved', 'action.requested', 'action.response', 'step.done']));
  });

  it('nothing runs without approval', async () => {
    await h.service.proposePlan('c4', report('c4'));
    const kill = await stepOf(h, 'c4', 'terminate_process');
    expect((await h.executor.run('c4', kill.stepId, 1)).note).toContain('nothing to do: the step is proposed');
    expect(h.connector.recordedActions()).toHaveLength(0);
  });

  it('refuses illegal transitions in the store itself', async () => {
    for (const from of STEP_STATES) {
      for (const to of STEP_STATES) expect(canTransition(from, to)).toBe(TRANSITIONS[from].includes(to));
    }
    await h.service.proposePlan('c5', report('c5'));
    const step = await stepOf(h, 'c5', 'terminate_process');
    const illegal: StepState[] = ['running', 'done', 'failed', 'reverted'];
    for (const to of illegal) expect(await code(h.store.transition(step, { ...step, state: to }))).toBe('HW_ERR_STEP_STATE');
    // A writer holding an old revision loses the compare-and-set.
    await h.store.transition(step, { ...step, state: 'denied' });
    await expect(h.store.transition(step, { ...step, state: 'approved' })).rejects.toThrow('step changed');
  });

  it('deny needs a reason and ends the step; a denied step cannot be approved', async () => {
    await h.service.proposePlan('c6', report('c6'));
    const kill = await stepOf(h, 'c6', 'terminate_process');
    expect(await code(h.service.deny('c6', kill.stepId, alice, ''))).toBe('HW_ERR_BAD_REQUEST');
    const denied = await h.service.deny('c6', kill.stepId, alice, 'admin backup job, known');
    expect(denied.state).toBe('denied');
    expect(await code(h.service.approve('c6', kill.stepId, bob, kill.hash))).toBe('HW_ERR_STEP_STATE');
    expect(await code(h.service.deny('c6', kill.stepId, bob, 'again'))).toBe('HW_ERR_STEP_STATE');
    const record = (await h.audit.caseRecords('c6')).find((r) => r.record.type === 'step.denied')!.record;
    expect(record.actor).toEqual({ id: 'alice', role: 'responder' });
    expect(record.data).toMatchObject({ reason: 'admin backup job, known', hash: kill.hash });
  });

  it('a viewer may not approve or deny', async () => {
    await h.service.proposePlan('c7', report('c7'));
    const kill = await stepOf(h, 'c7', 'terminate_process');
    expect(await code(h.service.approve('c7', kill.stepId, victor, kill.hash))).toBe('HW_ERR_ROLE_FORBIDDEN');
    expect(await code(h.service.deny('c7', kill.stepId, victor, 'no'))).toBe('HW_ERR_ROLE_FORBIDDEN');
  });

  it('a manual step runs as a responder task and is marked done by a person, never by a fake vendor call', async () => {
    await h.service.proposePlan('c8', report('c8'));
    const preserve = await stepOf(h, 'c8', 'preserve_evidence');
    await h.service.approve('c8', preserve.stepId, alice, preserve.hash);
    const outcome = await h.executor.run('c8', preserve.stepId, 1);
    expect(outcome).toMatchObject({ state: 'running', note: expect.stringContaining('manual') });
    expect(h.connector.recordedActions()).toHaveLength(0);
    const done = await h.service.completeManual('c8', preserve.stepId, bob, 'done', 'copied sam/system to the evidence share');
    expect(done.state).toBe('done');
    expect(await auditTypes('c8')).toEqual(expect.arrayContaining(['action.manual', 'step.done']));
  });
});

describe('concurrent decisions', () => {
  it('two approvals of a one-approver step at once: one wins, the other sees the new state; one run is queued', async () => {
    await h.service.proposePlan('x1', report('x1'));
    const kill = await stepOf(h, 'x1', 'terminate_process');
    const results = await Promise.allSettled([h.service.approve('x1', kill.stepId, alice, kill.hash), h.service.approve('x1', kill.stepId, bob, kill.hash)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((refused.reason as ResponseError).code).toBe('HW_ERR_STEP_STATE');
    expect(h.asked.execute).toEqual([`x1/${kill.stepId}/1`]);
  });

  it('two approvers of a four-eyes step at once both count; two reverts at once create one revert step', async () => {
    await h.service.proposePlan('x2', report('x2'));
    const iso = await stepOf(h, 'x2', 'isolate_host');
    await Promise.all([h.service.approve('x2', iso.stepId, alice, iso.hash), h.service.approve('x2', iso.stepId, bob, iso.hash)]);
    expect((await h.store.mustGet('x2', iso.stepId)).state).toBe('approved');
    await h.executor.run('x2', iso.stepId, 1);
    const results = await Promise.allSettled([h.service.revert('x2', iso.stepId, alice), h.service.revert('x2', iso.stepId, bob)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await h.store.list('x2')).filter((s) => s.revertOf === iso.stepId)).toHaveLength(1);
  });
});

describe('four-eyes', () => {
  it('isolate_host needs two different approvers', async () => {
    await h.service.proposePlan('f1', report('f1'));
    const iso = await stepOf(h, 'f1', 'isolate_host');
    const first = await h.service.approve('f1', iso.stepId, alice, iso.hash);
    expect(first.state).toBe('proposed');
    expect(h.asked.execute).toEqual([]);
    expect(await code(h.service.approve('f1', iso.stepId, alice, iso.hash))).toBe('HW_ERR_SECOND_APPROVER');
    const second = await h.service.approve('f1', iso.stepId, bob, iso.hash);
    expect(second.state).toBe('approved');
    expect(second.approvals.map((a) => a.identity)).toEqual(['alice', 'bob']);
    expect((await h.executor.run('f1', iso.stepId, 1)).state).toBe('done');
  });

  it('the requester of a revert may not approve it', async () => {
    await h.service.proposePlan('f2', report('f2'));
    const iso = await stepOf(h, 'f2', 'isolate_host');
    await h.service.approve('f2', iso.stepId, alice, iso.hash);
    await h.service.approve('f2', iso.stepId, bob, iso.hash);
    await h.executor.run('f2', iso.stepId, 1);
    const revert = await h.service.revert('f2', iso.stepId, alice, 'user confirmed the backup job');
    expect(await code(h.service.approve('f2', revert.stepId, alice, revert.hash))).toBe('HW_ERR_SELF_APPROVAL');
  });
});

describe('stale hashes and voided approvals', () => {
  it('more evidence bumps the evidence version, voids given approvals and refuses the old hash', async () => {
    await h.service.proposePlan('h1', report('h1'));
    const iso = await stepOf(h, 'h1', 'isolate_host');
    await h.service.approve('h1', iso.stepId, alice, iso.hash);
    const { evidenceVersion } = await h.service.requestMoreEvidence('h1', iso.stepId, bob, 'did the copy leave the host?');
    expect(evidenceVersion).toBe(2);
    const now = await stepOf(h, 'h1', 'isolate_host');
    expect(now.hash).not.toBe(iso.hash);
    expect(now.approvals).toEqual([]);
    expect(now.decisions.map((d) => d.kind)).toContain('voided');
    expect(await code(h.service.approve('h1', iso.stepId, bob, iso.hash))).toBe('HW_ERR_STALE_HASH');
    expect((await h.service.approve('h1', iso.stepId, bob, now.hash)).approvals).toHaveLength(1);
  });

  it('a changed plan (new parameters) voids the approval; an approved step waiting to run goes back to proposed', async () => {
    await h.service.proposePlan('h2', report('h2'));
    const kill = await stepOf(h, 'h2', 'terminate_process');
    await h.service.approve('h2', kill.stepId, alice, kill.hash);
    await h.service.proposePlan('h2', report('h2', { plan: plan({ terminate_process: { params: { hostId: 'host-1', pid: 9999 } } }) }));
    const after = await stepOf(h, 'h2', 'terminate_process');
    expect(after.state).toBe('proposed');
    expect(after.hash).not.toBe(kill.hash);
    // The job queued for the old approval finds nothing to run.
    expect((await h.executor.run('h2', kill.stepId, 1)).note).toContain('proposed');
    expect(h.connector.recordedActions()).toHaveLength(0);
    expect(await code(h.service.approve('h2', kill.stepId, bob, kill.hash))).toBe('HW_ERR_STALE_HASH');
  });

  it('a step dropped from the plan is withdrawn', async () => {
    await h.service.proposePlan('h3', report('h3'));
    await h.service.proposePlan('h3', report('h3', { plan: plan().filter((s) => s.action !== 'isolate_host') }));
    expect((await stepOf(h, 'h3', 'isolate_host')).state).toBe('denied');
  });
});

describe('expiry and timeouts', () => {
  it('an approval expires: the first approver of a two-approver step must approve again', async () => {
    const short = await harness({ approvalTtlSeconds: 60 });
    try {
      await short.service.proposePlan('e1', report('e1'));
      const iso = await stepOf(short, 'e1', 'isolate_host');
      await short.service.approve('e1', iso.stepId, alice, iso.hash);
      short.clock.advance(61);
      const after = await short.service.approve('e1', iso.stepId, bob, iso.hash);
      expect(after.state).toBe('proposed');
      expect(after.approvals.map((a) => a.identity)).toEqual(['bob']);
      expect((await short.audit.caseRecords('e1')).map((r) => r.record.type)).toContain('approval.expired');
      // An approved step whose approvals lapse before it runs goes back to proposed instead of running.
      const kill = await stepOf(short, 'e1', 'terminate_process');
      await short.service.approve('e1', kill.stepId, alice, kill.hash);
      short.clock.advance(61);
      expect((await short.executor.run('e1', kill.stepId, 1)).note).toContain('approvals no longer valid');
      expect((await stepOf(short, 'e1', 'terminate_process')).state).toBe('proposed');
      expect(short.connector.recordedActions()).toHaveLength(0);
    } finally {
      await short.close();
    }
  });

  it('timeout defaults: deny expires the step, escalate needs a lead, hold keeps waiting; each is recorded', async () => {
    const t = await harness({ stepTimeoutSeconds: 30, timeoutDefaults: { terminate_process: 'deny', isolate_host: 'escalate', default: 'hold' } });
    try {
      await t.service.proposePlan('t1', report('t1'));
      t.clock.advance(31);
      const steps = await t.service.listSteps('t1');
      const by = Object.fromEntries(steps.map((s) => [s.action, s]));
      expect(by.terminate_process!.state).toBe('expired');
      expect(by.isolate_host!).toMatchObject({ state: 'proposed', escalated: true });
      expect(by.preserve_evidence!).toMatchObject({ state: 'proposed', escalated: false });
      expect(by.preserve_evidence!.timedOutAt).not.toBeNull();
      const iso = by.isolate_host!;
      expect(await code(t.service.approve('t1', iso.stepId, alice, iso.hash))).toBe('HW_ERR_ROLE_FORBIDDEN');
      expect((await t.service.approve('t1', iso.stepId, lena, iso.hash)).approvals).toHaveLength(1);
      const timeouts = (await t.audit.caseRecords('t1')).filter((r) => r.record.type === 'step.timeout');
      expect(timeouts.map((r) => r.record.data.default).sort()).toEqual(['deny', 'escalate', 'hold']);
      expect(await code(t.service.approve('t1', by.terminate_process!.stepId, alice, by.terminate_process!.hash))).toBe('HW_ERR_STEP_STATE');
    } finally {
      await t.close();
    }
  });
});

describe('revert and benign disposition', () => {
  async function isolateDone(caseId: string) {
    await h.service.proposePlan(caseId, report(caseId));
    const iso = await stepOf(h, caseId, 'isolate_host');
    await h.service.approve(caseId, iso.stepId, alice, iso.hash);
    await h.service.approve(caseId, iso.stepId, bob, iso.hash);
    await h.executor.run(caseId, iso.stepId, 1);
    return iso;
  }

  it('revert runs the declared inverse (release_host) through approval, then marks the original reverted', async () => {
    const iso = await isolateDone('r1');
    const revert = await h.service.revert('r1', iso.stepId, alice, 'false positive');
    expect(revert).toMatchObject({ action: 'reverse_containment', connectorAction: 'release_host', revertOf: iso.stepId, state: 'proposed', approvalsRequired: 1 });
    expect(await code(h.service.revert('r1', iso.stepId, bob))).toBe('HW_ERR_STEP_STATE');
    await h.service.approve('r1', revert.stepId, bob, revert.hash);
    expect((await h.executor.run('r1', revert.stepId, 1)).state).toBe('done');
    expect((await h.store.mustGet('r1', iso.stepId)).state).toBe('reverted');
    expect(h.connector.recordedActions().map((a) => a.kind)).toEqual(['isolate_host', 'release_host']);
    expect(await auditTypes('r1')).toEqual(expect.arrayContaining(['step.revert_requested', 'step.reverted']));
    const kill = await stepOf(h, 'r1', 'terminate_process');
    expect(await code(h.service.revert('r1', kill.stepId, alice))).toBe('HW_ERR_STEP_STATE');
  });

  it('a benign disposition proposes reversing applied restrictions and records the exception candidate', async () => {
    const iso = await isolateDone('b1');
    await h.service.proposePlan('b1', report('b1', { disposition: 'benign', score: 10, plan: [] }));
    const steps = await h.store.list('b1');
    const revert = steps.find((s) => s.revertOf === iso.stepId)!;
    expect(revert).toMatchObject({ state: 'proposed', connectorAction: 'release_host', requestedBy: { id: 'playbook:hive-dump' } });
    expect(steps.filter((s) => !s.revertOf && s.state === 'proposed')).toEqual([]);
    const types = await auditTypes('b1');
    expect(types.filter((t) => t === 'exception.candidate')).toHaveLength(1);
    await h.service.proposePlan('b1', report('b1', { disposition: 'benign', score: 10, plan: [] }));
    expect((await h.store.list('b1')).filter((s) => s.revertOf)).toHaveLength(1);
  });
});
