// The fault tests of durable delivery, run against each cloud store's emulator, each counting events exactly.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  BasicCorrelationContext,
  Collector,
  DataCollectorRuntime,
  datastoreStats,
  resolveDeployment,
} from 'model-data-collector/internal';
import type { Emulator } from './emulators.js';
import { startLoadChild } from './load-child.js';
import { seqs, tally } from './stored-lines.js';
import { sleep } from './temp.js';
import { makeWorkspace } from './workspace.js';

/** One cloud store under test. */
export interface StoreUnderTest {
  readonly name: string;
  /** Environment of every collector (credentials). */
  readonly env: Record<string, string>;
  start(): Promise<Emulator>;
  /** Creates the container/bucket. */
  create(container: string): Promise<void>;
  /** The datastore entry of `container`. */
  datastore(container: string): Record<string, unknown>;
  /** The entry of a datastore whose credentials are wrong, and the environment that goes with it. */
  badCredentials(container: string): { datastore: Record<string, unknown>; env: Record<string, string> };
  /** Every stored line, by file. */
  lines(container: string): Promise<Map<string, string[]>>;
}

const FAST = {
  MDC_UPLOAD_INTERVAL_MS: '200',
  MDC_UPLOAD_RETRY_DELAY_MS: '100',
  MDC_UPLOAD_MAX_RETRY_DELAY_MS: '1000',
  MDC_SPOOL_CLOSE_TIMEOUT_MS: '8000',
};

export function faultSuite(store: StoreUnderTest): void {
  // In-process runtimes read the delivery settings and credentials from the environment.
  Object.assign(process.env, FAST, store.env);
  let az: Emulator;
  before(async () => {
    az = await store.start();
  });
  after(() => az.stop());

  const workspace = async (container: string, extra: Record<string, unknown> = {}) => {
    await store.create(container);
    return makeWorkspace({ workspaceblobstore: { ...store.datastore(container), ...extra } });
  };

  it('loses and duplicates nothing when storage stops for 10 s mid-load', async () => {
    const ws = await workspace('outage');
    const load = startLoadChild({
      ...FAST,
      ...store.env,
      MDC_WORKSPACE: ws,
      LOAD_RATE: '400',
      LOAD_COUNT: '6000',
    });
    await load.waitAccepted(1500);
    await az.stop();
    await sleep(10_000);
    assert.ok(load.status().accepted > 4000, 'load went on during the outage');
    await az.start();
    const { code } = await load.exited;
    assert.equal(code, 0);
    const got = seqs(await store.lines('outage'));
    const { lost, duplicated } = tally(got, 6000);
    assert.deepEqual(
      { lost: lost.length, duplicated: duplicated.length, total: got.length },
      {
        lost: 0,
        duplicated: 0,
        total: 6000,
      },
    );
    assert.ok(
      load.status().errors.some((e) => e.startsWith('MDC_UPLOAD_FAILED')),
      `the outage was reported: ${load.status().errors.join('; ')}`,
    );
  });

  it('stores everything accepted before a SIGTERM exit', async () => {
    const ws = await workspace('sigterm');
    const load = startLoadChild({ ...FAST, ...store.env, MDC_WORKSPACE: ws, LOAD_RATE: '2000' });
    await load.waitAccepted(3000);
    load.child.kill('SIGTERM');
    await load.exited;
    const accepted = load.status().accepted;
    const got = seqs(await store.lines('sigterm'));
    const { lost, duplicated } = tally(got, accepted);
    assert.deepEqual(
      { lost: lost.length, duplicated: duplicated.length, total: got.length },
      {
        lost: 0,
        duplicated: 0,
        total: accepted,
      },
    );
  });

  it('uploads the spool of a SIGKILLed process when the next one starts, without duplicates', async () => {
    const ws = await workspace('sigkill');
    // Slow uploads so the spool holds data at the kill.
    const load = startLoadChild({
      ...FAST,
      ...store.env,
      MDC_UPLOAD_INTERVAL_MS: '3000',
      MDC_WORKSPACE: ws,
      LOAD_RATE: '2000',
    });
    await load.waitAccepted(4000);
    const before = load.status();
    load.child.kill('SIGKILL');
    await load.exited;
    // A new process (another instance id) adopts the dead one's spool and delivers it.
    const next = startLoadChild({
      ...FAST,
      ...store.env,
      MDC_WORKSPACE: ws,
      LOAD_INSTANCE: 'next',
      LOAD_RATE: '100',
      LOAD_COUNT: '1',
    });
    assert.equal((await next.exited).code, 0);
    const files = await store.lines('sigkill');
    const killed = [...files].filter(([name]) => !name.endsWith('/next.jsonl')).flatMap(([, lines]) => lines);
    const got = seqs(new Map([['killed', killed]]));
    const { duplicated } = tally(got, got.length);
    assert.equal(duplicated.length, 0);
    // Every event the spool acknowledged is stored; at most the unflushed queue (100 ms of load) is lost.
    assert.ok(got.length >= before.written, `${got.length} stored, ${before.written} were spooled`);
    assert.deepEqual(got, [...Array(got.length).keys()], 'what is stored is the first events, each once');
  });

  it('reports missing containers and refused credentials clearly, and collection goes on', async () => {
    const bad = store.badCredentials('badkey');
    // Nothing can be delivered: do not wait long at shutdown.
    process.env.MDC_SPOOL_CLOSE_TIMEOUT_MS = '300';
    for (const [container, entry, reason] of [
      ['missing-container', store.datastore('missing-container'), 'not_found'],
      ['badkey', bad.datastore, 'auth'],
    ] as const) {
      if (container !== 'missing-container') await store.create(container);
      if (reason === 'auth') Object.assign(process.env, bad.env);
      else Object.assign(process.env, store.env);
      const ws = makeWorkspace({ [container]: entry });
      const errors: Error[] = [];
      const runtime = new DataCollectorRuntime(
        {
          workspace: ws,
          deployment: resolveDeployment({
            endpoint_name: 'ep',
            name: 'dep',
            data_collector: {
              collections: {
                model_inputs: {
                  enabled: 'True',
                  data: { path: `azureml://datastores/${container}/paths/x` },
                },
              },
            },
          }),
          handleProcessExit: false,
          flushIntervalMs: 50,
          onError: (e) => errors.push(e),
        },
        {},
      );
      const c = new Collector({ name: 'model_inputs', runtime });
      for (let i = 0; i < 20; i++) c.collect([{ seq: i }], new BasicCorrelationContext(`c${i}`));
      await runtime.flush();
      const deadline = Date.now() + 10_000;
      while (
        !errors.some((e) => (e as { code?: string }).code === 'MDC_UPLOAD_FAILED') &&
        Date.now() < deadline
      )
        await sleep(50);
      const err = errors.find((e) => (e as { code?: string }).code === 'MDC_UPLOAD_FAILED') as Error & {
        reason: string;
      };
      assert.ok(err, `an upload error was reported for ${container}`);
      assert.equal(err.reason, reason);
      assert.doesNotMatch(err.message, /AccountKey|d3Jvbmc|wrong-secret/);
      const stats = datastoreStats().find((s) => s.datastore === container)!;
      assert.equal(stats.state, 'retrying');
      assert.ok(stats.failures >= 1);
      assert.ok(stats.pendingBytes > 0);
      assert.equal(stats.lastError?.code, 'MDC_UPLOAD_FAILED');
      // Serving goes on: collect() still accepts.
      c.collect([{ seq: 99 }]);
      await runtime.shutdown();
    }
    Object.assign(process.env, FAST, store.env);
  });

  it('drops and counts what does not fit a full spool, and delivers the rest exactly once', async () => {
    const ws = await workspace('full', { max_spool_bytes: 64 * 1024 });
    await az.stop();
    const load = startLoadChild({
      ...FAST,
      ...store.env,
      MDC_WORKSPACE: ws,
      LOAD_RATE: '1000',
      LOAD_COUNT: '1500',
    });
    await load.waitAccepted(1500);
    await sleep(300);
    await az.start();
    assert.equal((await load.exited).code, 0);
    const got = seqs(await store.lines('full'));
    const { duplicated } = tally(got, 1500);
    assert.equal(duplicated.length, 0);
    const dropErrors = load.status().errors.filter((e) => e.startsWith('MDC_SPOOL_FULL'));
    assert.equal(
      dropErrors.length,
      1,
      `the drops are reported once, not per event: ${JSON.stringify(load.status().errors)}`,
    );
    const dropped = Number(/(\d+) dropped so far/.exec(dropErrors[0]!)?.[1]);
    assert.ok(dropped > 0, `dropped ${dropped}`);
    assert.ok(got.length < 1500 && got.length > 0, `stored ${got.length} of 1500`);
    assert.equal(load.status().accepted, 1500, 'collect() never failed');
  });

  it('keeps every line of several instances writing the same collection at once', async () => {
    const ws = await workspace('many');
    const kids = ['a', 'b', 'c'].map((id) =>
      startLoadChild({
        ...FAST,
        ...store.env,
        MDC_WORKSPACE: ws,
        LOAD_INSTANCE: `inst-${id}`,
        LOAD_RATE: '1000',
        LOAD_COUNT: '2000',
      }),
    );
    for (const k of kids) assert.equal((await k.exited).code, 0);
    const files = await store.lines('many');
    assert.deepEqual([...files.keys()].map((k) => k.split('/').at(-1)).sort(), [
      'inst-a.jsonl',
      'inst-b.jsonl',
      'inst-c.jsonl',
    ]);
    for (const [name, lines] of files) {
      const { lost, duplicated } = tally(seqs(new Map([[name, lines]])), 2000);
      assert.deepEqual(
        { name, lost: lost.length, duplicated: duplicated.length },
        { name, lost: 0, duplicated: 0 },
      );
    }
  });
}
