// CrowdStrike shapes to ECS (docs/edr-apis.md §2.4, matching Elastic's FDR pipeline): TargetProcessId ->
// process.entity_id, ParentProcessId -> process.parent.entity_id, RawProcessId -> process.pid, aid ->
// host.id. ImageFileName stays a raw NT device path; only the file name is normalised.

import type { EcsEvent } from '../types.js';

export type CsCategory = 'process' | 'file' | 'network';

const basename = (p: unknown): string | undefined => (typeof p === 'string' && p ? p.split(/[\\/]/).pop() : undefined);
const num = (v: unknown): number | undefined => (v === undefined || v === null || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v));
const str = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
const PROTOCOL: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp' };

function prune(o: Record<string, unknown>): EcsEvent {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** Splits a Windows command line the way CommandLineToArgvW does (quotes, backslash runs). */
export function splitWindowsArgs(cmd: string): string[] {
  const args: string[] = [];
  let cur = '';
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i]!;
    if (c === '\\') {
      let n = 0;
      while (cmd[i] === '\\') {
        n++;
        i++;
      }
      if (cmd[i] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else {
          inQuotes = !inQuotes;
        }
      } else {
        cur += '\\'.repeat(n);
        i--;
      }
      started = true;
    } else if (c === '"') {
      inQuotes = !inQuotes;
      started = true;
    } else if ((c === ' ' || c === '\t') && !inQuotes) {
      if (started) args.push(cur);
      cur = '';
      started = false;
    } else {
      cur += c;
      started = true;
    }
  }
  if (started) args.push(cur);
  return args;
}

export function categoryOf(simpleName: string): CsCategory {
  if (/^NetworkConnectIP[46]$|^NetworkReceiveAcceptIP[46]$|^DnsRequest$/.test(simpleName)) return 'network';
  if (/Written$|^FileOpenInfo$|^FileDeleteInfo$|^FileRenameInfo$/.test(simpleName)) return 'file';
  return 'process';
}

/** A raw NG-SIEM / FDR event as ECS. */
export function eventToEcs(e: Record<string, unknown>): EcsEvent {
  const name = String(e['#event_simpleName'] ?? e.event_simpleName ?? '');
  const category = categoryOf(name);
  const tsRaw = e['@timestamp'] ?? e.timestamp;
  const ts = typeof tsRaw === 'number' || /^\d+$/.test(String(tsRaw)) ? new Date(Number(tsRaw)).toISOString() : str(tsRaw);
  const common = {
    '@timestamp': ts,
    'event.kind': 'event',
    'event.category': [category],
    'event.action': name,
    'event.module': 'crowdstrike',
    'host.id': str(e.aid),
    'host.name': str(e.ComputerName),
    'user.id': str(e.UserSid),
    'user.name': str(e.UserName),
  };
  if (category === 'process') {
    const cmd = str(e.CommandLine);
    return prune({
      ...common,
      'event.type': ['start'],
      'process.entity_id': str(e.TargetProcessId),
      'process.parent.entity_id': str(e.ParentProcessId),
      'process.pid': num(e.RawProcessId),
      'process.command_line': cmd,
      'process.args': cmd ? splitWindowsArgs(cmd) : undefined,
      'process.executable': str(e.ImageFileName),
      'process.name': str(e.FileName) ?? basename(e.ImageFileName),
      'process.pe.original_file_name': str(e.OriginalFilename),
      'process.hash.sha256': str(e.SHA256HashData),
      'process.parent.name': str(e.ParentBaseFileName),
    });
  }
  if (category === 'file') {
    return prune({
      ...common,
      'event.type': ['creation'],
      'process.entity_id': str(e.ContextProcessId),
      'file.path': str(e.TargetFileName),
      'file.name': basename(e.TargetFileName),
    });
  }
  return prune({
    ...common,
    'event.type': ['connection'],
    'process.entity_id': str(e.ContextProcessId),
    'destination.ip': str(e.RemoteAddressIP4 ?? e.RemoteAddressIP6),
    'destination.port': num(e.RemotePort),
    'source.ip': str(e.LocalAddressIP4 ?? e.LocalAddressIP6),
    'source.port': num(e.LocalPort),
    'network.transport': PROTOCOL[String(e.Protocol)] ?? str(e.Protocol),
  });
}

/** An Alerts v2 object as an ECS signal. */
export function alertToEcs(a: Record<string, any>): EcsEvent {
  const cmd = str(a.cmdline);
  return prune({
    '@timestamp': str(a.created_timestamp ?? a.timestamp),
    'event.kind': 'signal',
    'event.module': 'crowdstrike',
    'event.id': str(a.composite_id),
    'event.severity': num(a.severity),
    'kibana.alert.workflow_status': str(a.status),
    'rule.id': str(a.pattern_id),
    'rule.name': str(a.display_name ?? a.name),
    'threat.tactic.id': str(a.tactic_id),
    'threat.technique.id': str(a.technique_id),
    'host.id': str(a.device?.device_id),
    'host.name': str(a.device?.hostname),
    'user.id': str(a.user_id),
    'user.name': str(a.user_name),
    'process.entity_id': str(a.process_id),
    'process.parent.entity_id': str(a.parent_details?.process_id),
    'process.pid': num(a.local_process_id),
    'process.command_line': cmd,
    'process.args': cmd ? splitWindowsArgs(cmd) : undefined,
    'process.executable': str(a.filepath),
    'process.name': str(a.filename),
    'process.hash.sha256': str(a.sha256),
    'crowdstrike.alert.composite_id': str(a.composite_id),
    'crowdstrike.alert.severity_name': str(a.severity_name),
  });
}
