import type { Command } from 'commander';

// Placeholder: the demo command is registered here.
export function registerDemoCommand(_program: Command): void {}
