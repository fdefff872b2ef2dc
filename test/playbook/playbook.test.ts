// The playbook on small in-memory datasets, for cases the scenario suite does not need a folder for.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAlert } from '../../detection/alert.js';
import { buildDataset, ReplayConnector } from '../../connectors/replay/index.js';
import { runHiveDumpPlaybook } from '../../playbooks/hive-dump/playbook.js';
import { loadHiveDumpRule } from '../../playbooks/hive-dump/rule.js';

const rule = loadHiveDumpRule('318');
const stateDir = mkdtempSync(join(tmpdir(), 'hw-playbook-'));
const T = '2026-11-20T10:00:00.000Z';
const reg = {
  '@timestamp': T,
  event: { kind: 'event', category: ['process'], type: ['start'], code: '4688', id: 'e-reg' },
  host: { id: 'h1', name: 'wks-1', os: { type: 'windows' } },
  user: { id: 'S-1-5-21-1-2-3-1104', name: 'bob' },
  process: { pid: 4242, name: 'reg.exe', executable: 'C:\\Windows\\System32\\reg.exe', command_line: 'reg save HKLM\\SAM C:\\Users\\Public\\s.hiv', args: ['reg', 'save', 'HKLM\\SAM', 'C:\\Users\\Public\\s.hiv'], parent: { pid: 3000, name: 'cmd.exe', executable: 'C:\\Windows\\System32\\cmd.exe' } },
};
const alertOf = (doc: typeof reg) => parseAlert({ ...structuredClone(doc), event: { ...doc.event, kind: 'signal' }, kibana: { alert: { uuid: 'a-1', original_time: T, rule: { rule_id: rule.ruleId, parameters: { query: rule.query } } } } });

describe('runHiveDumpPlaybook', () => {
  it('does not call a wrapper with an unknown parent an interactive shell', async () => {
    const connector = new ReplayConnector(buildDataset([reg]), { stateDir });
    const report = await runHiveDumpPlaybook(alertOf(reg), { connector, assets: connector.assets, rule });
    expect(report.verification.verified).toBe(true);
    expect(report.factors.map((f) => f.id)).not.toContain('lineage.interactive_shell');
    expect(report.unresolved.join('\n')).toContain('generic wrapper but its own parent could not be found');
    // SAM to the public profile is still an unrecognised export with a risky destination.
    expect(report.disposition).toBe('malicious');
    expect(report.hostRole).toBeNull();
    expect(report.plan.map((s) => s.action)).toEqual(['preserve_evidence', 'limit_outbound', 'remove_artifacts']);
  });

  it('asks the guide questions concurrently (Promise.all per round)', async () => {
    const connector = new ReplayConnector(buildDataset([reg]), { stateDir });
    const started: string[] = [];
    let inFlight = 0;
    let peak = 0;
    const slow = new Proxy(connector, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function' || !String(prop).startsWith('get')) return value;
        return async (...args: unknown[]) => {
          started.push(String(prop));
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((r) => setTimeout(r, 5));
          try {
            return await value.apply(target, args);
          } finally {
            inFlight--;
          }
        };
      },
    });
    await runHiveDumpPlaybook(alertOf(reg), { connector: slow, assets: connector.assets, rule });
    expect(peak).toBeGreaterThanOrEqual(6);
    expect(started).toEqual(expect.arrayContaining(['getProcessEvent', 'getAlertsForHost', 'getAlertsForRule', 'getAncestry', 'getSiblingProcesses', 'getChildProcesses', 'getFileEvents', 'getNetworkEvents', 'getAlertsForUser']));
  });
});
