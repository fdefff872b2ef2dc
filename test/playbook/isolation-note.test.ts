// "The inventory forbids isolating" is an open question only when the findings justify isolation.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../playbooks/hive-dump/dataset.js';
import { justifiesIsolation } from '../../playbooks/hive-dump/plan.js';
import type { Asset } from '../../connectors/types.js';

const data = resolve(import.meta.dirname, '../../data');

async function triage(name: string) {
  const dataset = await openDataset(join(data, name), { stateDir: await mkdtemp(join(tmpdir(), 'hw-iso-')) });
  return dataset.triage(JSON.parse(await readFile(join(data, name, 'alert.json'), 'utf8')));
}

describe('isolation forbidden by the inventory', () => {
  it('is an open question on a malicious domain controller, and no isolate step is planned', async () => {
    const report = await triage('dc01-shadow-copy');
    expect(report.disposition).toBe('malicious');
    expect(report.unresolved.some((q) => q.includes('forbids isolating'))).toBe(true);
    expect(report.plan.map((step) => step.action)).not.toContain('isolate_host');
  });

  it('is not an open question on a benign case of a host that may not be isolated', async () => {
    const report = await triage('backup-benign');
    expect(report.disposition).toBe('benign');
    expect(report.unresolved.filter((q) => q.includes('isolat'))).toEqual([]);
  });

  it('justifiesIsolation never holds for benign or unverified dispositions', () => {
    const asset: Asset = { 'host.id': 'h', 'host.name': 'h', role: 'server', criticality: 'critical', isolation_allowed: false, owner: 'o', tags: [] };
    const signals = [{ id: 'host.privileged_role' }] as never;
    expect(justifiesIsolation({ disposition: 'benign', signals, asset })).toBe(false);
    expect(justifiesIsolation({ disposition: 'unverified', signals, asset })).toBe(false);
    expect(justifiesIsolation({ disposition: 'malicious', signals: [], asset })).toBe(true);
    expect(justifiesIsolation({ disposition: 'suspicious', signals, asset })).toBe(true);
  });
});
