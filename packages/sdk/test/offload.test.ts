// Binary and large payloads: a raw file next to the .jsonl, and an event that points at it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Collector, type FileBatch, LocalFileSink, type Sink } from '../src/internal.js';
import { blobstore, listFiles, makeRuntime, readEvents, tempDir, writeText } from './helpers.js';

const FOLDER = 'modelDataCollector/ep/blue/model_inputs/2024/03/05/18';
const URI_PREFIX = `azureml://datastores/workspaceblobstore/paths/${FOLDER}/`;

/** Maps an event's azureml:// data URI back to the file in the local datastore. */
function fileOf(ws: string, uri: string): string {
  assert.ok(uri.startsWith('azureml://datastores/workspaceblobstore/paths/'), uri);
  return join(blobstore(ws), uri.slice('azureml://datastores/workspaceblobstore/paths/'.length));
}

describe('offloaded payloads', () => {
  it('writes a Buffer and a Uint8Array view to raw files named by the event id', async () => {
    const rt = makeRuntime();
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    const buf = randomBytes(80_771);
    const backing = randomBytes(1000);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 100, 300);
    const ctx = c.collect(buf);
    c.collect(view, ctx);
    await rt.shutdown();

    const lines = readEvents(blobstore(rt.ws));
    assert.equal(lines.length, 2);
    const inputs = [buf, Buffer.from(view)];
    lines.forEach(({ file, event }, i) => {
      const input = inputs[i]!;
      assert.equal(file, `${FOLDER}/inst.jsonl`);
      assert.deepEqual(Object.keys(event), [
        'specversion',
        'id',
        'source',
        'type',
        'datacontenttype',
        'time',
        'data',
        'correlationid',
        'xrequestid',
        'modelversion',
        'collectdatatype',
        'agent',
        'contentrange',
        'datainblob',
      ]);
      assert.equal(event.datainblob, 'true');
      assert.equal(event.datacontenttype, 'application/octet-stream');
      assert.equal(event.data, `${URI_PREFIX}${event.id}`);
      assert.equal(event.contentrange, `bytes 0-${input.length - 1}/${input.length}`);
      assert.equal(event.correlationid, ctx.id);
      assert.ok(readFileSync(fileOf(rt.ws, event.data as string)).equals(input), 'raw bytes equal the input');
    });
    assert.deepEqual(
      listFiles(blobstore(rt.ws)),
      [`${FOLDER}/${lines[0]!.event.id}`, `${FOLDER}/${lines[1]!.event.id}`, `${FOLDER}/inst.jsonl`].sort(),
    );
  });

  it('describes an empty payload as bytes */0 and still writes its (empty) raw file', async () => {
    const rt = makeRuntime();
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    c.collect(Buffer.alloc(0));
    await rt.shutdown();
    const [line] = readEvents(blobstore(rt.ws));
    assert.equal(line!.event.contentrange, 'bytes */0');
    assert.equal(line!.event.datainblob, 'true');
    assert.equal(readFileSync(fileOf(rt.ws, line!.event.data as string)).length, 0);
  });

  it('offloads a table whose serialized data is over largePayloadBytes, and keeps one at the limit inline', async () => {
    const rt = makeRuntime({ largePayloadBytes: 2048 });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    const big = Array.from({ length: 100 }, (_, i) => ({ i, city: 'Zürich', note: 'données' }));
    const bigJson = JSON.stringify(big);
    assert.ok(Buffer.byteLength(bigJson) > 2048);
    // Exactly 2048 bytes of serialized data: not over the limit.
    const pad = 2048 - Buffer.byteLength(JSON.stringify([{ s: '' }]));
    const atLimit = [{ s: 'x'.repeat(pad) }];
    assert.equal(Buffer.byteLength(JSON.stringify(atLimit)), 2048);
    c.collect(big);
    c.collect(atLimit);
    await rt.shutdown();

    const [offloaded, inline] = readEvents(blobstore(rt.ws)).map((l) => l.event);
    assert.equal(offloaded!.datainblob, 'true');
    assert.equal(offloaded!.datacontenttype, 'application/json');
    assert.equal(offloaded!.collectdatatype, 'pandas.core.frame.DataFrame');
    assert.equal(offloaded!.data, `${URI_PREFIX}${offloaded!.id}`);
    const n = Buffer.byteLength(bigJson);
    assert.equal(offloaded!.contentrange, `bytes 0-${n - 1}/${n}`);
    const raw = readFileSync(fileOf(rt.ws, offloaded!.data as string));
    assert.equal(raw.toString('utf8'), bigJson);
    assert.equal(raw.length, n);

    assert.equal(inline!.datainblob, undefined);
    assert.deepEqual(inline!.data, atLimit);
    assert.equal(inline!.contentrange, 'bytes 0-2047/2048');
  });

  it('points at a file:// URL when data.path is a local folder', async () => {
    const dir = tempDir();
    const file = writeText(join(dir, 'deployment.yml'), [
      'endpoint_name: ep',
      'name: blue',
      'data_collector:',
      '  collections:',
      '    model_inputs:',
      '      enabled: true',
      '      data:',
      '        path: out/inputs',
    ]);
    const rt = makeRuntime({ workspace: join(dir, 'ws'), deployment: file });
    const payload = Buffer.from([0, 1, 2, 3, 254, 255]);
    new Collector({ name: 'model_inputs', runtime: rt }).collect(payload);
    await rt.shutdown();
    const [line] = readEvents(join(dir, 'out'));
    const url = line!.event.data as string;
    assert.ok(url.startsWith('file://'), url);
    const path = fileURLToPath(url);
    assert.equal(path, join(dir, 'out', 'inputs', '2024', '03', '05', '18', line!.event.id as string));
    assert.ok(readFileSync(path).equals(payload));
  });

  it('hands the datastore the raw file with the line that points at it, and the local sink writes it first', async () => {
    const batches: FileBatch[] = [];
    const root = tempDir();
    const inner = new LocalFileSink(root);
    const sink: Sink = {
      description: 'recording',
      async write(batch) {
        batches.push({ ...batch, chunks: [Buffer.concat(batch.chunks as Uint8Array[])] });
        // The line must not be readable before the payload file it names exists.
        return inner.write(batch);
      },
      close: () => inner.close(),
    };
    const rt = makeRuntime({ sink });
    new Collector({ name: 'model_inputs', runtime: rt }).collect(Buffer.from('raw'));
    await rt.shutdown();
    assert.equal(batches.length, 1);
    const b = batches[0]!;
    assert.equal(b.path.split('/').at(-1), 'inst.jsonl');
    assert.equal(b.events, 1);
    assert.equal(b.collection, 'model_inputs');
    assert.equal(b.payloads.length, 1);
    const p = b.payloads[0]!;
    assert.match(p.path.split('/').at(-1)!, /^[0-9a-f-]{36}$/);
    const line = Buffer.from(b.chunks[0]!).subarray(p.lineStart, p.lineEnd).toString();
    assert.ok(line.endsWith('\n') && line.includes(p.path), 'the range is the line that names the payload');
    assert.equal(readFileSync(join(root, p.path), 'utf8'), 'raw');
  });
});
