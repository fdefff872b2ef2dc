import type { Command } from 'commander';

// Placeholder: the triage commands are registered here by the issue that builds them.
export function registerTriageCommands(_program: Command): void {}
