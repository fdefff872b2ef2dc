// The asset inventory from a local `assets.json` (the replay dataset's, or an exported CMDB file).
import { readFile } from 'node:fs/promises';
import type { Asset, AssetInventory } from '../types.js';
import { AssetInventoryError, indexAssets, parseAssets } from './schema.js';

export class FileAssetInventory implements AssetInventory {
  private loading: Promise<Map<string, Asset>> | null = null;

  constructor(readonly path: string) {}

  /** An inventory already in memory (tests, or a caller that loaded the list itself). */
  static fromAssets(assets: readonly Asset[], source = '(in memory)'): FileAssetInventory {
    const inventory = new FileAssetInventory(source);
    inventory.loading = Promise.resolve(indexAssets(parseAssets(assets, source)));
    return inventory;
  }

  /** Reads and validates the file now (the first lookup does it otherwise), so a bad file fails at start-up. */
  async load(): Promise<void> {
    await this.byHost();
  }

  /** Drops the cached file so the next lookup reads it again. */
  reload(): void {
    this.loading = null;
  }

  async getAsset(hostId: string): Promise<Asset | null> {
    return (await this.byHost()).get(hostId) ?? null;
  }

  async list(): Promise<Asset[]> {
    return [...(await this.byHost()).values()];
  }

  private byHost(): Promise<Map<string, Asset>> {
    if (!this.loading) {
      this.loading = readInventory(this.path);
      // A failed read is not cached: the operator fixes the file and the next lookup tries again.
      this.loading.catch(() => {
        this.loading = null;
      });
    }
    return this.loading;
  }
}

async function readInventory(path: string): Promise<Map<string, Asset>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'read failed';
    throw new AssetInventoryError('HW_ERR_ASSETS_UNREADABLE', `asset inventory ${path} cannot be read (${reason}); check the path in the config`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new AssetInventoryError('HW_ERR_ASSETS_INVALID', `${path} is not valid JSON (${(error as Error).message}); fix the file`);
  }
  return indexAssets(parseAssets(raw, path));
}
