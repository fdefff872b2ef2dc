// Polls an async vendor action to a terminal state with capped backoff (2 s -> 5 s -> 15 s, as the
// vendors' accepted-then-poll contracts suggest) and an overall deadline. A worker that restarts can
// call it again with the persisted actionId.

import type { ActionKind, ActionStatus, Connector } from '../types.js';
import { systemClock, type Clock } from './clock.js';

export interface PollOptions {
  /** Waits between polls; the last value repeats. */
  scheduleMs?: number[];
  /** Give up (answering the last pending status) after this long. Default 10 min. */
  deadlineMs?: number;
  clock?: Clock;
  /** Called after every poll (for progress logs / audit). */
  onPoll?: (status: ActionStatus, poll: number) => void;
}

export interface PollResult {
  status: ActionStatus;
  polls: number;
  /** True when the deadline passed while the action was still pending. */
  timedOut: boolean;
}

export async function pollAction(connector: Pick<Connector, 'getActionStatus'>, actionId: string, kind: ActionKind, opts: PollOptions = {}): Promise<PollResult> {
  const clock = opts.clock ?? systemClock;
  const schedule = opts.scheduleMs?.length ? opts.scheduleMs : [2000, 5000, 15_000];
  const deadline = clock.now() + (opts.deadlineMs ?? 600_000);
  let polls = 0;
  for (;;) {
    const status = await connector.getActionStatus(actionId, kind);
    polls += 1;
    opts.onPoll?.(status, polls);
    if (status.state !== 'pending') return { status, polls, timedOut: false };
    const wait = schedule[Math.min(polls - 1, schedule.length - 1)]!;
    if (clock.now() + wait > deadline) return { status, polls, timedOut: true };
    await clock.sleep(wait);
  }
}
