// The `triage` section of the config: rule version, recognised workflows, and where host roles come from
// (an assets file or the CMDB URL). Env overrides (HIVEWATCH_RULE_VERSION, HIVEWATCH_WORKFLOWS_FILE,
// HIVEWATCH_ASSETS_FILE, HIVEWATCH_ASSETS_URL) are mapped by workers/config.ts's loader.
import { z } from 'zod';
import { FileAssetInventory, HttpAssetInventory } from '../../connectors/assets/index.js';
import type { AssetInventory, Connector } from '../../connectors/types.js';

const assetsFileSchema = z.object({ file: z.string().min(1, 'must be a file path') }).strict();
const assetsUrlSchema = z
  .object({
    url: z.string().regex(/^https?:\/\//, 'must be an http:// or https:// URL of the CMDB inventory'),
    /** How long a fetched inventory is trusted before the next fetch. */
    ttlSeconds: z.coerce.number().int().positive().default(300),
    timeoutMs: z.coerce.number().int().positive().default(5_000),
  })
  .strict();

export const triageConfigSchema = z
  .object({
    /** The bundled rule version the worker re-verifies alerts with. */
    ruleVersion: z.union([z.literal(317), z.literal(318), z.enum(['317', '318']).transform(Number)], { error: 'must be 317 or 318' }).default(318),
    /** Recognised workflows (JSON array); default: the replay dataset's workflows.json, if any. */
    workflowsFile: z.string().min(1, 'must be a file path').optional(),
    /** Host inventory: `{ file }` or `{ url, ttlSeconds, timeoutMs }`; default: the replay dataset's assets.json. */
    assets: z.union([assetsFileSchema, assetsUrlSchema], { error: 'set either { file } or { url, ttlSeconds, timeoutMs }, not both' }).optional(),
  })
  .prefault({});

export type TriageConfig = z.infer<typeof triageConfigSchema>;

/** The inventory the playbook takes roles from: the configured source, else the connector's own (replay). */
export function assetInventoryFor(settings: TriageConfig, connector: Connector): AssetInventory | null {
  const source = settings.assets;
  if (source && 'file' in source) return new FileAssetInventory(source.file);
  if (source) return new HttpAssetInventory({ url: source.url, ttlMs: source.ttlSeconds * 1000, timeoutMs: source.timeoutMs });
  return (connector as Connector & { assets?: AssetInventory }).assets ?? null;
}

/** A warning for the operator when no inventory will be consulted, else null. */
export function assetSourceWarning(settings: TriageConfig, connectorKind: string | undefined): string | null {
  if (settings.assets || connectorKind === undefined || connectorKind === 'replay') return null;
  return `HW_WARN_NO_ASSET_INVENTORY: connector ${connectorKind} runs without an asset inventory: every host role will be unknown and reported unresolved, and isolation is never proposed on role grounds; set triage.assets.file or triage.assets.url (HIVEWATCH_ASSETS_FILE / HIVEWATCH_ASSETS_URL)`;
}
