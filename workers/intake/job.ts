import type { Alert } from '../../detection/alert.js';
import type { AdmitOutcome } from '../cases/store.js';

/** The data of an `alerts` queue job: one admitted alert and its case. No secrets: job data is clear text. */
export interface AlertJobData {
  alert: Alert;
  caseId: string;
  /** What admission did: created the case, joined it, or re-queued an alert whose job was lost (duplicate). */
  admission: AdmitOutcome;
  receivedAt: string;
  /** The authenticated source (principal id, never a secret). */
  source: string;
}
