// `npx hivewatch <command>`: each command group lives in workers/commands/ and registers itself here.
// A group is imported only when its command runs (or for help), so `eql match` does not pay for loading
// fastify, BullMQ and the connectors.
import { Command } from 'commander';

type Register = (program: Command) => void;

const GROUPS: Record<string, () => Promise<Register>> = {
  eql: async () => (await import('./commands/eql.js')).registerEqlCommands,
  serve: async () => (await import('./commands/serve.js')).registerServeCommands,
  triage: async () => (await import('./commands/triage.js')).registerTriageCommands,
  response: async () => (await import('./commands/response.js')).registerResponseCommands,
  demo: async () => (await import('./commands/demo.js')).registerDemoCommand,
};

/** Which group defines each top-level command. */
const COMMAND_GROUP: Record<string, string> = {
  eql: 'eql',
  serve: 'serve',
  worker: 'serve',
  triage: 'triage',
  cases: 'response',
  steps: 'response',
  audit: 'response',
  demo: 'demo',
};

const program = new Command()
  .name('hivewatch')
  .description('SOAR playbook worker for registry hive dumping alerts (T1003.002, T1003.004)')
  .showHelpAfterError()
  .exitOverride((err) => {
    // commander's own exits (help, version) keep their code; usage errors exit 2 like grep.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

const group = COMMAND_GROUP[process.argv[2] ?? ''];
for (const name of group ? [group] : Object.keys(GROUPS)) (await GROUPS[name]!())(program);

await program.parseAsync(process.argv);
