export { CrowdStrikeConnector, type CrowdStrikeConnectorOptions } from './connector.js';
export { CROWDSTRIKE_ACTIONS } from './actions.js';
export { alertToEcs, eventToEcs, splitWindowsArgs } from './mapping.js';
