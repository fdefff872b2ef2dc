// Redis keys of the response stage, under the deployment prefix (`<prefix>:response:`).
export interface ResponseKeys {
  step(caseId: string, stepId: string): string;
  /** Step ids of a case, in order. */
  steps(caseId: string): string;
  /** Per-case counters and bindings: plan hash, evidence version, next step number. */
  meta(caseId: string): string;
  /** Step id counter of a case. */
  seq(caseId: string): string;
  /** Short lock while a plan is proposed for a case. */
  lock(caseId: string): string;
  /** Cases with steps, scored by last update (ms). */
  cases: string;
  /** Cases with steps waiting for a person, scored by last update (ms). */
  open: string;
}

export function responseKeys(prefix: string): ResponseKeys {
  const base = `${prefix}:response:`;
  return {
    step: (caseId, stepId) => `${base}case:${caseId}:step:${stepId}`,
    steps: (caseId) => `${base}case:${caseId}:steps`,
    meta: (caseId) => `${base}case:${caseId}:meta`,
    seq: (caseId) => `${base}case:${caseId}:seq`,
    lock: (caseId) => `${base}case:${caseId}:lock`,
    cases: `${base}cases`,
    open: `${base}open`,
  };
}
