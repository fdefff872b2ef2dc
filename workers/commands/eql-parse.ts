import type { Command } from 'commander';

// Placeholder until the EQL issue fills in `eql parse`.
export function registerEqlParse(_eql: Command): void {}
