// The triage report as a case summary a responder reads top to bottom.
import type { TriageReport } from './report.js';

const esc = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (text: string | null | undefined) => (text ? `\`${text.replace(/`/g, "'")}\`` : '—');

export function renderMarkdown(report: TriageReport): string {
  const out: string[] = [];
  const lineage = report.lineage as { parent?: { commandLine?: string | null; executable?: string | null }; parentKind?: string; grandparent?: { commandLine?: string | null; executable?: string | null } | null; grandparentKind?: string | null; logonType?: string | null; userName?: string | null; userId?: string | null } | undefined;
  const binary = report.binary as { executable?: string | null; originalFileName?: string | null; signer?: string | null; anomalies?: string[] } | undefined;
  const exposure = (report.exposure as string[] | undefined) ?? [];
  out.push(`# Hive dump triage: ${report.disposition.toUpperCase()} (score ${report.score}/100)`);
  out.push('');
  out.push(`- **Alert:** ${code(report.alertId)}${report.caseId ? ` — case ${code(report.caseId)}` : ''}`);
  out.push(`- **Host:** ${report.hostName ? `${String(report.hostName)} ` : ''}${code(report.hostId)} — role ${report.hostRole ?? 'unknown (not in the inventory)'}, criticality ${report.criticality ?? 'unknown'}`);
  out.push(`- **Verification:** ${report.verification.verified ? 'verified' : 'NOT verified'} against rule version ${report.ruleVersion}: ${report.verification.reason}`);
  if (report.verification.drift) out.push(`- **Rule drift:** ${report.verification.drift}`);
  if (report.dispositionReason) out.push(`- **Why:** ${String(report.dispositionReason)}`);
  out.push('');
  if (report.verification.verified) {
    out.push('## The export');
    out.push('');
    out.push(`- Hives: ${report.hives.join(', ') || '—'}; verb ${report.verb ?? '—'}; output ${code(report.outputPath)}${report.resolvedOutputPath && report.resolvedOutputPath !== report.outputPath ? ` → ${code(String(report.resolvedOutputPath))}` : ''} (${report.destinations.join(', ') || '—'})`);
    if (binary) out.push(`- Binary: ${code(binary.executable)}, original name ${binary.originalFileName ?? '—'}, signer ${binary.signer ?? 'unknown'}${binary.anomalies?.length ? `; **${binary.anomalies.join('; ')}**` : ''}`);
    if (exposure.length) out.push(`- Exposure: ${exposure.join('; ')}`);
    if (lineage) {
      out.push(`- Parent (${lineage.parentKind ?? '?'}${(lineage as { genericWrapper?: boolean }).genericWrapper ? ', generic wrapper' : ''}): ${code(lineage.parent?.commandLine ?? lineage.parent?.executable)}`);
      if (lineage.grandparent) out.push(`- Grandparent (${lineage.grandparentKind ?? '?'}): ${code(lineage.grandparent.commandLine ?? lineage.grandparent.executable)}`);
      out.push(`- Session: logon type ${lineage.logonType ?? 'unknown'}; user ${lineage.userName ?? '—'} (${lineage.userId ?? 'no user.id'})`);
    }
    out.push('');
  }
  if (report.factors.length) {
    out.push('## Factors');
    out.push('');
    out.push('| factor | weight | finding | evidence |');
    out.push('|---|---:|---|---|');
    for (const f of report.factors) {
      const ev = f.evidence.map((e) => `${e.connector}: ${e.eventIds.length} event(s), ${e.window.from} → ${e.window.to}`).join('; ');
      out.push(`| ${f.id} | ${f.weight > 0 ? '+' : ''}${f.weight} | ${esc(f.description ?? '')} | ${esc(ev)} |`);
    }
    out.push('');
  }
  if (report.unresolved.length) {
    out.push('## Unresolved');
    out.push('');
    for (const u of report.unresolved) out.push(`- ${u}`);
    out.push('');
  }
  out.push('## Proposed response (each step waits for approval unless marked)');
  out.push('');
  report.plan.forEach((step, i) => {
    out.push(`${i + 1}. **${step.action}** on ${code(step.target)} — ${step.reason}${step.reversible ? ` (reversible: ${step.inverse})` : ''}${step.requiresApproval ? '' : ' (no approval needed)'}`);
  });
  const candidates = (report.candidateExceptions as { occurrences: number; workflow: Record<string, string> }[] | undefined) ?? [];
  if (candidates.length) {
    out.push('');
    out.push('## Candidate exceptions (for a human to accept)');
    out.push('');
    for (const c of candidates) out.push(`- seen ${c.occurrences}×: ${code(c.workflow['process.command_line'])} by ${c.workflow['user.id']} on ${c.workflow['host.id']} under ${code(c.workflow['process.parent.command_line'])}`);
  }
  out.push('');
  return out.join('\n');
}
