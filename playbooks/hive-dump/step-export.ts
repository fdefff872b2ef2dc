// Guide step 2 as signals: which hives, where to, by which binary.
import type { ExportFacts } from './export.js';
import type { Investigation } from './investigation.js';
import type { Evidence } from './report.js';
import type { FactorId } from './score.js';

const RISKY = ['temp', 'public_profile', 'admin_share', 'unc', 'removable_or_other_drive', 'deceptive_name'] as const;

/** `destinationExplained`: the closest recognised workflow's command-line pattern (hive and destination) matches. */
export function assessExport(inv: Investigation, facts: ExportFacts, evidence: Evidence[], destinationExplained: boolean): void {
  for (const hive of facts.hives) {
    if (hive === 'SAM') inv.signal('hive.sam', evidence, 'SAM exported: local account hashes', false);
    if (hive === 'SECURITY') inv.signal('hive.security', evidence, 'SECURITY exported: LSA secrets and cached credentials', false);
  }
  if (facts.hives.includes('SYSTEM')) {
    if (facts.hives.length > 1) inv.signal('hive.system_with_credential_hive', evidence, 'SYSTEM exported with SAM/SECURITY in one command', true);
    else inv.signal('hive.system_only', evidence, 'SYSTEM exported: the boot key', false);
  }
  if (facts.subkeys.length > 0) inv.signal('hive.credential_subkey', evidence, `credential hive subkey exported: ${facts.subkeys.join(', ')}`, false);
  for (const cls of facts.destinations) {
    if ((RISKY as readonly string[]).includes(cls)) {
      inv.signal(`destination.${cls}` as FactorId, evidence, `output ${facts.resolvedOutputPath ?? facts.outputPath} is ${cls.replace(/_/g, ' ')}`, true, destinationExplained);
    }
  }
  if (!facts.outputPath) inv.open('the output path could not be read from the command line');
  if (!facts.binary.signer) inv.incomplete.push('process.code_signature.subject_name is absent (the source does not carry code signatures)');
  if (facts.binary.anomalies.length > 0) inv.signal('binary.anomaly', evidence, facts.binary.anomalies.join('; '), true);
  else inv.signal('binary.identity_only', evidence, 'reg.exe identity looks genuine; identity alone never clears the export', false);
}
