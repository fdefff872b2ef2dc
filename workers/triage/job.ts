import type { Alert } from '../../detection/alert.js';

/** The data of a `triage` queue job. No secrets: job data is clear text in Redis. */
export interface TriageJobData {
  caseId: string;
  alert: Alert;
}
