// Every operation against every step state: the legal ones move the step where the state machine says,
// every other one is refused with HW_ERR_STEP_STATE and leaves the step untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponseError } from '../../workers/response/errors.js';
import { STEP_STATES, type CaseStep, type StepState } from '../../workers/response/step.js';
import { alice, bob, harness, plan, report, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

type Operation = 'approve' | 'deny' | 'revert' | 'complete' | 'retry';

/** Where each operation may start, and where it leaves the step (manual step, one approver). */
const LEGAL: Record<Operation, Partial<Record<StepState, StepState>>> = {
  approve: { proposed: 'approved' },
  deny: { proposed: 'denied', approved: 'denied' },
  revert: { done: 'done' },
  complete: { running: 'done' },
  retry: { failed: 'proposed' },
};

let counter = 0;
/** A fresh manual, reversible step (limit_outbound) forced into `state`. */
async function stepIn(state: StepState): Promise<CaseStep> {
  const caseId = `t${++counter}`;
  await h.service.proposePlan(caseId, report(caseId, { plan: plan().filter((s) => s.action === 'preserve_evidence').map((s) => ({ ...s, action: 'limit_outbound' as const, reversible: true, inverse: 'lift the egress block' })) }));
  const [step] = await h.store.list(caseId);
  const forced = { ...step!, state, rev: step!.rev + 1 };
  await h.redis.set(h.store.keys.step(caseId, step!.stepId), JSON.stringify(forced));
  return forced;
}

async function run(op: Operation, step: CaseStep): Promise<unknown> {
  switch (op) {
    case 'approve':
      return h.service.approve(step.caseId, step.stepId, alice, step.hash);
    case 'deny':
      return h.service.deny(step.caseId, step.stepId, alice, 'not needed');
    case 'revert':
      return h.service.revert(step.caseId, step.stepId, alice, 'undo it');
    case 'complete':
      return h.service.completeManual(step.caseId, step.stepId, alice, 'done', 'egress blocked at the firewall');
    case 'retry':
      return h.service.retry(step.caseId, step.stepId, alice);
  }
}

describe('the step state machine, exhaustively', () => {
  for (const op of Object.keys(LEGAL) as Operation[]) {
    for (const state of STEP_STATES) {
      const to = LEGAL[op][state];
      it(`${op} on a ${state} step ${to ? `-> ${to}` : 'is refused'}`, async () => {
        const step = await stepIn(state);
        if (to) {
          await run(op, step);
          expect((await h.store.mustGet(step.caseId, step.stepId)).state).toBe(to);
        } else {
          const error = await run(op, step).then(
            () => null,
            (err: unknown) => err,
          );
          expect(error).toBeInstanceOf(ResponseError);
          expect((error as ResponseError).code).toBe('HW_ERR_STEP_STATE');
          const after = await h.store.mustGet(step.caseId, step.stepId);
          expect([after.state, after.rev]).toEqual([state, step.rev]);
        }
      });
    }
  }

  it('a manual reversible step: approve, run as a task, complete, revert by hand through a second person', async () => {
    const step = await stepIn('proposed');
    await h.service.approve(step.caseId, step.stepId, alice, step.hash);
    expect((await h.executor.run(step.caseId, step.stepId, 1)).state).toBe('running');
    await h.service.completeManual(step.caseId, step.stepId, alice, 'done', 'egress blocked at the firewall');
    const revert = await h.service.revert(step.caseId, step.stepId, alice, 'false positive');
    expect(revert).toMatchObject({ connectorAction: null, revertOf: step.stepId });
    expect(revert.detail).toContain('manual');
    await h.service.approve(step.caseId, revert.stepId, bob, revert.hash);
    await h.executor.run(step.caseId, revert.stepId, 1);
    await h.service.completeManual(step.caseId, revert.stepId, bob, 'done', 'egress rule removed');
    expect((await h.store.mustGet(step.caseId, step.stepId)).state).toBe('reverted');
    expect(h.connector.recordedActions()).toEqual([]);
  });
});
