import type { Command } from 'commander';

// Placeholder: the serve commands are registered here by the issue that builds them.
export function registerServeCommands(_program: Command): void {}
