// Idempotency memory: which vendor action an idempotency key already started. It must outlive the
// process, so besides the in-memory default there is a file store and a Redis store.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Redis } from 'ioredis';
import type { ActionKind } from '../types.js';

export interface ActionRecord {
  actionId: string;
  kind: ActionKind;
  vendor: string;
  /** ISO time the action was started. */
  startedAt: string;
}

export interface ActionKeyStore {
  get(key: string): Promise<ActionRecord | null>;
  set(key: string, record: ActionRecord): Promise<void>;
}

export class MemoryKeyStore implements ActionKeyStore {
  private readonly map = new Map<string, ActionRecord>();
  async get(key: string): Promise<ActionRecord | null> {
    return this.map.get(key) ?? null;
  }
  async set(key: string, record: ActionRecord): Promise<void> {
    this.map.set(key, record);
  }
}

/**
 * A JSON file of key -> record, rewritten atomically (write temp, rename) on every set, re-reading the
 * file first so a record written by another process is kept. For several workers at once use Redis.
 */
export class FileKeyStore implements ActionKeyStore {
  private cache: Record<string, ActionRecord> | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  private async load(): Promise<Record<string, ActionRecord>> {
    if (this.cache) return this.cache;
    try {
      this.cache = JSON.parse(await readFile(this.path, 'utf8')) as Record<string, ActionRecord>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.cache = {};
    }
    return this.cache;
  }

  async get(key: string): Promise<ActionRecord | null> {
    return (await this.load())[key] ?? null;
  }

  async set(key: string, record: ActionRecord): Promise<void> {
    const run = this.chain.then(async () => {
      this.cache = null; // merge with whatever is on disk now
      const all = await this.load();
      if (all[key]) return; // first writer wins, as with Redis HSETNX
      all[key] = record;
      await mkdir(dirname(this.path), { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(all, null, 1));
      await rename(tmp, this.path);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** Redis hash per connector; the first writer of a key wins (HSETNX), so concurrent workers agree. */
export class RedisKeyStore implements ActionKeyStore {
  constructor(private readonly redis: Redis, private readonly hashKey: string) {}

  async get(key: string): Promise<ActionRecord | null> {
    const raw = await this.redis.hget(this.hashKey, key);
    return raw ? (JSON.parse(raw) as ActionRecord) : null;
  }

  async set(key: string, record: ActionRecord): Promise<void> {
    await this.redis.hsetnx(this.hashKey, key, JSON.stringify(record));
  }
}
