// NATS JetStream as a destination, against a real nats-server: every event one message (subject, Nats-Msg-Id,
// the file's bytes), a resent range removed by the duplicate window, the server stopped 10 s under load and
// restarted → every event exactly once, a three-node cluster with one node killed mid-load → nothing lost, data
// over the message limit stored in data.path with the pointer in the message, and a short window refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
// Built: the uploader starts its publishing thread from dist/publisher-thread.js.
import { NatsUploader } from '@model-data-collector/nats/internal';
import { startLoadChild } from '@model-data-collector/test-support/load-child';
import {
  type NatsServer,
  startNatsCluster,
  startNatsServer,
} from '@model-data-collector/test-support/nats-server';
import { ROOT, sleep } from '@model-data-collector/test-support/temp';
import { makeWorkspace } from '@model-data-collector/test-support/workspace';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import {
  BasicCorrelationContext,
  Collector,
  DataCollectorRuntime,
  type DatastoreConfig,
  datastoreStats,
  type MdcError,
  resolveDeployment,
} from 'model-data-collector/internal';
import { ensureStream } from '../src/index.js';
import { subjectOf } from '../src/internal.js';

const ENV = { MDC_UPLOAD_INTERVAL_MS: '100', MDC_SPOOL_FSYNC: '0', MDC_UPLOAD_MAX_RETRY_DELAY_MS: '1000' };
Object.assign(process.env, ENV);

interface Stored {
  subject: string;
  id: string | undefined;
  data: string;
}

/**
 * Every message of a stream, in order. JetStream API requests can time out while a cluster that just lost a node
 * elects new leaders (and on a loaded machine): the read is tried again until a deadline, never cut short.
 */
async function streamMessages(url: string, stream: string, deadlineMs = 60_000): Promise<Stored[]> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await readStream(url, stream);
    } catch (err) {
      if (!/timeout/i.test(String((err as Error).name) + String((err as Error).message)) || Date.now() > end)
        throw err;
      await sleep(1000);
    }
  }
}

async function readStream(url: string, stream: string): Promise<Stored[]> {
  const nc = await connect({ servers: url.split(',') });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const out: Stored[] = [];
    if (info.state.messages === 0) return out;
    const c = await jetstream(nc).consumers.get(stream);
    const msgs = await c.consume();
    for await (const m of msgs) {
      out.push({ subject: m.subject, id: m.headers?.get('Nats-Msg-Id'), data: m.string() });
      if (m.info.pending === 0) break;
    }
    await msgs.close();
    return out;
  } finally {
    await nc.close();
  }
}

async function messageCount(url: string, stream: string): Promise<number> {
  const nc = await connect({ servers: url.split(','), maxReconnectAttempts: 0 });
  try {
    return (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
  } finally {
    await nc.close();
  }
}

function fileLines(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) fileLines(p, out);
    else if (name.endsWith('.jsonl')) out.push(...readFileSync(p, 'utf8').split('\n').filter(Boolean));
  }
  return out;
}

async function waitFor(what: string, cond: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // the server may be restarting
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

function natsRuntime(ws: string, datastore: string, instanceId: string) {
  return new DataCollectorRuntime({
    workspace: ws,
    deployment: resolveDeployment({
      endpoint_name: 'credit',
      name: 'blue',
      data_collector: {
        destinations: [`azureml://datastores/${datastore}/paths/`],
        collections: { model_inputs: { enabled: 'True' }, model_outputs: { enabled: 'True' } },
      },
    }),
    handleProcessExit: false,
    instanceId,
    flushIntervalMs: 50,
  });
}

describe('nats datastore', () => {
  let server: NatsServer;
  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    await server?.stop();
  });

  it('publishes each event as one message: subject, Nats-Msg-Id = id, payload = the file line', async () => {
    const ds: DatastoreConfig = { type: 'nats', url: server.url, stream: 'EVENTS1' };
    assert.equal(await ensureStream(ds), true);
    assert.equal(await ensureStream(ds), false, 'an existing stream is kept');
    const ws = makeWorkspace({ events: ds });
    const runtime = natsRuntime(ws, 'events', 'i1');
    const inputs = new Collector({ name: 'model_inputs', runtime });
    const outputs = new Collector({ name: 'model_outputs', runtime });
    for (let i = 0; i < 400; i++) {
      const ctx = inputs.collect([{ seq: i, note: `é ${i}` }], new BasicCorrelationContext(`c-${i}`));
      outputs.collect([{ p: i }], ctx);
    }
    await runtime.flush();
    await waitFor('800 messages', async () => (await messageCount(server.url, 'EVENTS1')) >= 800);
    await runtime.shutdown();
    const msgs = await streamMessages(server.url, 'EVENTS1');
    assert.equal(msgs.length, 800);
    const files = fileLines(join(ws, 'datastores', 'workspaceblobstore'));
    assert.deepEqual(
      msgs.map((m) => m.data).sort(),
      files.sort(),
      'the stream holds the same bytes as the files',
    );
    for (const m of msgs) {
      const e = JSON.parse(m.data) as { id: string; type: string };
      assert.equal(m.id, e.id);
      assert.equal(m.subject, `mdc.credit.blue.${e.type.replace('azureml.inference.', '')}`);
    }
  });

  it('a range sent again (a lost acknowledgement, a restart) is removed by the duplicate window', async () => {
    const ds: DatastoreConfig = { type: 'nats', url: server.url, stream: 'DEDUPE', subject_prefix: 'dd' };
    await ensureStream(ds);
    const up = new NatsUploader(ds as Extract<DatastoreConfig, { type: 'nats' }>, {
      datastore: 'd',
      env: process.env,
    });
    await up.check();
    const lines = Array.from(
      { length: 50 },
      (_, i) => `{"specversion":"1.0","id":"id-${i}","type":"azureml.inference.x","data":[${i}]}\n`,
    ).join('');
    const path = 'modelDataCollector/ep/dep/model_inputs/2026/11/30/06/inst.jsonl';
    assert.equal(subjectOf(ds as Extract<DatastoreConfig, { type: 'nats' }>, path), 'dd.ep.dep.model_inputs');
    await up.write(path, 0, Buffer.from(lines));
    await up.write(path, 0, Buffer.from(lines));
    await up.close();
    assert.equal(up.published, 50);
    assert.equal(up.duplicates, 50);
    assert.equal(await messageCount(server.url, 'DEDUPE'), 50);
  });

  it('server stopped for 10 s under load and restarted: every event exactly once', async () => {
    const ds: DatastoreConfig = { type: 'nats', url: server.url, stream: 'OUTAGE', subject_prefix: 'out' };
    await ensureStream(ds);
    const ws = makeWorkspace({ events: ds });
    const runtime = natsRuntime(ws, 'events', 'i2');
    const errors: MdcError[] = [];
    const inputs = new Collector({
      name: 'model_inputs',
      runtime,
      onError: (e) => errors.push(e as MdcError),
    });
    let sent = 0;
    const load = async (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        for (let i = 0; i < 20; i++)
          inputs.collect([{ seq: sent }], new BasicCorrelationContext(`o-${sent++}`));
        await sleep(10);
      }
    };
    await load(1500);
    await server.stop();
    await load(10_000);
    await server.start();
    await load(1500);
    await runtime.flush();
    await waitFor(`${sent} messages`, async () => (await messageCount(server.url, 'OUTAGE')) >= sent, 90_000);
    const spool = datastoreStats().find((s) => s.description.includes('OUTAGE'));
    assert.ok(spool && spool.failures > 0, `the outage was seen by the spool: ${JSON.stringify(spool)}`);
    await runtime.shutdown();
    const msgs = await streamMessages(server.url, 'OUTAGE');
    const ids = new Set(msgs.map((m) => m.id));
    assert.equal(msgs.length, sent, 'total messages = events sent');
    assert.equal(ids.size, sent, 'distinct Nats-Msg-Id = events sent');
    assert.equal(runtime.stats().collections.model_inputs!.failed, 0);
    // The file copy and the stream copy hold the same event ids.
    const fileIds = new Set(
      fileLines(join(ws, 'datastores', 'workspaceblobstore')).map((l) => JSON.parse(l).id),
    );
    assert.deepEqual([...ids].sort(), [...fileIds].sort());
  });

  it('a SIGKILLed collector: the next process delivers its spool, the duplicate window removes what had landed', async () => {
    const ds: DatastoreConfig = { type: 'nats', url: server.url, stream: 'KILL', subject_prefix: 'kill' };
    await ensureStream(ds);
    const ws = makeWorkspace({ events: ds });
    const yaml = join(ws, 'deployment.yml');
    writeFileSync(
      yaml,
      "data_collector:\n  destinations: ['azureml://datastores/events/paths/']\n  collections:\n    model_inputs: {enabled: 'True'}\n",
    );
    const env = { MDC_WORKSPACE: ws, MDC_DEPLOYMENT_FILE: yaml, MDC_SPOOL_FSYNC: '0' };
    // Slow uploads, so the spool holds undelivered lines (and delivered ones not yet removed) at the kill.
    const load = startLoadChild({ ...env, MDC_UPLOAD_INTERVAL_MS: '1500', LOAD_RATE: '2000' });
    await load.waitAccepted(4000);
    const before = load.status();
    load.child.kill('SIGKILL');
    await load.exited;
    const next = startLoadChild({ ...env, LOAD_INSTANCE: 'next', LOAD_RATE: '100', LOAD_COUNT: '1' });
    assert.equal((await next.exited).code, 0);
    // A stream has no file length to check against: the pickup resends, and reports no conflict.
    assert.deepEqual(
      next.status().errors.filter((e) => e.startsWith('MDC_UPLOAD_CONFLICT')),
      [],
    );
    const msgs = await streamMessages(server.url, 'KILL');
    const ids = msgs.map((m) => m.id!);
    assert.equal(new Set(ids).size, ids.length, 'no event twice in the stream');
    const fileIds = new Set(
      fileLines(join(ws, 'datastores', 'workspaceblobstore')).map((l) => JSON.parse(l).id),
    );
    // What the killed process had written is in the files (its in-memory queue is lost, as documented).
    assert.ok(
      fileIds.size >= before.written && before.written > 0,
      `${fileIds.size} in the files, ${before.written} written`,
    );
    for (const id of ids) assert.ok(fileIds.has(id), `${id} is in the stream but not in the files`);
    // The kill may fall between the file write and the spool write of the last batch (100 ms of load at most).
    assert.ok(ids.length >= fileIds.size - 200, `${ids.length} in the stream, ${fileIds.size} in the files`);
  });

  it('a script that simply ends delivers its events to the stream before it exits', async () => {
    const ds: DatastoreConfig = { type: 'nats', url: server.url, stream: 'ENDS', subject_prefix: 'ends' };
    await ensureStream(ds);
    const ws = makeWorkspace({ events: ds });
    const yaml = join(ws, 'deployment.yml');
    writeFileSync(
      yaml,
      "data_collector:\n  destinations: ['azureml://datastores/events/paths/']\n  collections:\n    model_inputs: {enabled: 'True'}\n",
    );
    const script =
      "import { Collector } from 'model-data-collector';\n" +
      "const c = new Collector({ name: 'model_inputs' });\n" +
      'for (let i = 0; i < 25; i++) c.collect([{ i }]);\n';
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, MDC_WORKSPACE: ws, MDC_DEPLOYMENT_FILE: yaml },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(await messageCount(server.url, 'ENDS'), 25);
    assert.equal(fileLines(join(ws, 'datastores', 'workspaceblobstore')).length, 25);
  });

  it('data over the message limit is stored in data.path and the message carries the datainblob pointer', async () => {
    const ds: DatastoreConfig = {
      type: 'nats',
      url: server.url,
      stream: 'BIG',
      subject_prefix: 'big',
      max_message_bytes: 128 * 1024,
    };
    await ensureStream(ds);
    const ws = makeWorkspace({ events: ds });
    const runtime = natsRuntime(ws, 'events', 'i3');
    const inputs = new Collector({ name: 'model_inputs', runtime });
    inputs.collect([{ text: 'x'.repeat(200 * 1024) }], new BasicCorrelationContext('big-1'));
    inputs.collect([{ text: 'small' }], new BasicCorrelationContext('small-1'));
    await runtime.flush();
    await waitFor('2 messages', async () => (await messageCount(server.url, 'BIG')) >= 2);
    await runtime.shutdown();
    const msgs = await streamMessages(server.url, 'BIG');
    const big = msgs.map((m) => JSON.parse(m.data)).find((e) => e.correlationid === 'big-1');
    assert.equal(big.datainblob, 'true');
    const rel = String(big.data).replace('azureml://datastores/workspaceblobstore/paths/', '');
    const payload = readFileSync(join(ws, 'datastores', 'workspaceblobstore', rel), 'utf8');
    assert.equal(JSON.parse(payload)[0].text.length, 200 * 1024);
  });

  it('refuses a stream whose duplicate window is shorter than the spool retry gap, naming the setting', async () => {
    const nc: NatsConnection = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'SHORT', subjects: ['short.>'], duplicate_window: nanos(1000) });
    await nc.close();
    const ds = { type: 'nats', url: server.url, stream: 'SHORT', subject_prefix: 'short' } as const;
    await assert.rejects(
      () => ensureStream(ds),
      (e: MdcError) => e.code === 'MDC_UPLOAD_FAILED' && /duplicate_window/.test(e.message),
    );
  });
});

describe('nats cluster', () => {
  it('three nodes, a stream of 3 replicas, one node killed mid-load: nothing lost, nothing twice', async () => {
    const { nodes, urls } = await startNatsCluster();
    try {
      const ds: DatastoreConfig = { type: 'nats', url: urls, stream: 'REPL' };
      await waitFor('the cluster to take a replicated stream', async () => {
        await ensureStream(ds, { replicas: 3 });
        return true;
      });
      const ws = makeWorkspace({ events: ds });
      const runtime = natsRuntime(ws, 'events', 'c1');
      const inputs = new Collector({ name: 'model_inputs', runtime });
      let sent = 0;
      const load = async (ms: number) => {
        const end = Date.now() + ms;
        while (Date.now() < end) {
          for (let i = 0; i < 20; i++)
            inputs.collect([{ seq: sent }], new BasicCorrelationContext(`r-${sent++}`));
          await sleep(10);
        }
      };
      await load(1500);
      await nodes[0]!.stop('SIGKILL');
      await load(3000);
      await runtime.flush();
      const alive = nodes
        .slice(1)
        .map((n) => n.url)
        .join(',');
      await waitFor(`${sent} messages`, async () => (await messageCount(alive, 'REPL')) >= sent, 90_000);
      await runtime.shutdown();
      const msgs = await streamMessages(alive, 'REPL');
      assert.equal(msgs.length, sent);
      assert.equal(new Set(msgs.map((m) => m.id)).size, sent);
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
    }
  });
});
