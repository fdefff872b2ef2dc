// Step 7: the guide's disposition rules over the signals, plus the credential exposure the hives imply.
import type { Disposition, Hive } from './report.js';
import type { Signal } from './score.js';

export interface DecisionInput {
  verified: boolean;
  hives: Hive[];
  subkeys: string[];
  signals: Signal[];
  /** Every guide dimension binds one recognised workflow that recurs often enough. */
  workflowBound: boolean;
  /** Queries that could not answer fully, missing fields the guide needs. Blocks `benign`. */
  incomplete: string[];
}

export interface Decision {
  disposition: Disposition;
  reason: string;
}

/** SAM, SECURITY or an equivalent obtained another way (shadow copy, companion export, dumping tool). */
export function credentialExposure(input: Pick<DecisionInput, 'hives' | 'subkeys' | 'signals'>): boolean {
  if (input.hives.includes('SAM') || input.hives.includes('SECURITY') || input.subkeys.length > 0) return true;
  return input.signals.some((s) => s.id === 'staging.companion_export' || s.id === 'staging.alternate_dump' || s.id === 'staging.credential_tool');
}

export function decide(input: DecisionInput): Decision {
  if (!input.verified) return { disposition: 'unverified', reason: 'the alert could not be re-verified against its source event' };
  const unexplainedStrong = input.signals.filter((s) => s.strong && !s.explained);
  const contradiction = input.signals.some((s) => s.id === 'workflow.contradiction');
  if (input.workflowBound && unexplainedStrong.length === 0 && !contradiction && input.incomplete.length === 0) {
    return { disposition: 'benign', reason: 'every evidence category binds one recognised, recurring workflow with complete telemetry' };
  }
  if (credentialExposure(input) && unexplainedStrong.length > 0) {
    return { disposition: 'malicious', reason: `unrecognised credential-hive export with ${unexplainedStrong.map((s) => s.id).join(', ')}` };
  }
  const why: string[] = [];
  if (contradiction) why.push('a recognised workflow is contradicted');
  if (input.workflowBound && input.incomplete.length > 0) why.push(`telemetry is incomplete (${input.incomplete.join('; ')})`);
  if (!credentialExposure(input)) why.push('no SAM/SECURITY exposure is established');
  if (unexplainedStrong.length === 0 && !input.workflowBound) why.push('no strong signal, but no recognised workflow binds the export');
  return { disposition: 'suspicious', reason: `mixed or incomplete evidence: ${why.join('; ') || 'signals are mixed'}` };
}

/** What the exported material exposes (the guide's response section). */
export function exposureOf(hives: Hive[], subkeys: string[], companionHives: Hive[]): string[] {
  const all = new Set<Hive>([...hives, ...companionHives]);
  const out: string[] = [];
  if (all.has('SAM')) out.push('SAM: local account password hashes');
  if (all.has('SECURITY') || subkeys.some((k) => /\\security\\/i.test(k))) out.push('SECURITY: LSA secrets and cached domain credentials');
  if (all.has('SYSTEM') && (all.has('SAM') || all.has('SECURITY'))) out.push('SYSTEM with SAM/SECURITY: the boot key makes offline decryption plausible');
  else if (all.has('SYSTEM')) out.push('SYSTEM: the boot key (needed to decrypt SAM/SECURITY copies obtained elsewhere)');
  return out;
}
