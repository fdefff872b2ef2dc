// The server's Node flags live in bin/hivewatch.js's shebang (for `npx hivewatch`) and in the Dockerfile's
// ENTRYPOINT (for `node bin/hivewatch.js` in the image). They must agree, and reach the process that runs.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { nodeFlagsOf } from '../bench/node-flags.js';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '..');
const bin = join(repo, 'bin/hivewatch.js');
const shebangFlags = nodeFlagsOf(readFileSync(bin, 'utf8')).split(' ');

describe('the server Node flags', () => {
  it('are the same in the shebang and in the Dockerfile ENTRYPOINT', () => {
    const line = readFileSync(join(repo, 'Dockerfile'), 'utf8').split('\n').find((l) => l.startsWith('ENTRYPOINT'))!;
    const entrypoint = JSON.parse(line.slice('ENTRYPOINT'.length)) as string[];
    expect(entrypoint[0]).toBe('node');
    expect(entrypoint.at(-1)).toBe('bin/hivewatch.js');
    expect(entrypoint.slice(1, -1)).toEqual(shebangFlags);
    expect(shebangFlags).toContain('--max-semi-space-size=32');
  });

  it('reach the process when bin/hivewatch.js is run directly', async () => {
    // A preloaded script reports the flags the running process was started with.
    const dir = mkdtempSync(join(tmpdir(), 'hw-flags-'));
    try {
      const probe = join(dir, 'probe.cjs');
      writeFileSync(probe, "process.on('exit', () => process.stderr.write('execArgv=' + JSON.stringify(process.execArgv) + '\\n'));\n");
      const { stdout, stderr } = await run(bin, ['--help'], { env: { ...process.env, NODE_OPTIONS: `--require ${probe}` } });
      expect(stdout).toContain('Usage: hivewatch');
      const execArgv = JSON.parse(/execArgv=(.*)/.exec(stderr)![1]!) as string[];
      expect(execArgv).toEqual(expect.arrayContaining(shebangFlags));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('nodeFlagsOf', () => {
  it('reads the flags of an env -S shebang, and none of a plain one', () => {
    expect(nodeFlagsOf('#!/usr/bin/env -S node --a=1 --b\nrest')).toBe('--a=1 --b');
    expect(nodeFlagsOf('#!/usr/bin/env node\n')).toBe('');
    expect(() => nodeFlagsOf('// no shebang')).toThrowError(/not a node shebang/);
  });
});
