import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Reader, type Row } from '@model-data-collector/reader';
import { FIXTURES } from './helpers.js';

// The reference document's example records, in a folder tree as the reference system writes it (no registry).
describe('files written by the reference system', () => {
  const read = async (ref: string, options = {}) => {
    await using reader = await Reader.open({ workspace: FIXTURES });
    const rows: Row[] = [];
    for await (const r of reader.rows(ref, options)) rows.push(r);
    assert.deepEqual(reader.warnings, []);
    return rows;
  };

  test('their collection folders are found without a data-asset registry', async () => {
    await using reader = await Reader.open({ workspace: FIXTURES });
    assert.deepEqual(
      (await reader.collections()).map((c) => [c.name, c.endpoint, c.deployment, c.collection, c.uri]),
      [
        [
          'credit-default-mdc-testing-4-main2-model_inputs',
          'credit-default-mdc-testing-4',
          'main2',
          'model_inputs',
          'azureml://datastores/workspaceblobstore/paths/modelDataCollector/credit-default-mdc-testing-4/main2/model_inputs',
        ],
        [
          'ep-dp-request',
          'ep',
          'dp',
          'request',
          'azureml://datastores/workspaceblobstore/paths/modelDataCollector/ep/dp/request',
        ],
        [
          'localdev-endpoint-localdev-model_inputs',
          'localdev-endpoint',
          'localdev',
          'model_inputs',
          'azureml://datastores/workspaceblobstore/paths/modelDataCollector/localdev-endpoint/localdev/model_inputs',
        ],
        [
          'localdev-endpoint-localdev-request',
          'localdev-endpoint',
          'localdev',
          'request',
          'azureml://datastores/workspaceblobstore/paths/modelDataCollector/localdev-endpoint/localdev/request',
        ],
        [
          'localdev-endpoint-localdev-response',
          'localdev-endpoint',
          'localdev',
          'response',
          'azureml://datastores/workspaceblobstore/paths/modelDataCollector/localdev-endpoint/localdev/response',
        ],
      ],
    );
  });

  test('the HTTP request record: a non-tabular body as JSON', async () => {
    assert.deepEqual(await read('request', { endpoint: 'localdev-endpoint' }), [
      {
        time: new Date('2022-05-25T08:59:48Z'),
        correlationid: 'aaaa0000-bb11-2222-33cc-444444dddddd',
        row_index: 0,
        id: 'aaaa0000-bb11-2222-33cc-444444dddddd',
        event_id: '19790b87-a63c-4295-9a67-febb2d8fbce0',
        modelversion: null,
        path: '/score',
        method: 'POST',
        datacontenttype: 'application/json',
        data: {
          data: [
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            [10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
          ],
        },
        data_uri: null,
        text: null,
        streamstatus: null,
        ttftms: null,
        durationms: null,
      },
    ]);
  });

  test('the HTTP response record: an array of numbers', async () => {
    const [row] = await read('localdev-endpoint-localdev-response');
    assert.deepEqual(row!.data, [11055.977245525679, 4503.079536107787]);
    assert.equal(row!.event_id, 'bbd80e51-8855-455f-a719-970023f41e7d');
    assert.equal(row!.path, null);
  });

  test('the custom-logging record: three rows of one call', async () => {
    const rows = await read('model_inputs', { endpoint: 'localdev-endpoint', deployment: 'localdev' });
    assert.deepEqual(
      rows.map((r) => [r.id, r.row_index, r.label, r.pattern, r.modelversion]),
      [
        ['bbbb1111-cc22-3333-44dd-555555eeeeee_0', 0, 'DRUG', 'aspirin', 'default'],
        ['bbbb1111-cc22-3333-44dd-555555eeeeee_1', 1, 'DRUG', 'trazodone', 'default'],
        ['bbbb1111-cc22-3333-44dd-555555eeeeee_2', 2, 'DRUG', 'citalopram', 'default'],
      ],
    );
  });

  test('the binary record: its blob URL is kept as data_uri (not followed: not in a datastore)', async () => {
    const [row] = await read('ep-dp-request');
    assert.equal(row!.datacontenttype, 'text/plain');
    assert.equal(row!.data, null);
    assert.equal(
      row!.data_uri,
      'https://masterws0373607518.blob.core.windows.net/modeldata/mdc/%5Byear%5D%5Bmonth%5D%5Bday%5D-%5Bhour%5D_%5Bminute%5D/ba993308-f630-4fe2-833f-481b2e4d169a',
    );
    assert.equal(row!.path, '/score?size=1');
    assert.equal(row!.time?.valueOf(), Date.parse('2022-02-28T08:41:07Z'));
  });

  test('the batched credit-default record: two rows sharing correlationid "test"', async () => {
    const rows = await read('credit-default-mdc-testing-4-main2-model_inputs');
    assert.deepEqual(
      rows.map((r) => [r.id, r.correlationid, r.LIMIT_BAL, r.AGE, r.PAY_AMT5, r.PAY_6]),
      [
        ['test_0', 'test', 502970, 54, -1155, 0],
        ['test_1', 'test', 293458, 35, 7051, -1],
      ],
    );
    assert.equal(Object.keys(rows[0]!).length, 6 + 23);
  });
});
