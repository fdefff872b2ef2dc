export { ReplayConnector, type ReplayConnectorOptions } from './connector.js';
export { buildDataset, loadDataset, type ReplayDataset } from './dataset.js';
export { REPLAY_ACTIONS } from './declarations.js';
export { ReplayError, type ReplayErrorCode } from './errors.js';
export type { RecordedAction } from './action-log.js';
