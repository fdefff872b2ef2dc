import type { Command } from 'commander';

// Placeholder until the EQL issue fills in `eql match`.
export function registerEqlMatch(_eql: Command): void {}
