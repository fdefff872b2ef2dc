// Rule loading: the shipped target rule (v317, v318) and clear errors for bad files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseQuery } from '../../detection/eql/parser.js';
import { printQuery } from '../../detection/eql/printer.js';
import { loadRule, parseRule, renderInvestigate, renderNote, RuleError } from '../../detection/rules/load.js';

const repo = path.resolve(import.meta.dirname, '../..');
const shared = path.resolve(repo, '../shared');
const v317File = path.join(repo, 'playbooks/hive-dump/rule-v317.toml');
const v318File = path.join(repo, 'playbooks/hive-dump/rule-v318.toml');
const targetDoc = readFileSync(path.join(shared, 'docs/target-rule.md'), 'utf8');

function between(text: string, start: string, end: string): string {
  const i = text.indexOf(start);
  if (i === -1) throw new Error(`marker not found: ${start}`);
  const j = text.indexOf(end, i + start.length);
  return text.slice(i + start.length, j);
}

const tmp = mkdtempSync(path.join(tmpdir(), 'hw-rules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function ruleError(text: string, name = 'bad.toml'): RuleError {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  try {
    loadRule(file);
  } catch (err) {
    if (err instanceof RuleError) return err;
    throw err;
  }
  throw new Error('expected a RuleError');
}

const MINIMAL = `[rule]
rule_id = "r1"
name = "n"
language = "eql"
risk_score = 21
severity = "low"
query = '''
process where true
'''
`;

describe('the shipped target rule', () => {
  const v317 = loadRule(v317File);
  const v318 = loadRule(v318File);

  it('loads both versions with the metadata of the target-rule doc', () => {
    for (const [r, version] of [
      [v317, 317],
      [v318, 318],
    ] as const) {
      expect(r.version).toBe(version);
      expect(r.ruleId).toBe('a7e7bfa3-088e-4f13-b29e-3986e0e756b8');
      expect(r.name).toBe('Credential Acquisition via Registry Hive Dumping');
      expect(r.language).toBe('eql');
      expect(r.riskScore).toBe(73);
      expect(r.severity).toBe('high');
      expect(r.from).toBe('now-9m');
      expect(r.timestampOverride).toBe('event.ingested');
      expect(r.index).toEqual([
        'endgame-*',
        'logs-crowdstrike.fdr*',
        'logs-endpoint.events.process-*',
        'logs-m365_defender.event-*',
        'logs-sentinel_one_cloud_funnel.*',
        'logs-system.security*',
        'logs-windows.forwarded*',
        'logs-windows.sysmon_operational-*',
        'winlogbeat-*',
      ]);
      expect(r.threat).toHaveLength(1);
      const threat = r.threat[0];
      expect(threat?.framework).toBe('MITRE ATT&CK');
      expect(threat?.tactic.id).toBe('TA0006');
      expect(threat?.technique?.[0]?.id).toBe('T1003');
      expect(threat?.technique?.[0]?.subtechnique?.map((s) => s.id)).toEqual(['T1003.002', 'T1003.004']);
      expect(r.investigate.map((i) => i.label)).toEqual([
        'Alerts associated with the user',
        'Alerts associated with the host',
        'Processes from same parent as alert',
        'Child processes of reg.exe',
        'File activity for reg.exe and children',
        'Network activity for reg.exe and children',
      ]);
      expect(r.investigationFields).toContain('process.Ext.session_info.logon_type');
    }
  });

  it("v317's query is the seed's, v318's is the doc's", () => {
    const seed = readFileSync(path.join(shared, 'seed/000_44f4c0983ec74fd5.txt'), 'utf8');
    const seedQuery = between(seed, 'Rule query\nedit', '\nFramework');
    expect(v317.query.trim()).toBe(seedQuery.trim());
    expect(v317.ast).toEqual(parseQuery(seedQuery));
    const docQuery = between(targetDoc, '### Query (verbatim)\n\n```eql\n', '\n```');
    expect(v318.query.trim()).toBe(docQuery.trim());
    expect(v318.ast).toEqual(parseQuery(docQuery));
  });

  it('v318 also matches SYSTEM and the hkey_local_machine spellings', () => {
    const hives = (q: string) => {
      const m = /process\.args : \("hklm[^)]*\)/.exec(q);
      return m?.[0];
    };
    expect(hives(printQuery(v317.ast))).toBe('process.args : ("hklm\\\\sam", "hklm\\\\security")');
    expect(hives(printQuery(v318.ast))).toBe(
      'process.args : ("hklm\\\\sam", "hklm\\\\security", "hklm\\\\system", "hkey_local_machine\\\\sam", ' +
        '"hkey_local_machine\\\\security", "hkey_local_machine\\\\system")',
    );
  });

  it("renders v318's note exactly as the doc's verbatim guide", () => {
    const rendered = between(targetDoc, '````markdown\n', '\n````');
    expect(v318.note).toContain('$investigate_2');
    expect(renderNote(v318)).toBe(rendered);
  });

  it("v317's guide is the seed's guide text (the seed is a rendered page: compare letters and digits only)", () => {
    const seed = readFileSync(path.join(shared, 'seed/000_44f4c0983ec74fd5.txt'), 'utf8');
    const seedGuide = between(seed, 'Investigation guide\nedit', 'Setup\nedit');
    const bare = (t: string) => t.replace(/!\{investigate\{.*?\}\}(?=\s)/g, '').replace(/[^A-Za-z0-9]/g, '');
    expect(bare(renderNote(v317) ?? '')).toBe(bare(seedGuide));
    expect(v317.investigate).toEqual(v318.investigate);
  });

  it('renders investigate blocks like detection-rules (sorted keys, compact JSON)', () => {
    const first = v318.investigate[0];
    if (!first) throw new Error('no investigate block');
    expect(renderInvestigate(first)).toBe(
      '!{investigate{"description":"","label":"Alerts associated with the user","providers":[[{"excluded":false,"field":"event.kind","queryType":"phrase","value":"signal","valueType":"string"},{"excluded":false,"field":"user.id","queryType":"phrase","value":"{{user.id}}","valueType":"string"}]],"relativeFrom":"now-48h/h","relativeTo":"now"}}',
    );
    expect(renderNote({ note: 'a $investigate_9 $$x ${investigate_0}', investigate: [first] })).toBe(
      `a $investigate_9 $x ${renderInvestigate(first)}`,
    );
  });
});

describe('osquery transforms', () => {
  it('render as !{osquery...} in the note', () => {
    const r = parseRule(
      MINIMAL.replace('[rule]', '[rule]\nnote = "see $osquery_0 and $osquery_1"') +
        '\n[[transform.osquery]]\nlabel = "Services"\nquery = "SELECT * FROM services"\n',
    );
    expect(r.osquery).toEqual([{ label: 'Services', query: 'SELECT * FROM services' }]);
    expect(renderNote(r)).toBe('see !{osquery{"label":"Services","query":"SELECT * FROM services"}} and $osquery_1');
  });
});

describe('version placement', () => {
  it('reads version from [rule] or from [metadata]', () => {
    expect(parseRule(MINIMAL.replace('[rule]', '[rule]\nversion = 7')).version).toBe(7);
    expect(parseRule('[metadata]\nversion = 9\n' + MINIMAL).version).toBe(9);
    expect(parseRule(MINIMAL).version).toBeUndefined();
  });
});

describe('bad rule files', () => {
  it('reports an unreadable file', () => {
    try {
      loadRule(path.join(tmp, 'missing.toml'));
      throw new Error('expected a RuleError');
    } catch (err) {
      expect(err).toBeInstanceOf(RuleError);
      expect((err as RuleError).code).toBe('HW_ERR_RULE_READ');
      expect((err as RuleError).message).toMatch(/missing\.toml: cannot read the rule file \(ENOENT\)/);
    }
  });

  it('reports TOML syntax errors with the file, line and column', () => {
    const err = ruleError('[rule]\nname = "x"\nrisk_score = \n');
    expect(err.code).toBe('HW_ERR_RULE_TOML');
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/bad\.toml:3:\d+: .*fix the TOML syntax/);
  });

  it('names the missing or mistyped field and the file', () => {
    const noQuery = ruleError(MINIMAL.replace(/query = '''[\s\S]*'''\n/, ''));
    expect(noQuery.code).toBe('HW_ERR_RULE_INVALID');
    expect(noQuery.field).toBe('rule.query');
    expect(noQuery.message).toMatch(/bad\.toml: rule\.query: is required but missing; fix that field/);

    const badScore = ruleError(MINIMAL.replace('risk_score = 21', 'risk_score = "high"'));
    expect(badScore.field).toBe('rule.risk_score');
    expect(badScore.message).toMatch(/rule\.risk_score: .*expected number/);
    expect(ruleError(MINIMAL.replace('risk_score = 21', 'risk_score = 101')).message).toMatch(/rule\.risk_score: /);

    const badSeverity = ruleError(MINIMAL.replace('severity = "low"', 'severity = "urgent"'));
    expect(badSeverity.field).toBe('rule.severity');

    const kuery = ruleError(MINIMAL.replace('language = "eql"', 'language = "kuery"'));
    expect(kuery.message).toMatch(/rule\.language: only EQL rules are supported/);

    const noRule = ruleError('[metadata]\nmaturity = "production"\n');
    expect(noRule.field).toBe('rule');

    const badInvestigate = ruleError(
      MINIMAL + '\n[[transform.investigate]]\nlabel = "x"\nproviders = [[{ excluded = false, field = "a", queryType = "fuzzy", value = "v", valueType = "string" }]]\n',
    );
    expect(badInvestigate.field).toBe('transform.investigate.0.providers.0.0.queryType');
  });

  it('reports a query syntax error at its line and column in the rule file', () => {
    const text = MINIMAL.replace('process where true', 'process where true and\n  (a == 1 or b');
    const err = ruleError(text, 'broken.toml');
    expect(err.code).toBe('HW_ERR_RULE_QUERY');
    expect(err.field).toBe('rule.query');
    // The query starts on line 8 of the file and ends with a newline, so <EOF> is on its 3rd line.
    expect([err.line, err.column]).toEqual([10, 1]);
    expect(err.eqlError?.code).toBe('HW_ERR_EQL_SYNTAX');
    expect([err.eqlError?.line, err.eqlError?.column]).toEqual([3, 1]);
    expect(err.message).toBe(
      `HW_ERR_RULE_QUERY: ${path.join(tmp, 'broken.toml')}:10:1: rule.query: line 3:1: expected ')' but found <EOF>; fix the EQL query`,
    );
    const mid = ruleError(MINIMAL.replace('process where true', 'process where true and\n  (a == 1 oops b)'), 'mid.toml');
    expect([mid.line, mid.column, mid.eqlError?.line, mid.eqlError?.column]).toEqual([9, 11, 2, 11]);
  });

  it('reports semantic query errors too, and positions inside escaped basic strings relative to the query', () => {
    const semantic = ruleError(MINIMAL.replace('process where true', 'process where a == b'));
    expect(semantic.code).toBe('HW_ERR_RULE_QUERY');
    expect(semantic.eqlError?.code).toBe('HW_ERR_EQL_SEMANTIC');
    expect(semantic.line).toBe(8);

    const basic = ruleError(MINIMAL.replace(/query = '''[\s\S]*'''\n/, 'query = "process where a == \\"x\\" and"\n'));
    expect(basic.line).toBeUndefined();
    expect(basic.message).toMatch(/rule\.query: line 1:\d+: expected an expression but found <EOF> \(position inside the query\)/);
  });
});
