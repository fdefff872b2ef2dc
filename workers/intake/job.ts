import { parseAlert, type Alert } from '../../detection/alert.js';
import type { AdmitOutcome } from '../cases/store.js';

/**
 * The data of an `alerts` queue job: one admitted alert and its case. No secrets: job data is clear text.
 * The job keeps the alert document only, not its normalised fields too: they are derived from it again
 * (alertOfJob), and an intake job half the size is cheaper to write on the hot path.
 */
export interface AlertJobData {
  /** The alert as received, dotted names expanded (Alert.document). */
  document: Record<string, unknown>;
  alertId: string;
  caseId: string;
  /** What admission did: created the case, joined it, or re-queued an alert whose job was lost (duplicate). */
  admission: AdmitOutcome;
  receivedAt: string;
  /** The authenticated source (principal id, never a secret). */
  source: string;
}

/** The normalised alert of an intake job (what admission validated: parsing it again cannot fail). */
export function alertOfJob(data: AlertJobData | { alert: Alert }): Alert {
  // Jobs queued by the first landing carried the normalised alert itself.
  return 'alert' in data ? data.alert : parseAlert(data.document);
}
