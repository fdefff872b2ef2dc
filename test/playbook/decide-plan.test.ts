import { describe, expect, it } from 'vitest';
import { decide, exposureOf } from '../../playbooks/hive-dump/decide.js';
import { buildPlan, type PlanInput } from '../../playbooks/hive-dump/plan.js';
import { scoreOf, toFactors, type Signal } from '../../playbooks/hive-dump/score.js';
import type { Asset } from '../../connectors/types.js';

const sig = (id: Signal['id'], strong = true, explained = false): Signal => ({ id, evidence: [], description: id, strong, explained });
const asset = (over: Partial<Asset> = {}): Asset => ({ 'host.id': 'h1', 'host.name': 'wks-1', role: 'workstation', criticality: 'medium', isolation_allowed: true, owner: 'it', tags: [], ...over });
const planInput = (over: Partial<PlanInput>): PlanInput => ({
  disposition: 'malicious',
  signals: [],
  alertId: 'a1',
  hostId: 'h1',
  asset: asset(),
  user: { id: 'S-1-5-21-9-9-9-1104', name: 'bob', reliable: true },
  process: { entityId: 'e1', pid: 10, executable: 'reg.exe', commandLine: 'reg save hklm\\sam x' },
  runningProcess: null,
  outputPaths: [],
  artifactPaths: ['C:\\Users\\Public\\s.hiv'],
  preserve: {},
  ...over,
});

describe('disposition', () => {
  const base = { verified: true, hives: ['SAM' as const], subkeys: [], workflowBound: false, incomplete: [] };
  it('unverified beats everything', () => {
    expect(decide({ ...base, verified: false, signals: [sig('destination.temp')] }).disposition).toBe('unverified');
  });
  it('malicious: unrecognised SAM export with a strong signal', () => {
    expect(decide({ ...base, signals: [sig('hive.sam', false), sig('destination.temp')] }).disposition).toBe('malicious');
  });
  it('suspicious: SYSTEM only, or no strong signal, or a contradicted workflow', () => {
    expect(decide({ ...base, hives: ['SYSTEM'], signals: [sig('destination.temp')] }).disposition).toBe('suspicious');
    expect(decide({ ...base, signals: [sig('hive.sam', false)] }).disposition).toBe('suspicious');
    expect(decide({ ...base, workflowBound: false, signals: [sig('workflow.contradiction', false), sig('host.privileged_role', true, true)] }).disposition).toBe('suspicious');
  });
  it('benign only when bound, explained and complete', () => {
    const signals = [sig('workflow.recognised', false), sig('destination.removable_or_other_drive', true, true)];
    expect(decide({ ...base, workflowBound: true, signals }).disposition).toBe('benign');
    expect(decide({ ...base, workflowBound: true, signals, incomplete: ['network telemetry missing'] }).disposition).toBe('suspicious');
    expect(decide({ ...base, workflowBound: true, signals: [...signals, sig('staging.transfer')] }).disposition).toBe('malicious');
  });
  it('scores within 0..100', () => {
    expect(scoreOf(toFactors([sig('hive.sam'), sig('staging.alternate_dump'), sig('staging.credential_tool'), sig('staging.transfer'), sig('destination.admin_share'), sig('lineage.encoded_powershell')]))).toBe(100);
    expect(scoreOf(toFactors([sig('hive.sam'), sig('workflow.recognised')]))).toBe(0);
  });
  it('states the exposure', () => {
    expect(exposureOf(['SAM'], [], ['SYSTEM'])).toEqual(['SAM: local account password hashes', 'SYSTEM with SAM/SECURITY: the boot key makes offline decryption plausible']);
    expect(exposureOf([], ['HKLM\\security\\policy\\secrets'], [])).toEqual(['SECURITY: LSA secrets and cached domain credentials']);
  });
});

describe('plan', () => {
  const actions = (over: Partial<PlanInput>) => buildPlan(planInput(over)).map((s) => s.action);
  it('unverified: preserve only', () => {
    expect(actions({ disposition: 'unverified' })).toEqual(['preserve_evidence']);
  });
  it('benign: reverse temporary restrictions', () => {
    expect(actions({ disposition: 'benign' })).toEqual(['reverse_containment']);
  });
  it('malicious: preserve first, reversible containment, isolation, account, terminate, cleanup last', () => {
    const plan = buildPlan(planInput({ signals: [sig('destination.admin_share'), sig('session.remote_style')], runningProcess: { entityId: 'ps1', pid: 5972, name: 'powershell.exe', reason: 'encoded powershell' } }));
    expect(plan.map((s) => s.action)).toEqual(['preserve_evidence', 'restrict_share', 'limit_outbound', 'isolate_host', 'disable_account', 'terminate_process', 'remove_artifacts']);
    expect(plan.find((s) => s.action === 'isolate_host')).toMatchObject({ reversible: true, inverse: 'reverse_containment', requiresApproval: true });
    expect(plan.find((s) => s.action === 'terminate_process')?.params).toMatchObject({ onlyIfRunning: true });
  });
  it('never isolates a host whose inventory role forbids it, and acts on accounts only on misuse', () => {
    expect(actions({ asset: asset({ role: 'domain_controller', criticality: 'critical', isolation_allowed: false }) })).toEqual(['preserve_evidence', 'limit_outbound', 'remove_artifacts']);
    expect(actions({ signals: [sig('session.remote_style')], user: { id: 'S-1-5-18', name: 'SYSTEM', reliable: true } })).not.toContain('disable_account');
  });
  it('suspicious: preserve and reversible containment, no cleanup', () => {
    expect(actions({ disposition: 'suspicious', asset: asset() })).toEqual(['preserve_evidence', 'limit_outbound']);
  });
});
