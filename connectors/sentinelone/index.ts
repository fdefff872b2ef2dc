export { SentinelOneConnector, type SentinelOneConnectorOptions } from './connector.js';
export { SENTINELONE_ACTIONS } from './declarations.js';
export { dvEventToEcs, starAlertToEcs, threatToEcs } from './ecs.js';
