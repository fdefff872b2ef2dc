// docs/scoring.md documents the model: every factor id with its weight, and no factor that does not exist.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WEIGHTS } from '../../playbooks/hive-dump/score.js';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/scoring.md'), 'utf8');

describe('docs/scoring.md', () => {
  it('lists every factor with its weight', () => {
    const rows = new Map([...doc.matchAll(/^\| `([a-z_.]+)` \| ([−+-]?\d+) \|/gm)].map((m) => [m[1]!, Number(m[2]!.replace('−', '-').replace('+', ''))]));
    expect(Object.fromEntries(rows)).toEqual({ ...WEIGHTS });
  });
});
