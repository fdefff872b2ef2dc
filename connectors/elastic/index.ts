export { ElasticConnector, type ElasticConnectorOptions } from './connector.js';
export { ELASTIC_ACTIONS } from './actions.js';
export { DEFAULT_INDICES as ELASTIC_DEFAULT_INDICES, RULE_INDICES } from './indices.js';
