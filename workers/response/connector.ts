// The connector the response stage executes actions with, built once from `config.connector`.
import { parseConnectorConfig } from '../../connectors/config.js';
import { ReplayConnector } from '../../connectors/replay/index.js';
import type { Connector } from '../../connectors/types.js';
import type { HivewatchConfig } from '../config.js';
import { ResponseError } from './errors.js';
import { once } from './runtime.js';

export function connectorFromConfig(config: HivewatchConfig): () => Promise<Connector> {
  return once(async () => {
    if (config.connector === undefined) {
      throw new ResponseError('HW_ERR_CONNECTOR_UNSET', 500, 'connector: no connector configured; set connector.kind (replay, elastic, crowdstrike, ...) in the config file');
    }
    const parsed = parseConnectorConfig(config.connector);
    if (parsed.kind === 'replay') return ReplayConnector.open({ datasetDir: parsed.datasetDir, stateDir: parsed.stateDir });
    throw new ResponseError('HW_ERR_CONNECTOR_UNAVAILABLE', 500, `connector.kind ${parsed.kind}: not wired into the response stage yet; use kind replay`);
  });
}
