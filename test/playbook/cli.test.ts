// `hivewatch triage --dataset DIR ALERT.json`: one JSON report with the fields, --markdown, errors.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const stateDir = mkdtempSync(join(tmpdir(), 'hw-cli-triage-'));
const cli = (...args: string[]) => run(process.execPath, [join(repo, 'bin/hivewatch.js'), 'triage', '--state-dir', stateDir, ...args], { cwd: repo });

describe('hivewatch triage', () => {
  it('prints one JSON report with the contract fields for each bundled dataset', async () => {
    const expected: Record<string, [string, string[]]> = { panache: ['malicious', ['SECURITY']], empire: ['malicious', ['SAM']], 'dc01-shadow-copy': ['malicious', ['SYSTEM']], 'backup-benign': ['benign', ['SAM']] };
    for (const [name, [disposition, hives]] of Object.entries(expected)) {
      const { stdout } = await cli('--dataset', `data/${name}`, `data/${name}/alert.json`);
      const report = JSON.parse(stdout);
      expect(report.verification).toMatchObject({ verified: true });
      expect(typeof report.verification.reason).toBe('string');
      expect(report.hives).toEqual(hives);
      expect(Array.isArray(report.destinations)).toBe(true);
      expect(report).toHaveProperty('hostRole');
      expect(report.disposition).toBe(disposition);
      expect(report.score).toBeGreaterThanOrEqual(0);
      expect(Array.isArray(report.unresolved)).toBe(true);
      for (const f of report.factors) expect(Object.keys(f)).toEqual(expect.arrayContaining(['id', 'weight', 'evidence']));
      for (const s of report.plan) expect(Object.keys(s)).toEqual(expect.arrayContaining(['action', 'target', 'reversible', 'inverse', 'requiresApproval', 'reason']));
    }
  }, 60_000);

  it('prints a readable case summary with --markdown, and can re-verify with rule 317', async () => {
    const { stdout } = await cli('--dataset', 'data/dc01-shadow-copy', '--markdown', 'data/dc01-shadow-copy/alert.json');
    expect(stdout).toMatch(/^# Hive dump triage: MALICIOUS/);
    expect(stdout).toContain('## Proposed response');
    expect(stdout).toContain('forbids isolating');
    // Version 317 does not match a SYSTEM-only save: under it the alert does not verify.
    const old = JSON.parse((await cli('--dataset', 'data/dc01-shadow-copy', '--rule-version', '317', 'data/dc01-shadow-copy/alert.json')).stdout);
    expect(old.disposition).toBe('unverified');
  }, 60_000);

  it('exits 2 with a coded message on a too-broad workflows.json or a bad alert', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hw-cli-ds-'));
    for (const f of ['events.ndjson', 'assets.json']) copyFileSync(join(repo, 'data/backup-benign', f), join(dir, f));
    writeFileSync(join(dir, 'workflows.json'), JSON.stringify([{ name: 'all reg', 'process.name': 'reg.exe', 'host.id': 'h' }]));
    const broad = await cli('--dataset', dir, join(repo, 'data/backup-benign/alert.json')).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(broad?.code).toBe(2);
    expect(broad?.stderr).toMatch(/^HW_ERR_WORKFLOW_TOO_BROAD: workflow "all reg" \(workflows\[0\]\) is too broad: it leaves out process\.executable/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ process: { name: 'reg.exe' } }));
    const bad = await cli('--dataset', 'data/empire', join(dir, 'bad.json')).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(bad?.code).toBe(2);
    expect(bad?.stderr).toMatch(/HW_ERR_ALERT_INVALID: host/);
  }, 60_000);
});
