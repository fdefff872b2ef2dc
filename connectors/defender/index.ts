export { DefenderConnector, type DefenderConnectorOptions } from './connector.js';
export { mdeEntityId, parseMdeEntityId } from './entity.js';
export { DEFENDER_BASE_ACTIONS, DEFENDER_KILL_ACTION } from './declarations.js';
