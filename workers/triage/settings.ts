// The `triage` section of the config: rule version, recognised workflows, and where host roles come from
// (an assets file or the CMDB URL). Env overrides (HIVEWATCH_RULE_VERSION, HIVEWATCH_WORKFLOWS_FILE,
// HIVEWATCH_ASSETS_FILE, HIVEWATCH_ASSETS_URL) are mapped by workers/config.ts's loader.
import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { FileAssetInventory, HttpAssetInventory } from '../../connectors/assets/index.js';
import { secretSourceSchema, type SecretSource } from '../../connectors/config.js';
import type { AssetInventory, Connector } from '../../connectors/types.js';

const assetsFileSchema = z.object({ file: z.string().min(1, 'must be a file path') }).strict();
const assetsUrlSchema = z
  .object({
    url: z.string().regex(/^https?:\/\//, 'must be an http:// or https:// URL of the CMDB inventory'),
    /** How long a fetched inventory is trusted before the next fetch. */
    ttlSeconds: z.coerce.number().int().positive().default(300),
    timeoutMs: z.coerce.number().int().positive().default(5_000),
    /** Bearer token for the CMDB: `{ env }`, `{ file }` or (local use only) a literal; default HIVEWATCH_ASSETS_TOKEN(_FILE) if set. */
    token: secretSourceSchema.optional(),
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

// Not workers/config.ts's ConfigError: that module imports this one (the schema), and a cycle would leave the
// schema undefined when this module is loaded first. Same code and message shape.
function configError(setting: string, message: string): Error {
  return Object.assign(new Error(`HW_ERR_CONFIG: ${setting}: ${message}`), { code: 'HW_ERR_CONFIG', setting });
}

/** The CMDB token, if any: the configured source, else HIVEWATCH_ASSETS_TOKEN / _FILE. Never logged. */
function assetsToken(source: SecretSource | undefined, env: Record<string, string | undefined>): string | undefined {
  const read = (path: string, setting: string) => {
    try {
      return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw configError(setting, `cannot read the token file (${(err as NodeJS.ErrnoException).code ?? 'error'}); check the path`);
    }
  };
  if (typeof source === 'string') return source;
  if (source && 'file' in source) return read(source.file, 'triage.assets.token.file');
  const name = source && 'env' in source ? source.env : 'HIVEWATCH_ASSETS_TOKEN';
  const file = env[`${name}_FILE`];
  if (file) return read(file, `${name}_FILE`);
  const value = env[name];
  if (value) return value;
  if (source) throw configError('triage.assets.token', `${name} is not set; set it (or ${name}_FILE) or remove the setting`);
  return undefined;
}

/** The inventory the playbook takes roles from: the configured source, else the connector's own (replay). */
export function assetInventoryFor(settings: TriageConfig, connector: Connector, env: Record<string, string | undefined> = process.env): AssetInventory | null {
  const source = settings.assets;
  if (source && 'file' in source) return new FileAssetInventory(source.file);
  if (source) {
    const token = assetsToken(source.token, env);
    return new HttpAssetInventory({ url: source.url, ttlMs: source.ttlSeconds * 1000, timeoutMs: source.timeoutMs, ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}) });
  }
  return (connector as Connector & { assets?: AssetInventory }).assets ?? null;
}

/** A warning for the operator when no inventory will be consulted, else null. */
export function assetSourceWarning(settings: TriageConfig, connectorKind: string | undefined): string | null {
  if (settings.assets || connectorKind === undefined || connectorKind === 'replay') return null;
  return `HW_WARN_NO_ASSET_INVENTORY: connector ${connectorKind} runs without an asset inventory: every host role will be unknown and reported unresolved, and isolation is never proposed on role grounds; set triage.assets.file or triage.assets.url (HIVEWATCH_ASSETS_FILE / HIVEWATCH_ASSETS_URL)`;
}
