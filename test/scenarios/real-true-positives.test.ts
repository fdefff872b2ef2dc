// Every real true positive in ../shared/corpus/real-events.jsonl, replayed as an alert against the whole
// real corpus, verifies with our engine and is never benign.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAlert } from '../../detection/alert.js';
import { buildDataset, ReplayConnector } from '../../connectors/replay/index.js';
import { runHiveDumpPlaybook } from '../../playbooks/hive-dump/playbook.js';
import { loadHiveDumpRule } from '../../playbooks/hive-dump/rule.js';

type Doc = Record<string, any>;
const corpus = resolve(import.meta.dirname, '../../../shared/corpus');
const read = (file: string): Doc[] =>
  readFileSync(join(corpus, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

// `source` is provenance in the corpus but an ECS field set; keep it out of the events.
const ecs = (record: Doc, i: number): Doc => {
  const { source, source_commit, source_format, original, note, tags, label, label_upstream_latest, label_sigma_fd877b94, synthesized_fields, ...doc } = record;
  void [source, source_commit, source_format, original, note, tags, label, label_upstream_latest, label_sigma_fd877b94, synthesized_fields];
  return { ...doc, event: { ...doc.event, id: `real-${i}` } };
};

const records = read('real-events.jsonl');
const events = [...records.map(ecs), ...read('real-context-events.jsonl').map((r, i) => ecs(r, 10_000 + i))];
const alertOf = (event: Doc, version: number, query: string): Doc => ({
  ...structuredClone(event),
  '@timestamp': new Date(Date.parse(event['@timestamp']) + 60_000).toISOString(),
  event: { ...event.event, kind: 'signal' },
  kibana: {
    alert: {
      uuid: `tp-${event.event.id}`,
      original_time: event['@timestamp'],
      ancestors: [{ id: event.event.id, index: 'logs-windows.sysmon_operational-default' }],
      rule: { rule_id: 'a7e7bfa3-088e-4f13-b29e-3986e0e756b8', version, parameters: { query } },
    },
  },
});

describe('real true positives', () => {
  const connector = new ReplayConnector(buildDataset(events), { stateDir: mkdtempSync(join(tmpdir(), 'hw-realtp-')) });
  const cases = [
    { version: '317', label: 'label' },
    { version: '318', label: 'label_upstream_latest' },
  ] as const;
  for (const { version, label } of cases) {
    const rule = loadHiveDumpRule(version);
    const positives = records.map((r, i) => ({ r, e: events[i]! })).filter(({ r }) => r[label] === 'match');
    it(`rule ${version}: all ${positives.length} real matches verify and none is benign`, async () => {
      expect(positives.length).toBe(version === '317' ? 6 : 11);
      expect(positives.filter(({ r }) => (r.tags as string[]).includes('true_positive')).length).toBe(6);
      for (const { e } of positives) {
        const report = await runHiveDumpPlaybook(parseAlert(alertOf(e, Number(version), rule.query)), { connector, assets: connector.assets, rule });
        expect(report.verification.verified, `${e.process.command_line} on ${e.host.name}`).toBe(true);
        expect(report.disposition).not.toBe('benign');
        expect(report.hives.length).toBeGreaterThan(0);
        expect(report.plan[0]!.action).toBe('preserve_evidence');
      }
    });
  }

  it('real non-matching events replayed as alerts do not verify', async () => {
    const rule = loadHiveDumpRule('318');
    const negatives = records.map((r, i) => ({ r, e: events[i]! })).filter(({ r }) => r.label_upstream_latest === 'no_match' && r.event?.code === '1' && r.process?.entity_id);
    expect(negatives.length).toBeGreaterThan(50);
    for (const { e } of negatives.slice(0, 60)) {
      const report = await runHiveDumpPlaybook(parseAlert(alertOf(e, 318, rule.query)), { connector, assets: connector.assets, rule });
      expect(report.disposition).toBe('unverified');
      expect(report.plan.map((s) => s.action)).toEqual(['preserve_evidence']);
    }
  });
});
