import { describe, expect, it } from 'vitest';
import { candidateExceptions, closestWorkflow, compareWorkflow, parseWorkflows, validateWorkflow, WorkflowError } from '../../playbooks/hive-dump/workflows.js';

const entry = {
  name: 'nightly SAM backup',
  'process.executable': 'C:\\Windows\\System32\\reg.exe',
  'process.code_signature.subject_name': 'Microsoft Windows',
  'process.parent.command_line': 'C:\\Program Files\\Veeam\\Backup\\VeeamAgent.exe -job hives',
  'process.command_line': 'reg.exe save hklm\\sam D:\\HiveBackups\\sam_*.hiv /y',
  'user.id': 'S-1-5-21-1-2-3-1601',
  'host.id': 'host-bk',
};

const event = {
  host: { id: 'host-bk' },
  user: { id: 'S-1-5-21-1-2-3-1601' },
  process: {
    executable: 'C:\\Windows\\System32\\reg.exe',
    command_line: 'reg.exe save HKLM\\SAM D:\\HiveBackups\\sam_20261120.hiv /y',
    code_signature: { subject_name: 'Microsoft Windows' },
    parent: { command_line: 'C:\\Program Files\\Veeam\\Backup\\VeeamAgent.exe -job hives' },
  },
};

const refused = (raw: unknown) => {
  try {
    validateWorkflow(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowError);
    return err as WorkflowError;
  }
  throw new Error('expected a refusal');
};

describe('workflows.json', () => {
  it('accepts a complete entry', () => {
    expect(parseWorkflows([entry])[0]!.name).toBe('nightly SAM backup');
  });

  it('refuses exceptions on reg.exe, a hive or a host alone, naming what is missing', () => {
    const onName = refused({ name: 'reg', 'process.name': 'reg.exe' });
    expect(onName.code).toBe('HW_ERR_WORKFLOW_TOO_BROAD');
    expect(onName.details.missing).toEqual(['process.executable', 'process.code_signature.subject_name', 'process.parent.command_line', 'process.command_line', 'user.id', 'host.id']);
    expect(onName.message).toMatch(/leaves out process\.executable, .*host\.id/);
    const hostOnly = refused({ name: 'backup host', 'host.id': 'host-bk' });
    expect(hostOnly.details.missing).not.toContain('host.id');
    expect(hostOnly.details.missing).toContain('user.id');
    const noUser = refused({ ...entry, 'user.id': '' });
    expect(noUser.details.missing).toEqual(['user.id']);
    expect(noUser.message).toMatch(/workflow "nightly SAM backup" \(workflows\[0\]\) is too broad: it leaves out user\.id/);
  });

  it('refuses wildcard-only patterns and exact fields given as wildcards', () => {
    expect(refused({ ...entry, 'process.command_line': '*' }).message).toMatch(/must name the hive/);
    expect(refused({ ...entry, 'process.command_line': 'reg save hklm\\sam *' }).message).toMatch(/must name the destination/);
    expect(refused({ ...entry, 'host.id': '*' }).message).toMatch(/host\.id must be an exact value/);
    expect(() => parseWorkflows({})).toThrowError(/JSON array/);
  });

  it('compares dimension by dimension', () => {
    const [wf] = parseWorkflows([entry]);
    expect(compareWorkflow(event, wf!).matched).toBe(6);
    const other = { ...event, user: { id: 'S-1-5-21-1-2-3-500' } };
    const cmp = closestWorkflow(other, [wf!]);
    expect(cmp?.contradicting).toEqual(['user.id']);
    const unsigned = { ...event, process: { ...event.process, code_signature: undefined } };
    expect(compareWorkflow(unsigned, wf!).unknown).toEqual(['process.code_signature.subject_name']);
    expect(closestWorkflow({ host: { id: 'elsewhere' } }, [wf!])).toBeNull();
  });

  it('offers recurring past patterns as candidate exceptions', () => {
    const alerts = [1, 2, 3].map((i) => ({ ...event, kibana: { alert: { uuid: `a${i}` } } }));
    const candidates = candidateExceptions(alerts, [], 3, (d) => (d as { kibana: { alert: { uuid: string } } }).kibana.alert.uuid);
    expect(candidates).toHaveLength(1);
    expect(candidates[0]!.occurrences).toBe(3);
    expect(candidates[0]!.alertIds).toEqual(['a1', 'a2', 'a3']);
    // The candidate itself must pass the refusal rules a human would apply it under.
    expect(() => validateWorkflow(candidates[0]!.workflow)).not.toThrow();
    expect(candidateExceptions(alerts.slice(0, 2), [], 3, () => 'x')).toEqual([]);
    expect(candidateExceptions(alerts, parseWorkflows([entry]), 3, () => 'x')).toEqual([]);
  });
});
