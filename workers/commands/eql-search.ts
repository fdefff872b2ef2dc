import type { Command } from 'commander';

// Placeholder until the EQL issue fills in `eql search`.
export function registerEqlSearch(_eql: Command): void {}
