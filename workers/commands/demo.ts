// `hivewatch demo` (`npm run demo`): the whole pipeline on embedded defaults; see workers/demo.ts.
import type { Command } from 'commander';
import { DEFAULT_DATA_ROOT, runDemo } from '../demo.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the main job on embedded defaults: webhook → triage → proposed steps → approval → audit, over data/')
    .option('--data <dir>', 'folder of replay datasets (each with alert.json)', DEFAULT_DATA_ROOT)
    .option('--timeout <seconds>', 'how long to wait for each case', '60')
    .action(async (flags: { data: string; timeout: string }) => {
      try {
        await runDemo({
          dataRoot: flags.data,
          redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
          out: (line) => process.stdout.write(`${line}\n`),
          timeoutMs: Number(flags.timeout) * 1000,
        });
        process.exit(0);
      } catch (err) {
        process.stderr.write(`demo failed: ${(err as Error).message}\n`);
        process.exit(1);
      }
    });
}
