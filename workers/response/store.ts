// Step records in Redis. Every write is a compare-and-set in Lua: the step's revision and its state must
// still be what the caller read, so two responders (or a responder and a worker) never both win.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { notFound, ResponseError, wrongState } from './errors.js';
import { responseKeys, type ResponseKeys } from './keys.js';
import { canTransition, OPEN_STATES, type CaseStep } from './step.js';

// KEYS: step. ARGV: expected rev, new json, allowed from-states (comma list).
const CAS_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if not raw then return {err = 'NOSTEP'} end
local cur = cjson.decode(raw)
if tostring(cur.rev) ~= ARGV[1] then return 'REV:' .. tostring(cur.rev) .. ':' .. cur.state end
local ok = false
for s in string.gmatch(ARGV[3], '[^,]+') do if s == cur.state then ok = true end end
if not ok then return 'STATE:' .. cur.state end
redis.call('SET', KEYS[1], ARGV[2])
return 'OK'
`;

export interface CaseMeta {
  planHash: string;
  planVersion: number;
  evidenceVersion: number;
  evidenceHash: string;
  disposition: string | null;
  hostId: string | null;
  criticality: string | null;
  alertId: string | null;
  exceptionCandidate: string | null;
}

export class ConcurrentUpdate extends Error {
  constructor(readonly currentState: string) {
    super('step changed while we wrote it');
  }
}

export class StepStore {
  readonly keys: ResponseKeys;

  constructor(
    readonly redis: Redis,
    prefix: string,
    /** Told after every write with all steps of the case (e.g. to keep the case status current). */
    private readonly onCaseChange?: (caseId: string, steps: CaseStep[]) => Promise<void>,
    /** Told of every state change that was written (metrics). */
    private readonly onTransition?: (before: CaseStep, after: CaseStep) => void,
  ) {
    this.keys = responseKeys(prefix);
  }

  async get(caseId: string, stepId: string): Promise<CaseStep | null> {
    const raw = await this.redis.get(this.keys.step(caseId, stepId));
    return raw ? (JSON.parse(raw) as CaseStep) : null;
  }

  async mustGet(caseId: string, stepId: string): Promise<CaseStep> {
    const step = await this.get(caseId, stepId);
    if (!step) throw notFound(`step ${stepId} of case ${caseId}`);
    return step;
  }

  async list(caseId: string): Promise<CaseStep[]> {
    const ids = await this.redis.lrange(this.keys.steps(caseId), 0, -1);
    if (ids.length === 0) return [];
    const raws = await this.redis.mget(ids.map((id) => this.keys.step(caseId, id)));
    return raws.filter((raw): raw is string => raw !== null).map((raw) => JSON.parse(raw) as CaseStep);
  }

  /** The next step id of a case (`s1`, `s2`, ...), unique even when a proposal and a revert race. */
  async nextStepId(caseId: string): Promise<string> {
    return `s${await this.redis.incr(this.keys.seq(caseId))}`;
  }

  /** Creates a step; refuses an id that exists (plan proposals are idempotent by construction). */
  async create(step: CaseStep): Promise<boolean> {
    const created = await this.redis.set(this.keys.step(step.caseId, step.stepId), JSON.stringify(step), 'NX');
    if (created !== 'OK') return false;
    await this.redis.rpush(this.keys.steps(step.caseId), step.stepId);
    await this.touchCase(step.caseId);
    return true;
  }

  /**
   * Writes `next` if the stored step still has `current.rev` and `current.state`, and the state change is
   * legal. Throws ConcurrentUpdate when someone else wrote first (callers re-read and re-decide).
   */
  async transition(current: CaseStep, next: CaseStep): Promise<CaseStep> {
    if (!canTransition(current.state, next.state)) throw wrongState(current.stepId, current.state, `one of ${legalFrom(next.state)}`);
    const written: CaseStep = { ...next, rev: current.rev + 1, updatedAt: new Date().toISOString() };
    let reply: string;
    try {
      reply = (await this.redis.eval(CAS_SCRIPT, 1, this.keys.step(current.caseId, current.stepId), String(current.rev), JSON.stringify(written), current.state)) as string;
    } catch (err) {
      if (String(err).includes('NOSTEP')) throw notFound(`step ${current.stepId} of case ${current.caseId}`);
      throw err;
    }
    if (reply !== 'OK') throw new ConcurrentUpdate(reply.split(':').pop() ?? 'unknown');
    this.onTransition?.(current, written);
    await this.touchCase(current.caseId);
    return written;
  }

  /** Re-reads and re-applies `change` until the compare-and-set wins (bounded). */
  async update(caseId: string, stepId: string, change: (step: CaseStep) => CaseStep | Promise<CaseStep>): Promise<{ before: CaseStep; after: CaseStep }> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const before = await this.mustGet(caseId, stepId);
      const next = await change(before);
      try {
        const after = await this.transition(before, next);
        return { before, after };
      } catch (err) {
        if (!(err instanceof ConcurrentUpdate)) throw err;
      }
    }
    throw new ResponseError('HW_ERR_CONTENDED', 409, `step ${stepId} kept changing while we updated it; retry`);
  }

  async getMeta(caseId: string): Promise<CaseMeta | null> {
    const raw = await this.redis.get(this.keys.meta(caseId));
    return raw ? (JSON.parse(raw) as CaseMeta) : null;
  }

  async setMeta(caseId: string, meta: CaseMeta): Promise<void> {
    await this.redis.set(this.keys.meta(caseId), JSON.stringify(meta));
  }

  /** A short per-case lock for multi-step writes (plan proposal); returns a release function. */
  async lock(caseId: string, ttlMs = 15_000): Promise<() => Promise<void>> {
    const token = randomUUID();
    const key = this.keys.lock(caseId);
    for (let i = 0; i < 300; i++) {
      if ((await this.redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK') {
        return async () => {
          await this.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, key, token);
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new ResponseError('HW_ERR_CONTENDED', 409, `case ${caseId} is being updated by another process; retry`);
  }

  /** Keeps the case indexes current: every case with steps, and those waiting for a person. */
  async touchCase(caseId: string): Promise<void> {
    const steps = await this.list(caseId);
    const now = Date.now();
    await this.redis.zadd(this.keys.cases, now, caseId);
    if (steps.some((step) => OPEN_STATES.includes(step.state))) await this.redis.zadd(this.keys.open, now, caseId);
    else await this.redis.zrem(this.keys.open, caseId);
    await this.onCaseChange?.(caseId, steps);
  }

  async listCases(openOnly: boolean, limit = 200): Promise<string[]> {
    return this.redis.zrevrange(openOnly ? this.keys.open : this.keys.cases, 0, limit - 1);
  }
}

function legalFrom(to: string): string {
  return `a state that may become ${to}`;
}
