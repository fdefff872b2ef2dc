export { FileAssetInventory } from './file.js';
export { HttpAssetInventory, type HttpAssetInventoryOptions } from './http.js';
export { AssetInventoryError, CRITICALITIES, HOST_ROLES, assetSchema, indexAssets, parseAssets } from './schema.js';
