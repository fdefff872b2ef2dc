// The asset inventory's one shape, shared by the file and the HTTP (CMDB) sources.
// Role and criticality come only from here: a host name never decides a host's role.
import { z } from 'zod';
import type { Asset } from '../types.js';

export const HOST_ROLES = [
  'workstation',
  'admin_workstation',
  'jump_host',
  'server',
  'backup_node',
  'domain_controller',
  'management_platform',
] as const;

export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;

export const assetSchema = z.strictObject({
  'host.id': z.string().min(1),
  'host.name': z.string().min(1),
  role: z.enum(HOST_ROLES),
  criticality: z.enum(CRITICALITIES),
  isolation_allowed: z.boolean(),
  owner: z.string(),
  tags: z.array(z.string()),
});

export class AssetInventoryError extends Error {
  constructor(
    readonly code: 'HW_ERR_ASSETS_INVALID' | 'HW_ERR_ASSETS_UNREADABLE' | 'HW_ERR_ASSETS_HTTP',
    message: string,
  ) {
    super(message);
    this.name = 'AssetInventoryError';
  }
}

/**
 * Validates an inventory (a JSON list of assets). Errors name the source, the entry index and the field,
 * so the owner of the file or the CMDB can fix that one entry.
 */
export function parseAssets(raw: unknown, source: string): Asset[] {
  if (!Array.isArray(raw)) {
    throw new AssetInventoryError(
      'HW_ERR_ASSETS_INVALID',
      `${source}: expected a JSON list of assets ({"host.id", "host.name", "role", "criticality", "isolation_allowed", "owner", "tags"}), got ${raw === null ? 'null' : typeof raw}`,
    );
  }
  const problems: string[] = [];
  const assets: Asset[] = [];
  const seen = new Map<string, number>();
  raw.forEach((entry, index) => {
    const result = assetSchema.safeParse(entry);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const field = issue.path.length > 0 ? issue.path.join('.') : '(entry)';
        problems.push(`entry ${index} field "${field}": ${issue.message}`);
      }
      return;
    }
    const first = seen.get(result.data['host.id']);
    if (first !== undefined) {
      problems.push(`entry ${index} field "host.id": "${result.data['host.id']}" is already listed at entry ${first}`);
      return;
    }
    seen.set(result.data['host.id'], index);
    assets.push(result.data);
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    const more = problems.length > 10 ? ` (and ${problems.length - 10} more)` : '';
    throw new AssetInventoryError('HW_ERR_ASSETS_INVALID', `${source} is invalid, fix these entries: ${shown}${more}`);
  }
  return assets;
}

/** Indexes a validated inventory by host.id. */
export function indexAssets(assets: readonly Asset[]): Map<string, Asset> {
  return new Map(assets.map((asset) => [asset['host.id'], asset]));
}
