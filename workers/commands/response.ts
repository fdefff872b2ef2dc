import type { Command } from 'commander';

// Placeholder: the response commands are registered here by the issue that builds them.
export function registerResponseCommands(_program: Command): void {}
