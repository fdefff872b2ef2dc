// What the response service asks of the queue: run an approved step, wake up at a step's deadline, and
// tell people a step waits for them. BullMQ implements it (queue.ts); tests may run it inline.
export interface ResponseScheduler {
  execute(caseId: string, stepId: string, attempt: number): Promise<void>;
  timeout(caseId: string, stepId: string, deadline: Date): Promise<void>;
  notify(caseId: string, stepId: string, hash: string, reason: string): Promise<void>;
}

/** For callers that only read or that drive execution by hand. */
export const noScheduler: ResponseScheduler = {
  async execute() {},
  async timeout() {},
  async notify() {},
};
