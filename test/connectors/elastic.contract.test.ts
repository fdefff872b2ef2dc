// The shared connector contract, run against the Elastic connector and its fake seeded with the scenario.
import { ElasticConnector } from '../../connectors/elastic/index.js';
import { ElasticFake } from '../fakes/elastic.js';
import { CONTRACT_SCENARIO, runConnectorContract, scenarioToEcs } from './contract.js';
import { getString } from '../../detection/fields.js';

runConnectorContract('elastic', async () => {
  const fake = new ElasticFake();
  const url = await fake.start();
  for (const doc of scenarioToEcs()) {
    if (getString(doc, 'event.kind') === 'signal') {
      fake.addAlert(doc);
      continue;
    }
    const category = getString(doc, 'event.category');
    fake.addEvents(`logs-endpoint.events.${category}-default`, [doc]);
  }
  for (const host of Object.values(CONTRACT_SCENARIO.hosts)) fake.addEndpoint({ agentId: host.agent, hostId: host.id, hostName: host.name });
  const connector = new ElasticConnector({ elasticsearchUrl: url, kibanaUrl: url, apiKey: fake.apiKey });
  return { connector, close: () => fake.stop() };
});
