// Azure Blob datastore against Azurite: the fault tests of durable delivery.
import { describe } from 'node:test';
import { type Azurite, startAzurite } from '@model-data-collector/test-support/emulators';
import { faultSuite } from '@model-data-collector/test-support/fault-suite';
import { azureLines } from '@model-data-collector/test-support/stored-lines';

describe('azure blob datastore faults', () => {
  let az: Azurite;
  faultSuite({
    name: 'azure_blob',
    env: {},
    async start() {
      az = await startAzurite();
      return az;
    },
    create: (container) => az.createContainer(container),
    datastore: (container) => ({ type: 'azure_blob', container, connection_string: az.connectionString }),
    badCredentials: (container) => ({
      datastore: {
        type: 'azure_blob',
        container,
        connection_string: az.connectionString.replace(/AccountKey=[^;]+/, 'AccountKey=d3Jvbmc='),
      },
      env: {},
    }),
    lines: (container) => azureLines(az.service, container),
  });
});
