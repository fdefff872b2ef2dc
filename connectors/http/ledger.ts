// Idempotent actions: the same idempotency key never reaches the vendor twice. A key already seen is
// answered by polling the action it started; concurrent calls with one key share a single start.

import type { ActionKind, ActionRequest, ActionStatus } from '../types.js';
import { MemoryKeyStore, type ActionKeyStore } from './keystore.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

export class ActionLedger {
  private readonly inflight = new Map<string, Promise<ActionStatus>>();

  constructor(
    readonly vendor: string,
    readonly store: ActionKeyStore = new MemoryKeyStore(),
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Runs `start` once per idempotency key. `poll` answers a key seen before (also after a restart,
   * when the store is persistent). Unsupported answers are not remembered: nothing was started.
   */
  async run(
    request: ActionRequest,
    start: () => Promise<ActionStatus>,
    poll: (actionId: string, kind: ActionKind) => Promise<ActionStatus>,
  ): Promise<ActionStatus> {
    const key = request.idempotencyKey;
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const run = (async () => {
      const known = await this.store.get(key);
      if (known) return poll(known.actionId, known.kind);
      const status = await start();
      if (status.state !== 'unsupported') {
        await this.store.set(key, { actionId: status.actionId, kind: status.kind, vendor: this.vendor, startedAt: new Date(this.clock.now()).toISOString() });
      }
      return status;
    })();
    this.inflight.set(key, run);
    try {
      return await run;
    } finally {
      this.inflight.delete(key);
    }
  }

  async find(key: string, poll: (actionId: string, kind: ActionKind) => Promise<ActionStatus>): Promise<ActionStatus | null> {
    const known = await this.store.get(key);
    return known ? poll(known.actionId, known.kind) : null;
  }
}
