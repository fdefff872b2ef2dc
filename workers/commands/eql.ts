import type { Command } from 'commander';

// Placeholder: the eql commands are registered here by the issue that builds them.
export function registerEqlCommands(_program: Command): void {}
