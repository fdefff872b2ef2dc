// Configuration changes are audited: each process that starts the response stage records the hash of the
// response, connector and triage settings (secrets redacted) and of the recognised-workflows file, and a
// `config.changed` record when it differs from the last one recorded for the deployment. A workflow added or
// edited in workflows.json therefore shows in the audit trail with the file's new hash.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { canonicalHash } from '../audit/canonical.js';
import { redactSecrets } from '../audit/redact.js';
import type { AuditSink } from '../audit/types.js';
import type { HivewatchConfig } from '../config.js';
import { workflowsFileFor } from '../triage/processor.js';

/** URLs keep their origin only: a webhook URL's path is itself a credential (Slack), userinfo too. */
function maskUrls(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => maskUrls(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([inner, innerValue]) => [inner, maskUrls(innerValue, inner)]));
  }
  if (typeof value === 'string' && /url$/i.test(key)) {
    try {
      return `${new URL(value).origin}/…`;
    } catch {
      return '[redacted]';
    }
  }
  return value;
}

/** The workflows file and the SHA-256 of its bytes (the entries themselves are in the file and its history). */
function workflowsDigest(config: HivewatchConfig): { file: string; sha256: string | null } | null {
  const file = workflowsFileFor(config);
  if (!file) return null;
  return { file, sha256: existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : null };
}

export async function recordConfig(audit: AuditSink, redis: Redis, config: HivewatchConfig, who: string): Promise<'unchanged' | 'changed' | 'first'> {
  const plain = JSON.parse(JSON.stringify({ response: config.response ?? null, connector: config.connector ?? null, triage: config.triage ?? null, workflows: workflowsDigest(config) })) as Record<string, unknown>;
  const settings = maskUrls(redactSecrets(plain)) as Record<string, unknown>;
  const hash = canonicalHash(settings);
  const key = `${config.redis.prefix}:response:config-hash`;
  const previous = await redis.getset(key, hash);
  if (previous === hash) return 'unchanged';
  await audit.append({
    type: previous ? 'config.changed' : 'config.loaded',
    actor: { id: who, role: 'system' },
    data: { hash, previousHash: previous, settings },
  });
  return previous ? 'changed' : 'first';
}
