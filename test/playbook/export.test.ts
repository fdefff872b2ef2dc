import { describe, expect, it } from 'vitest';
import { classifyDestination, exportedHives, hiveOf, parseRegCommand, readExport } from '../../playbooks/hive-dump/export.js';

describe('hive spellings', () => {
  it('reads every spelling of the three hives, any case, with 4688 quotes', () => {
    expect(hiveOf('HKLM\\SAM')).toBe('SAM');
    expect(hiveOf('hkey_local_machine\\security')).toBe('SECURITY');
    expect(hiveOf('HKEY_LOCAL_MACHINE\\System')).toBe('SYSTEM');
    expect(hiveOf('"HKLM\\sam"')).toBe('SAM');
    expect(hiveOf('hklm\\sam\\')).toBe('SAM');
    expect(hiveOf('HKLM\\SOFTWARE')).toBeNull();
    expect(hiveOf('HKLM\\security\\policy\\secrets')).toBeNull();
  });

  it('parses verb, keys and output path with switches anywhere', () => {
    expect(parseRegCommand(['reg', 'save', 'HKLM\\SAM', 'C:\\t\\s.hiv', '/y'])).toEqual({ verb: 'save', keys: ['HKLM\\SAM'], outputPath: 'C:\\t\\s.hiv' });
    expect(parseRegCommand(['reg.exe', 'EXPORT', '/y', 'hkey_local_machine\\security', '"D:\\out dir\\x.reg"']).outputPath).toBe('D:\\out dir\\x.reg');
    expect(parseRegCommand(['reg', 'query', 'HKLM\\SAM']).verb).toBeNull();
  });
});

describe('destination classes', () => {
  const cls = (p: string, wd?: string) => classifyDestination(p, wd).classes;
  it('temp, public, admin share, UNC, other drive', () => {
    expect(cls('C:\\Users\\bob\\AppData\\Local\\Temp\\s')).toContain('temp');
    expect(cls('%TEMP%\\sam')).toContain('temp');
    expect(cls('C:\\Windows\\Temp\\SYSTEM_HIVE')).toEqual(['temp']);
    expect(cls('C:\\Users\\Public\\s.hiv')).toContain('public_profile');
    expect(cls('C:\\ProgramData\\SAM')).toContain('public_profile');
    expect(cls('\\\\fs01\\C$\\loot\\sam')).toEqual(expect.arrayContaining(['unc', 'admin_share']));
    expect(cls('\\\\fs01\\ADMIN$\\sam')).toContain('admin_share');
    expect(cls('\\\\fs01\\backups\\sam.hiv')).toEqual(['unc']);
    expect(cls('E:\\sam.hiv')).toEqual(['removable_or_other_drive']);
  });
  it('deceptive names: text, logs, images, system-looking names and places', () => {
    expect(cls('C:\\Users\\Public\\notes.txt')).toContain('deceptive_name');
    expect(cls('D:\\x\\debug.log')).toContain('deceptive_name');
    expect(cls('C:\\work\\cat.jpg')).toContain('deceptive_name');
    expect(cls('C:\\work\\svchost.dat')).toContain('deceptive_name');
    // Empire wrote `sam` into C:\Windows\System32 (its working directory).
    expect(cls('sam', 'C:\\windows\\system32\\')).toContain('deceptive_name');
    expect(cls('C:\\work\\sam.hiv')).toEqual(['system_drive_other']);
    expect(cls('sam.hive')).toEqual(['unknown']);
  });
});

describe('readExport', () => {
  it('reads the real Empire event: SAM saved into System32 by a Microsoft binary', () => {
    const event = {
      process: {
        executable: 'C:\\Windows\\System32\\reg.exe',
        name: 'reg.exe',
        command_line: '"C:\\windows\\system32\\reg.exe" save HKLM\\sam sam',
        args: ['C:\\windows\\system32\\reg.exe', 'save', 'HKLM\\sam', 'sam'],
        working_directory: 'C:\\windows\\system32\\',
        pe: { original_file_name: 'reg.exe' },
      },
    };
    const facts = readExport(event);
    expect(facts.hives).toEqual(['SAM']);
    expect(facts.verb).toBe('save');
    expect(facts.outputPath).toBe('sam');
    expect(facts.resolvedOutputPath).toBe('C:\\windows\\system32\\sam');
    expect(facts.binary.anomalies).toEqual([]);
  });

  it('flags a renamed or misplaced reg.exe', () => {
    const facts = readExport({ process: { executable: 'C:\\Users\\Public\\r.exe', name: 'r.exe', pe: { original_file_name: 'reg.exe' }, args: ['r.exe', 'save', 'hklm\\security', 'C:\\Users\\Public\\s'] } });
    expect(facts.hives).toEqual(['SECURITY']);
    expect(facts.binary.anomalies.join(' ')).toMatch(/renamed reg\.exe/);
    expect(facts.binary.anomalies.join(' ')).toMatch(/outside System32/);
  });

  it('splits the command line when args are absent and records subkeys', () => {
    const facts = readExport({ process: { command_line: '"reg" save HKLM\\security\\policy\\secrets C:\\Users\\w\\AppData\\Local\\Temp\\secrets /y' } });
    expect(facts.hives).toEqual([]);
    expect(facts.subkeys).toEqual(['HKLM\\security\\policy\\secrets']);
    expect(facts.destinations).toContain('temp');
  });

  it('finds hives exported by a wrapper command line', () => {
    expect(exportedHives({ process: { name: 'cmd.exe', command_line: '"C:\\Windows\\system32\\cmd.exe" /c "reg save HKLM\\System system.hive"' } })).toEqual(['SYSTEM']);
    expect(exportedHives({ process: { name: 'cmd.exe', command_line: 'cmd /c reg query HKLM\\SYSTEM' } })).toEqual([]);
  });
});
