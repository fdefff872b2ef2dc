// Step 2 of the guide: what was exported, how, where to, and by which binary.
import type { EcsEvent } from '../../connectors/types.js';
import type { DestinationClass, Hive } from './report.js';
import { baseName, splitCommandLine, str, strs, unquote } from './text.js';

const HIVE_RE = /^(?:hklm|hkey_local_machine)\\(sam|security|system)\\?$/i;
const SUBKEY_RE = /^(?:hklm|hkey_local_machine)\\(sam|security|system)\\.+/i;

export interface BinaryIdentity {
  executable: string | null;
  name: string | null;
  originalFileName: string | null;
  signer: string | null;
  signatureTrusted: boolean | null;
  /** reg.exe running from outside System32/SysWOW64, or renamed (name and original name disagree). */
  anomalies: string[];
}

export interface ExportFacts {
  hives: Hive[];
  /** Credential-hive subkeys such as `HKLM\SECURITY\Policy\Secrets` (outside the rule, still exposure). */
  subkeys: string[];
  verb: 'save' | 'export' | null;
  outputPath: string | null;
  /** The output path made absolute with the working directory, when it was relative. */
  resolvedOutputPath: string | null;
  destinations: DestinationClass[];
  binary: BinaryIdentity;
}

/** The args of a process event; split from the command line when the source gave none. */
export function argsOf(event: EcsEvent, prefix = 'process'): string[] {
  const args = strs(event, `${prefix}.args`);
  if (args.length > 0) return args;
  const commandLine = str(event, `${prefix}.command_line`);
  return commandLine ? splitCommandLine(commandLine) : [];
}

/** Normalises a registry key argument to a hive name, or null. Every spelling: hklm\, hkey_local_machine\, any case, quotes kept by 4688. */
export function hiveOf(arg: string): Hive | null {
  const match = HIVE_RE.exec(unquote(arg));
  return match ? (match[1]!.toUpperCase() as Hive) : null;
}

/** Parses `reg save|export <key> <file> [/y] [/reg:64]` from args (any element order after the verb). */
export function parseRegCommand(args: string[]): { verb: 'save' | 'export' | null; keys: string[]; outputPath: string | null } {
  const verbIndex = args.findIndex((arg) => /^(save|export)$/i.test(unquote(arg)));
  if (verbIndex === -1) return { verb: null, keys: [], outputPath: null };
  const verb = unquote(args[verbIndex]!).toLowerCase() as 'save' | 'export';
  const operands = args.slice(verbIndex + 1).filter((arg) => !/^\/(y|reg:\d+|oem)$/i.test(unquote(arg)));
  const keys = operands.filter((arg) => /^(hklm|hkey_local_machine|hkcu|hkey_current_user|hku|hkey_users|hkcr|hkcc)\\?/i.test(unquote(arg)));
  const firstKey = operands.findIndex((arg) => keys.includes(arg));
  const fileOperand = firstKey === -1 ? undefined : operands.slice(firstKey + 1).find((arg) => !keys.includes(arg));
  return { verb, keys, outputPath: fileOperand ? unquote(fileOperand) : null };
}

// Names that mimic system processes or files; the honest names sam/security/system are not deceptive.
const SYSTEM_LOOKING = /^(svchost|lsass|csrss|winlogon|services|explorer|smss|wininit|spoolsv|taskhostw?|conhost|dllhost|rundll32|ntuser|usrclass|pagefile|hiberfil|desktop|thumbs|bootmgr|ntoskrnl|kernel32|msupdate|update|wuauclt)(\.[a-z0-9]+)?$/i;
const DECEPTIVE_EXT = /\.(log|txt|tmp|jpg|jpeg|png|gif|bmp|ico|svg|webp|dll|sys|exe|ini|dat|etl|evtx|cab|cat|mui|db|pdf|docx?|xlsx?)$/i;

/** Classifies where a hive was written. A path can have several classes (an admin share is also UNC). */
export function classifyDestination(outputPath: string | null, workingDirectory?: string | null): { classes: DestinationClass[]; resolved: string | null } {
  if (!outputPath) return { classes: ['unknown'], resolved: null };
  let path = unquote(outputPath).replace(/\//g, '\\');
  const classes = new Set<DestinationClass>();
  const lower = path.toLowerCase();
  const isUnc = lower.startsWith('\\\\') && !lower.startsWith('\\\\?\\') && !lower.startsWith('\\\\.\\');
  const isAbsoluteDrive = /^[a-z]:\\/i.test(path);
  const isEnvRooted = /^(%[a-z_]+%|\$env:[a-z_]+)/i.test(path);
  if (!isUnc && !isAbsoluteDrive && !isEnvRooted && workingDirectory) {
    const base = unquote(workingDirectory).replace(/[\\/]+$/, '');
    path = `${base}\\${path.replace(/^\.\\/, '')}`;
  }
  const resolved = path;
  const full = resolved.toLowerCase();
  if (isUnc) {
    classes.add('unc');
    if (/^\\\\[^\\]+\\([a-z]\$|admin\$)(\\|$)/i.test(full)) classes.add('admin_share');
  }
  if (/(%temp%|%tmp%|\$env:te?mp|\\temp\\|\\tmp\\|\\appdata\\local\\temp\\)/i.test(`${full}\\`)) classes.add('temp');
  if (/(%public%|\$env:public|\\users\\public\\|\\users\\default\\|\\users\\all users\\|^[a-z]:\\programdata\\|%programdata%|%allusersprofile%)/i.test(`${full}\\`)) classes.add('public_profile');
  if (/^[a-z]:\\/i.test(full) && !full.startsWith('c:\\')) classes.add('removable_or_other_drive');
  const fileName = baseName(resolved);
  // A hive hidden among Windows files (outside Windows\Temp) is a system-looking location.
  const underWindows = /^[a-z]:\\windows\\/i.test(full) && !/^[a-z]:\\windows\\temp\\/i.test(full);
  if (DECEPTIVE_EXT.test(fileName) || SYSTEM_LOOKING.test(fileName) || underWindows) classes.add('deceptive_name');
  if (classes.size === 0) classes.add(/^(c:\\|%systemroot%|%windir%|%systemdrive%)/i.test(full) ? 'system_drive_other' : 'unknown');
  return { classes: [...classes], resolved };
}

export function binaryIdentity(event: EcsEvent): BinaryIdentity {
  const executable = str(event, 'process.executable');
  const name = str(event, 'process.name') ?? (executable ? baseName(executable) : null);
  const originalFileName = str(event, 'process.pe.original_file_name');
  const signer = str(event, 'process.code_signature.subject_name');
  const trustedRaw = str(event, 'process.code_signature.trusted');
  const anomalies: string[] = [];
  if (executable && !/^([a-z]:\\windows\\(system32|syswow64|winsxs)\\|\\device\\harddiskvolume\d+\\windows\\(system32|syswow64)\\)/i.test(executable)) {
    anomalies.push(`reg.exe runs from ${executable}, outside System32/SysWOW64`);
  }
  if (originalFileName && name && originalFileName.toLowerCase() === 'reg.exe' && name.toLowerCase() !== 'reg.exe') {
    anomalies.push(`renamed reg.exe: process.name ${name}, pe.original_file_name ${originalFileName}`);
  }
  if (originalFileName && name && name.toLowerCase() === 'reg.exe' && originalFileName.toLowerCase() !== 'reg.exe') {
    anomalies.push(`a binary named reg.exe whose pe.original_file_name is ${originalFileName}`);
  }
  if (signer && !/^microsoft (windows|corporation)/i.test(signer)) anomalies.push(`signed by ${signer}, not Microsoft`);
  if (trustedRaw === 'false') anomalies.push('code signature not trusted');
  return { executable, name, originalFileName, signer, signatureTrusted: trustedRaw === null ? null : trustedRaw === 'true', anomalies };
}

const exportCache = new WeakMap<object, ExportFacts>();

/** Reads the export facts from the (verified) source event. Memoised per document; treat the result as read-only. */
export function readExport(event: EcsEvent): ExportFacts {
  const hit = exportCache.get(event);
  if (hit) return hit;
  const facts = computeExport(event);
  exportCache.set(event, facts);
  return facts;
}

function computeExport(event: EcsEvent): ExportFacts {
  const args = argsOf(event);
  const { verb, keys, outputPath } = parseRegCommand(args);
  const hives: Hive[] = [];
  const subkeys: string[] = [];
  // The hive may sit anywhere in args (the rule matches any element), so scan every arg, not only operands.
  for (const arg of args) {
    const hive = hiveOf(arg);
    if (hive && !hives.includes(hive)) hives.push(hive);
    else if (!hive && SUBKEY_RE.test(unquote(arg))) subkeys.push(unquote(arg));
  }
  void keys;
  const order: Hive[] = ['SAM', 'SECURITY', 'SYSTEM'];
  hives.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const { classes, resolved } = classifyDestination(outputPath, str(event, 'process.working_directory'));
  return { hives, subkeys, verb, outputPath, resolvedOutputPath: resolved, destinations: classes, binary: binaryIdentity(event) };
}

/** Hives a process event exports, for siblings (reg save of SYSTEM next to SAM). */
export function exportedHives(event: EcsEvent): Hive[] {
  const name = (str(event, 'process.name') ?? baseName(str(event, 'process.executable'))).toLowerCase();
  const original = (str(event, 'process.pe.original_file_name') ?? '').toLowerCase();
  const args = argsOf(event);
  if (name === 'reg.exe' || name === 'reg' || original === 'reg.exe') {
    if (parseRegCommand(args).verb === null) return [];
    return [...new Set(args.map(hiveOf).filter((h): h is Hive => h !== null))];
  }
  // A wrapper such as `cmd.exe /c "reg save HKLM\SYSTEM x"` carries the reg command inside one argument.
  const commandLine = str(event, 'process.command_line') ?? '';
  const inner = /\breg(?:\.exe)?"?\s+(save|export)\s+("?)(hklm|hkey_local_machine)\\(sam|security|system)\2(?=[\s"]|$)/i.exec(commandLine);
  return inner ? [inner[4]!.toUpperCase() as Hive] : [];
}
