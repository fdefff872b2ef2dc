#!/usr/bin/env -S node --max-semi-space-size=32
// A 32 MB young generation (V8's default is 16 MB on 64-bit): intake allocates about 30 KB per alert, so a
// larger nursery is scavenged less often and promotes less of the batches in flight (docs/deployment.md, Capacity).
// The Dockerfile's ENTRYPOINT passes the same flags; a test keeps the two in step.
// The CLI runs the TypeScript sources directly through tsx's loader: there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('../workers/cli.ts');
