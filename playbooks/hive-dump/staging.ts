// Step 4 of the guide: what the same parent (or, behind a wrapper, the grandparent) and reg.exe's
// children did around the export.
import type { EcsEvent } from '../../connectors/types.js';
import type { Hive } from './report.js';
import { exportedHives } from './export.js';
import { baseName, str } from './text.js';

export type StagingKind =
  | 'system_export'
  | 'companion_export'
  | 'archiving'
  | 'copy_to_share_or_removable'
  | 'transfer'
  | 'deletion'
  | 'alternate_dump'
  | 'credential_tool';

export interface StagingFinding {
  kind: StagingKind;
  commandLine: string;
  hives?: Hive[];
}

const ARCHIVERS = /(^|[\\/\s"])(7z|7za|7zr|7zg|rar|winrar|makecab|zip|pkzip|wzzip|tar|compact|iexpress)(\.exe)?("?)\s/i;
const COMPRESS_PS = /\b(compress-archive|system\.io\.compression|zipfile\]::createfromdirectory)\b/i;
const COPY_CMD = /(^|[\s"&|(])(copy|xcopy|move|robocopy|copy-item|move-item|cp|mv)(\.exe)?\s/i;
const UNC_OR_OTHER_DRIVE = /(\s|"|')(\\\\(?![?.]\\)[^\\\s]+\\[^\s"']+|[d-z]:\\)/i;
const TRANSFER = /(\bcertutil(\.exe)?\b.*\s[-/](urlcache|encode|encodehex|decode|f\b|split)|\bbitsadmin(\.exe)?\b.*\/(transfer|addfile|upload)|\bstart-bitstransfer\b|\bcurl(\.exe)?\s|\bwget(\.exe)?\s|\binvoke-webrequest\b|\biwr\s|\binvoke-restmethod\b|\bnet\.webclient\b|\buploadfile\b|\bftp(\.exe)?\s+-s:|\bscp(\.exe)?\s|\bpscp(\.exe)?\s|\bsftp(\.exe)?\s|\brclone(\.exe)?\s|\bmega(cmd|put)\b|\brobocopy(\.exe)?\s+\S+\s+"?\\\\)/i;
const DELETION = /((^|[\s"&|(])(del|erase|rd|rmdir|remove-item|ri|rm|sdelete(64)?)(\.exe)?\s|\bcipher(\.exe)?\s+\/w|\bvssadmin(\.exe)?\s+delete\s+shadows|\bwevtutil(\.exe)?\s+(cl|clear-log)|\bclear-eventlog\b|\bwmic(\.exe)?\s+shadowcopy\s+delete)/i;
const ALT_DUMP = /(\bvssadmin(\.exe)?\s+create\s+shadow|\bdiskshadow(\.exe)?\b|\besentutl(\.exe)?\s.*\/vss|\besentutl(\.exe)?\s.*\\config\\(sam|security|system)\b|\bntdsutil(\.exe)?\b.*\bifm\b|\bntdsutil(\.exe)?\b.*create\s+full|harddiskvolumeshadowcopy|\\\\\?\\globalroot\\|\bvshadow(\.exe)?\s|\bwmic(\.exe)?\s+shadowcopy\s+call\s+create|win32_shadowcopy|\\windows\\system32\\config\\(sam|security|system)\b)/i;
const CRED_TOOLS = /(\bmimikatz\b|sekurlsa|lsadump|\bgsecdump\b|\bwce(\.exe)?\s|\bpwdump\w*\b|\bfgdump\b|\bsecretsdump\b|\bprocdump(64)?(\.exe)?\b.*\blsass|\bcomsvcs(\.dll)?\b.*minidump|\bnanodump\b|\blazagne\b|\binvoke-(mimikatz|powerdump|ninjacopy)\b|\bpypykatz\b)/i;

const stagingCache = new WeakMap<object, StagingFinding[]>();

/** Classifies one process event seen near the export. One event can hold several findings. Memoised per document. */
export function classifyStaging(event: EcsEvent): StagingFinding[] {
  const hit = stagingCache.get(event);
  if (hit) return hit;
  const findings = computeStaging(event);
  stagingCache.set(event, findings);
  return findings;
}

function computeStaging(event: EcsEvent): StagingFinding[] {
  const commandLine = str(event, 'process.command_line') ?? '';
  const name = baseName(str(event, 'process.executable') ?? str(event, 'process.name'));
  const text = ` ${commandLine} `;
  const findings: StagingFinding[] = [];
  const hives = exportedHives(event);
  if (hives.includes('SYSTEM')) findings.push({ kind: 'system_export', commandLine, hives: ['SYSTEM'] });
  const credential = hives.filter((h) => h !== 'SYSTEM');
  if (credential.length > 0) findings.push({ kind: 'companion_export', commandLine, hives: credential });
  if (ARCHIVERS.test(text) || COMPRESS_PS.test(text) || /^(7z|7za|7zr|rar|winrar|makecab)\.exe$/.test(name)) findings.push({ kind: 'archiving', commandLine });
  if (COPY_CMD.test(text) && UNC_OR_OTHER_DRIVE.test(text) && !ALT_DUMP.test(text)) findings.push({ kind: 'copy_to_share_or_removable', commandLine });
  if (TRANSFER.test(text)) findings.push({ kind: 'transfer', commandLine });
  if (DELETION.test(text)) findings.push({ kind: 'deletion', commandLine });
  if (ALT_DUMP.test(text)) findings.push({ kind: 'alternate_dump', commandLine });
  if (CRED_TOOLS.test(text)) findings.push({ kind: 'credential_tool', commandLine });
  return findings;
}

/** File events that show hive output being staged: archives, writes to shares or other drives, deletion. */
export function classifyFileEvent(event: EcsEvent): StagingFinding[] {
  const path = str(event, 'file.path') ?? str(event, 'file.name') ?? '';
  const types = `${str(event, 'event.type') ?? ''} ${str(event, 'event.action') ?? ''}`.toLowerCase();
  const findings: StagingFinding[] = [];
  if (/\.(7z|rar|zip|cab|tar|gz|tgz)$/i.test(path)) findings.push({ kind: 'archiving', commandLine: path });
  if (/^\\\\(?![?.]\\)/.test(path) || /^[d-z]:\\/i.test(path)) findings.push({ kind: 'copy_to_share_or_removable', commandLine: path });
  if (/delet/.test(types)) findings.push({ kind: 'deletion', commandLine: path });
  return findings;
}
