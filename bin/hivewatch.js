#!/usr/bin/env -S node --max-semi-space-size=32
// A 32 MB young generation (V8's default is 16): the API keeps a few 100-alert batches in flight, each a few MB
// of short-lived objects; with the default, many of them outlive a scavenge and are copied into the old
// generation. bench/intake.ts measured batched intake about 10% faster with it (and a longer p99 at a steady
// 1,000 single-alert requests a second: docs/deployment.md, Capacity). The Docker image and the bench
// run this file directly, so this line is where the flag lives; `node bin/hivewatch.js` runs without it.
// The CLI runs the TypeScript sources directly through tsx's loader: there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('../workers/cli.ts');
