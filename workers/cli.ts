// `npx hivewatch <command>`: each command group lives in workers/commands/ and registers itself here.
import { Command } from 'commander';
import { registerEqlCommands } from './commands/eql.js';
import { registerServeCommands } from './commands/serve.js';
import { registerTriageCommands } from './commands/triage.js';
import { registerResponseCommands } from './commands/response.js';
import { registerDemoCommand } from './commands/demo.js';

const program = new Command()
  .name('hivewatch')
  .description('SOAR playbook worker for registry hive dumping alerts (T1003.002, T1003.004)')
  .showHelpAfterError()
  .exitOverride((err) => {
    // commander's own exits (help, version) keep their code; usage errors exit 2 like grep.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

registerEqlCommands(program);
registerServeCommands(program);
registerTriageCommands(program);
registerResponseCommands(program);
registerDemoCommand(program);

await program.parseAsync(process.argv);
