import type { Alert } from '../../detection/alert.js';

/** The data of a `triage` queue job. No secrets: job data is clear text in Redis. */
export interface TriageJobData {
  caseId: string;
  alert: Alert;
  /**
   * Set when a responder asked for more evidence (workers/response/evidence.ts): investigate again even if a
   * report is stored, and stamp the new report with this evidence version.
   */
  evidenceRequest?: { evidenceVersion: number; stepId: string; question: string };
}
