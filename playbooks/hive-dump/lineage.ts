// Step 3 of the guide: who started the export and in which session.
import type { EcsEvent } from '../../connectors/types.js';
import { baseName, str } from './text.js';

export type ParentKind =
  | 'interactive_shell'
  | 'script_host'
  | 'encoded_powershell'
  | 'rmm_tool'
  | 'remote_execution'
  | 'office_or_browser'
  | 'service_host'
  | 'backup_agent'
  | 'other'
  | 'unknown';

export type SessionKind = 'interactive' | 'remote_style' | 'service' | 'unknown';

export interface LineageFacts {
  parent: { executable: string | null; name: string | null; commandLine: string | null; entityId: string | null; pid: number | null };
  parentKind: ParentKind;
  /** `cmd.exe /c`, a one-shot PowerShell: the lineage sits one level up. */
  genericWrapper: boolean;
  grandparent: { executable: string | null; name: string | null; commandLine: string | null; entityId: string | null; pid: number | null } | null;
  grandparentKind: ParentKind | null;
  logonType: string | null;
  session: SessionKind;
  userId: string | null;
  userName: string | null;
  /** False when the source stamps one id on every event (Sysmon puts its service SID S-1-5-18 in user.id). */
  userIdReliable: boolean;
  serviceAccount: boolean;
}

const SHELLS = new Set(['cmd.exe', 'powershell.exe', 'pwsh.exe', 'powershell_ise.exe', 'explorer.exe', 'windowsterminal.exe', 'wt.exe', 'conhost.exe', 'bash.exe']);
const SCRIPT_HOSTS = new Set(['wscript.exe', 'cscript.exe', 'mshta.exe', 'rundll32.exe', 'regsvr32.exe', 'msbuild.exe', 'installutil.exe', 'hh.exe', 'python.exe', 'pythonw.exe', 'perl.exe', 'node.exe', 'java.exe', 'javaw.exe', 'autoit3.exe']);
const RMM = /^(anydesk|teamviewer(_service)?|tv_[wx](32|64)|screenconnect\.(client|windowsclient)(service)?|connectwisecontrol\.client|atera(agent)?|agentpackage\w*|ninjarmmagent(patcher)?|ninjarmm\w*|agentmon|kaseya\w*|srservice|splashtop\w*|logmein\w*|lmi_\w*|rustdesk|meshagent|tacticalrmm|remotepc\w*|dwrcs|dameware\w*|bomgar\w*|beyondtrust\w*|remoteutilities\w*|rutserv|rfusclient|pcmonitorsrv|level|syncro\w*|kabuto\w*|zoho\w*assist\w*|goto\w*|gotoassist\w*)\.exe$/i;
const REMOTE_EXEC = new Set(['psexesvc.exe', 'wmiprvse.exe', 'winrshost.exe', 'wsmprovhost.exe', 'paexec.exe', 'remcomsvc.exe', 'csexecsvc.exe', 'mmc.exe']);
const OFFICE_BROWSER = new Set(['winword.exe', 'excel.exe', 'powerpnt.exe', 'outlook.exe', 'msaccess.exe', 'chrome.exe', 'msedge.exe', 'firefox.exe', 'iexplore.exe', 'acrord32.exe']);
const SERVICE_HOSTS = new Set(['services.exe', 'svchost.exe', 'taskeng.exe', 'taskhostw.exe', 'wininit.exe']);
const BACKUP = /^(veeam\w*|bpbkar\w*|beremote|dsmc\w*|cvd|wbengine|wbadmin|commvault\w*|acronis\w*|backupexec\w*|arcserve\w*|cohesity\w*|rubrik\w*|druva\w*)\.exe$/i;

/** Classifies a parent (or grandparent) process by executable and command line. */
export function classifyProcess(executable: string | null, commandLine: string | null): ParentKind {
  const name = baseName(executable);
  if (!name) return 'unknown';
  const cmd = commandLine ?? '';
  if ((name === 'powershell.exe' || name === 'pwsh.exe') && /\s-(e|en|enc|enco|encod|encode|encoded|encodedcommand|ec)\s/i.test(`${cmd} `)) return 'encoded_powershell';
  if (RMM.test(name)) return 'rmm_tool';
  if (REMOTE_EXEC.has(name)) return 'remote_execution';
  if (SCRIPT_HOSTS.has(name)) return 'script_host';
  if ((name === 'powershell.exe' || name === 'pwsh.exe') && /\s-(f|file)\s+\S+\.ps1/i.test(` ${cmd} `)) return 'script_host';
  if (OFFICE_BROWSER.has(name)) return 'office_or_browser';
  if (SHELLS.has(name)) return 'interactive_shell';
  if (BACKUP.test(name)) return 'backup_agent';
  if (SERVICE_HOSTS.has(name)) return 'service_host';
  return 'other';
}

/** A wrapper whose own lineage explains nothing: `cmd.exe /c <one command>`, a one-shot PowerShell. */
export function isGenericWrapper(executable: string | null, commandLine: string | null): boolean {
  const name = baseName(executable);
  if (name === 'cmd.exe') return commandLine === null || /\s\/[ckr]\s/i.test(` ${commandLine} `);
  if (name === 'powershell.exe' || name === 'pwsh.exe') {
    return commandLine !== null && /\s-(c|command)\s/i.test(` ${commandLine} `) && /\breg(\.exe)?\s+(save|export)\b/i.test(commandLine);
  }
  return false;
}

/** Maps Elastic Defend's `process.Ext.session_info.logon_type` (and Windows' numeric types) to a session kind. */
export function classifyLogonType(logonType: string | null): SessionKind {
  if (!logonType) return 'unknown';
  const t = logonType.toLowerCase().replace(/[\s_-]/g, '');
  if (['interactive', '2', 'cachedinteractive', '11', 'unlock', '7'].includes(t)) return 'interactive';
  if (['remoteinteractive', '10', 'network', '3', 'networkcleartext', '8', 'newcredentials', '9', 'cachedremoteinteractive', '12'].includes(t)) return 'remote_style';
  if (['service', '5', 'batch', '4'].includes(t)) return 'service';
  return 'unknown';
}

const WELL_KNOWN_SERVICE_SIDS = new Set(['s-1-5-18', 's-1-5-19', 's-1-5-20']);

/** Sysmon (through Elastic's pipeline) writes its own service SID into user.id for every event. */
export function isSysmonEvent(event: EcsEvent): boolean {
  const dataset = str(event, 'event.dataset') ?? '';
  const channel = str(event, 'winlog.channel') ?? '';
  const provider = str(event, 'event.provider') ?? '';
  return /sysmon/i.test(dataset) || /sysmon/i.test(channel) || /sysmon/i.test(provider);
}

export function isServiceAccount(userId: string | null, userName: string | null, reliableId: boolean): boolean {
  if (reliableId && userId && WELL_KNOWN_SERVICE_SIDS.has(userId.toLowerCase())) return true;
  if (!userName) return false;
  const n = userName.toLowerCase();
  return n === 'system' || n === 'local service' || n === 'network service' || n.endsWith('$') || /^(svc|srv|sa)[_.-]/.test(n) || /[_.-]svc$/.test(n) || /^service[_.-]/.test(n);
}

function processInfo(event: EcsEvent | null, prefix: string) {
  const pid = event ? str(event, `${prefix}.pid`) : null;
  return {
    executable: event ? str(event, `${prefix}.executable`) : null,
    name: event ? str(event, `${prefix}.name`) ?? (str(event, `${prefix}.executable`) ? baseName(str(event, `${prefix}.executable`)) : null) : null,
    commandLine: event ? str(event, `${prefix}.command_line`) : null,
    entityId: event ? str(event, `${prefix}.entity_id`) : null,
    pid: pid === null ? null : Number(pid),
  };
}

/**
 * Reads lineage from the source event and, when found, the parent's own start event (its
 * `process.parent.*` is the grandparent). The parent's start event fills gaps the source event leaves
 * (4688 has no parent command line).
 */
export function readLineage(event: EcsEvent, parentStart: EcsEvent | null, grandparentStart: EcsEvent | null): LineageFacts {
  const fromEvent = processInfo(event, 'process.parent');
  const fromParent = processInfo(parentStart, 'process');
  const parent = {
    executable: fromEvent.executable ?? fromParent.executable,
    name: fromEvent.name ?? fromParent.name,
    commandLine: fromEvent.commandLine ?? fromParent.commandLine,
    entityId: fromEvent.entityId ?? fromParent.entityId,
    pid: fromEvent.pid ?? fromParent.pid,
  };
  const parentExe = parent.executable ?? parent.name;
  const parentKind = classifyProcess(parentExe, parent.commandLine);
  const genericWrapper = isGenericWrapper(parentExe, parent.commandLine);
  let grandparent: LineageFacts['grandparent'] = null;
  if (parentStart || grandparentStart) {
    const viaParent = processInfo(parentStart, 'process.parent');
    const own = processInfo(grandparentStart, 'process');
    grandparent = {
      executable: own.executable ?? viaParent.executable,
      name: own.name ?? viaParent.name,
      commandLine: own.commandLine ?? viaParent.commandLine,
      entityId: own.entityId ?? viaParent.entityId,
      pid: own.pid ?? viaParent.pid,
    };
    if (!grandparent.executable && !grandparent.name && !grandparent.entityId && grandparent.pid === null) grandparent = null;
  }
  const grandparentKind = grandparent ? classifyProcess(grandparent.executable ?? grandparent.name, grandparent.commandLine) : null;
  const logonType = str(event, 'process.Ext.session_info.logon_type');
  const userId = str(event, 'user.id');
  const userName = str(event, 'user.name');
  const userIdReliable = !isSysmonEvent(event);
  return {
    parent,
    parentKind,
    genericWrapper,
    grandparent,
    grandparentKind,
    logonType,
    session: classifyLogonType(logonType),
    userId,
    userName,
    userIdReliable,
    serviceAccount: isServiceAccount(userId, userName, userIdReliable),
  };
}
