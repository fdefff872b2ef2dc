// The scenario suite: every dataset under datasets/ (built by data/build-datasets.ts from ../shared/corpus and
// from realistic constructions) is triaged end to end on the replay connector with the real EQL engine, and
// its scenario.json states what the report must say.
import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../playbooks/hive-dump/dataset.js';
import { loadWorkflows, WorkflowError } from '../../playbooks/hive-dump/workflows.js';
import type { TriageReport } from '../../playbooks/hive-dump/report.js';
import type { ScenarioExpectation as Expect } from './expectation.js';

const root = resolve(import.meta.dirname, 'datasets');
const stateDir = mkdtempSync(join(tmpdir(), 'hw-scenarios-'));
const names = readdirSync(root).sort();

async function open(dir: string, expectation: Expect) {
  if (expectation.workflowError) {
    // The too-broad entry is refused before any triage runs; the case is then triaged without it.
    const error = await loadWorkflows(join(dir, 'workflows.json')).then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(WorkflowError);
    expect((error as WorkflowError).code).toBe(expectation.workflowError);
    expect((error as WorkflowError).message).toMatch(/leaves out process\.executable, process\.code_signature\.subject_name, process\.parent\.command_line, process\.command_line, user\.id/);
    return openDataset(dir, { stateDir, workflows: [] });
  }
  return openDataset(dir, { stateDir });
}

function check(report: TriageReport, e: Expect) {
  expect(report.verification.verified).toBe(e.verified);
  expect(typeof report.verification.reason).toBe('string');
  expect(report.disposition).toBe(e.disposition);
  expect(report.hives).toEqual(e.hives);
  expect(report.hostRole).toBe(e.hostRole);
  if (e.destinations) expect([...report.destinations].sort()).toEqual([...e.destinations].sort());
  const ids = report.factors.map((f) => f.id);
  for (const id of e.factors) expect(ids, `factor ${id}`).toContain(id);
  for (const id of e.absentFactors ?? []) expect(ids, `factor ${id} must be absent`).not.toContain(id);
  expect(report.plan.map((s) => s.action)).toEqual(e.plan);
  for (const text of e.unresolved ?? []) expect(report.unresolved.join('\n')).toContain(text);
  if (e.drift !== undefined) expect(Boolean(report.verification.drift)).toBe(e.drift);
  if (e.candidateExceptions !== undefined) expect((report.candidateExceptions as unknown[]).length).toBe(e.candidateExceptions);
  // Every factor cites evidence that names its connector, question, events and window.
  for (const factor of report.factors) {
    expect(factor.evidence.length, `evidence of ${factor.id}`).toBeGreaterThan(0);
    for (const ev of factor.evidence) {
      expect(ev.connector).toMatch(/^(replay|assets)$/);
      expect(ev.query.length).toBeGreaterThan(0);
      expect(Date.parse(ev.window.from)).toBeLessThanOrEqual(Date.parse(ev.window.to));
      expect(ev.eventIds.length).toBeLessThanOrEqual(25);
    }
  }
  expect(report.score).toBeGreaterThanOrEqual(0);
  expect(report.score).toBeLessThanOrEqual(100);
  if (report.disposition === 'unverified') expect(report.plan.every((s) => s.action === 'preserve_evidence')).toBe(true);
  if (report.disposition === 'benign') expect(report.plan.map((s) => s.action)).toEqual(['reverse_containment']);
  else if (report.plan.length > 0) expect(report.plan[0]!.action).toBe('preserve_evidence');
}

describe('scenario datasets', () => {
  it('has at least 15 datasets covering every bullet of the issue', () => {
    expect(names.length).toBeGreaterThanOrEqual(15);
    const covers = names.flatMap((n) => JSON.parse(readFileSync(join(root, n, 'scenario.json'), 'utf8')).covers as string[]).join('\n');
    for (const bullet of [
      'staging under a wrapper grandparent',
      'recognised recurring backup workflow -> benign',
      'same workflow with one contradicting dimension',
      'missing network telemetry',
      'forged alerts',
      'Windows 4688 without entity ids, including pid reuse',
      'critical host whose role forbids isolation',
      'too-broad exceptions refused',
      'alert storms',
      'real telemetry',
    ]) {
      expect(covers).toContain(bullet);
    }
  });

  for (const name of names) {
    const dir = join(root, name);
    const scenario = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as { title: string; expect: Expect };
    it(`${name}: ${scenario.title}`, async () => {
      const dataset = await open(dir, scenario.expect);
      const report = await dataset.triage(JSON.parse(readFileSync(join(dir, 'alert.json'), 'utf8')));
      check(report, scenario.expect);
      if (existsSync(join(dir, 'alerts.ndjson'))) {
        // An alert storm: every alert is triaged concurrently and each comes out the same way.
        const alerts = readFileSync(join(dir, 'alerts.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
        const reports = await Promise.all(alerts.map((a) => dataset.triage(a)));
        expect(new Set(reports.map((r) => r.alertId)).size).toBe(alerts.length);
        for (const r of reports) {
          expect(r.verification.verified).toBe(true);
          expect(r.disposition).toBe('malicious');
          expect(r.plan[0]!.action).toBe('preserve_evidence');
          expect(r.plan.map((s) => s.action)).toContain('isolate_host');
        }
      }
    });
  }
});
