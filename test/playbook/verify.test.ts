import { describe, expect, it } from 'vitest';
import { parseAlert } from '../../detection/alert.js';
import { driftOf, payloadDifferences, pickSource } from '../../playbooks/hive-dump/verify.js';
import { loadHiveDumpRule } from '../../playbooks/hive-dump/rule.js';

const rule = loadHiveDumpRule('318');
const v317 = loadHiveDumpRule('317');
const alertWith = (query: string | undefined, extra: Record<string, unknown> = {}) =>
  parseAlert({
    host: { id: 'h1' },
    process: { pid: 4242, name: 'reg.exe', command_line: 'reg save HKLM\\SAM C:\\t\\s', ...extra },
    kibana: { alert: { uuid: 'a1', original_time: '2026-11-20T10:00:00.000Z', rule: { rule_id: rule.ruleId, parameters: query === undefined ? {} : { query } } } },
  });

describe('rule drift', () => {
  it('ignores layout and quoting differences (parsed and printed)', () => {
    expect(driftOf(alertWith(rule.query.replace(/\s+/g, '  \n ')), rule)).toBeNull();
    expect(driftOf(alertWith(undefined), rule)).toBeNull();
  });
  it('names the version an older query equals, and a query that does not parse', () => {
    expect(driftOf(alertWith(v317.query), rule)).toMatch(/equals rule version 317/);
    expect(driftOf(alertWith('process where (('), rule)).toMatch(/does not parse/);
    expect(driftOf(alertWith('process where process.name : "reg.exe"'), rule)).toMatch(/matches no version we know/);
  });
});

describe('source event lookup', () => {
  const start = (ts: string, pid: number, cmd: string) => ({ '@timestamp': ts, host: { id: 'h1' }, event: { category: ['process'], type: ['start'] }, process: { pid, command_line: cmd } });
  it('takes the start closest to the alert time when a pid was reused', () => {
    const earlier = start('2026-11-20T09:58:50.000Z', 4242, 'reg query HKLM\\Software');
    const right = start('2026-11-20T10:00:00.000Z', 4242, 'reg save HKLM\\SAM C:\\t\\s');
    const other = start('2026-11-20T10:00:00.000Z', 5000, 'notepad.exe');
    expect(pickSource([earlier, other, right], alertWith(undefined))).toBe(right);
    expect(pickSource([{ ...right, event: { kind: 'signal', category: ['process'], type: ['start'] } }], alertWith(undefined))).toBeNull();
  });
  it('reports payload fields that contradict the source event', () => {
    const source = { process: { pid: 4242, name: 'reg.exe', command_line: 'reg save HKLM\\SAM C:\\t\\s', args: ['reg', 'save', 'HKLM\\SAM', 'C:\\t\\s'] } };
    expect(payloadDifferences({ process: { pid: 4242, command_line: 'reg save HKLM\\SAM C:\\t\\s' } }, source)).toEqual([]);
    expect(payloadDifferences({ process: { pid: 4242, command_line: 'reg save HKLM\\SECURITY C:\\t\\s', args: ['reg', 'save', 'HKLM\\SECURITY', 'C:\\t\\s'] } }, source)).toEqual(['process.command_line', 'process.args']);
  });
});
