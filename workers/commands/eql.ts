// `hivewatch eql ...`: the EQL engine's command-line contract (parse, match, search).
import type { Command } from 'commander';
import { registerEqlParse } from './eql-parse.js';
import { registerEqlMatch } from './eql-match.js';
import { registerEqlSearch } from './eql-search.js';

export function registerEqlCommands(program: Command): void {
  const eql = program.command('eql').description('parse, match and search with the EQL engine (Elasticsearch semantics)');
  registerEqlParse(eql);
  registerEqlMatch(eql);
  registerEqlSearch(eql);
}
