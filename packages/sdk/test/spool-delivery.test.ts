// The spool against an in-memory store: lost acknowledgements, restart pickup with a torn line, S3-style
// assembly at period end and under spool pressure, and that a local-only deployment loads no cloud SDK.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  Collector,
  MdcError,
  SpoolingSink,
  UploadConflictError,
  type Uploader,
  UploadFailedError,
} from '../src/internal.js';
import { periodEndOf } from '../src/spool/spooling-sink.js';
import { makeRuntime, tempDir } from './helpers.js';

/** A store in memory that can lose acknowledgements and refuse requests. */
class MemoryStore implements Uploader {
  readonly description = 'memory-store';
  readonly files = new Map<string, Buffer>();
  readonly objects = new Map<string, Buffer>();
  readonly completed: string[] = [];
  maxWriteBytes = 1 << 20;
  down = false;
  /** The next n writes are stored, then fail as if the answer was lost. */
  loseAcks = 0;
  writes = 0;
  constructor(readonly assemblesAtClose = false) {}
  async check(): Promise<void> {
    if (this.down) throw new UploadFailedError(this.description, 'unavailable', 'down');
  }
  async length(path: string): Promise<number> {
    return this.files.get(path)?.length ?? 0;
  }
  async write(path: string, offset: number, body: Uint8Array): Promise<void> {
    if (this.down) throw new UploadFailedError(this.description, 'unavailable', 'down');
    this.writes++;
    const cur = this.files.get(path) ?? Buffer.alloc(0);
    if (cur.length !== offset) {
      if (cur.length === offset + body.byteLength) return;
      throw new UploadConflictError(this.description, path, offset, cur.length);
    }
    this.files.set(path, Buffer.concat([cur, body]));
    if (this.loseAcks > 0) {
      this.loseAcks--;
      throw new UploadFailedError(this.description, 'unavailable', 'connection reset after the write');
    }
  }
  async put(path: string, body: Uint8Array): Promise<void> {
    this.objects.set(path, Buffer.from(body));
  }
  async complete(path: string, size: number, read: (s: number, e: number) => Promise<Uint8Array>) {
    assert.deepEqual(Buffer.from(await read(0, size)), this.files.get(path)!.subarray(0, size));
    this.completed.push(path);
  }
  async close(): Promise<void> {}
}

const lines = (from: number, n: number) =>
  [Buffer.from(Array.from({ length: n }, (_, i) => `{"seq":${from + i}}\n`).join(''))] as const;

/** Hands the spool one file's lines as the queue does: a batch with its event count and period end. */
function write(s: SpoolingSink, path: string, chunks: readonly Buffer[]) {
  const bytes = chunks.reduce((n, c) => n + c.byteLength, 0);
  const events = chunks.reduce((n, c) => n + c.toString().split('\n').length - 1, 0);
  const periodEnd = periodEndOf(path, 'Hour')!;
  return s.write({ path, chunks, bytes, events, collection: 'c', periodEnd, payloads: [] });
}

function sink(
  store: MemoryStore,
  dir: string,
  options: Partial<ConstructorParameters<typeof SpoolingSink>[0]> = {},
) {
  return new SpoolingSink({
    datastore: 'mem',
    type: 'memory',
    dir,
    instanceId: 'i1',
    rollingRate: 'Hour',
    uploader: async () => store,
    uploadIntervalMs: 10,
    retryDelayMs: 5,
    maxRetryDelayMs: 20,
    fsync: false,
    onError: () => {},
    ...options,
  });
}

/** A spool unit a dead process left: `body` in the spool file of `path`, which began at `start` in the store. */
async function deadUnit(dir: string, path: string, start: number, body: string): Promise<void> {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  }).stdout;
  const unit = join(dir, 'dead-instance');
  mkdirSync(join(unit, 'files', path, '..'), { recursive: true });
  writeFileSync(
    join(unit, 'owner.json'),
    JSON.stringify({
      pid: Number(dead),
      host: (await import('node:os')).hostname(),
      instanceId: 'dead-instance',
      rollingRate: 'Hour',
    }),
  );
  writeFileSync(join(unit, 'files', `${path}@${start}`), body);
}

const PATH = 'm/ep/dep/c/2024/03/05/18/i1.jsonl';

describe('spool delivery', () => {
  it('stores each line once when acknowledgements are lost', async () => {
    const store = new MemoryStore();
    const s = sink(store, tempDir());
    for (let b = 0; b < 20; b++) {
      store.loseAcks = b % 3 === 0 ? 1 : 0;
      await write(s, PATH, lines(b * 10, 10));
      await s.drain({ timeoutMs: 5000 }).catch(() => s.drain({ timeoutMs: 5000 }));
    }
    await s.drain({ timeoutMs: 5000 });
    const got = store.files.get(PATH)!.toString().trim().split('\n');
    assert.equal(got.length, 200);
    assert.equal(new Set(got).size, 200);
    assert.ok(s.stats().failures >= 1);
    await s.close();
  });

  it('picks up a dead process spool, cuts a torn last line, and resumes at the stored length', async () => {
    const dir = tempDir();
    const path = 'm/ep/dep/c/2024/03/05/18/dead-instance.jsonl';
    // 100 bytes were stored before this spool file began; its first line was delivered too.
    await deadUnit(dir, path, 100, '{"seq":1}\n{"seq":2}\n{"seq":3');
    const store = new MemoryStore();
    store.files.set(path, Buffer.concat([Buffer.alloc(100, 0x20), Buffer.from('{"seq":1}\n')]));
    const s = sink(store, dir);
    await s.drain({ timeoutMs: 5000 });
    assert.equal(store.files.get(path)!.subarray(100).toString(), '{"seq":1}\n{"seq":2}\n');
    await s.close();
    assert.deepEqual(readdirSync(dir), [], 'the adopted spool and the own unit are gone');
  });

  it('a stream store gets a dead process spool resent whole, with no false MDC_UPLOAD_CONFLICT', async () => {
    const dir = tempDir();
    const path = 'm/ep/dep/c/2024/03/05/18/dead-instance.jsonl';
    await deadUnit(dir, path, 250, '{"seq":1}\n{"seq":2}\n');
    /** A stream: messages in, no file length; like JetStream it removes a message id it saw already. */
    const stream = new (class extends MemoryStore {
      readonly stream = true;
      readonly messages: string[] = [];
      override async length(): Promise<number> {
        return 0;
      }
      override async write(_path: string, _offset: number, body: Uint8Array): Promise<void> {
        for (const line of Buffer.from(body).toString().split('\n').filter(Boolean))
          if (!this.messages.includes(line)) this.messages.push(line);
      }
    })();
    stream.messages.push('{"seq":1}'); // landed before the kill
    const errors: MdcError[] = [];
    const s = sink(stream, dir, { onError: (e) => errors.push(e as MdcError) });
    await s.drain({ timeoutMs: 5000 });
    await s.close();
    assert.deepEqual(stream.messages, ['{"seq":1}', '{"seq":2}']);
    assert.deepEqual(
      errors.map((e) => e.code),
      [],
    );
    // A file store still checks the length it resumes at.
    const fileDir = tempDir();
    await deadUnit(fileDir, path, 250, '{"seq":1}\n');
    const files = new MemoryStore();
    const fileErrors: MdcError[] = [];
    const f = sink(files, fileDir, { onError: (e) => fileErrors.push(e as MdcError) });
    await f.drain({ timeoutMs: 5000 });
    await f.close();
    assert.deepEqual(
      fileErrors.map((e) => e.code),
      ['MDC_UPLOAD_CONFLICT'],
    );
  });

  it('assembles an S3-style file once its period is over, and gives assembly up under spool pressure', async () => {
    const store = new MemoryStore(true);
    let now = Date.UTC(2024, 2, 5, 18, 30);
    const s = sink(store, tempDir(), { clock: () => now, maxSpoolBytes: 4096, assembleDelayMs: 1000 });
    await write(s, PATH, lines(0, 50));
    await s.drain({ timeoutMs: 5000 });
    assert.equal(store.completed.length, 0, 'not before the period ends');
    assert.ok(s.stats().spoolBytes > 0, 'delivered bytes are kept for assembly');
    now = Date.UTC(2024, 2, 5, 19, 0, 2);
    await s.drain({ timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 50));
    // The next drain runs a pass that assembles and removes the file.
    await write(s, 'm/ep/dep/c/2024/03/05/19/i1.jsonl', lines(0, 1));
    await s.drain({ timeoutMs: 5000 });
    assert.deepEqual(store.completed, [PATH]);

    const other = 'm/ep/dep/c/2024/03/05/19/i1.jsonl';
    await write(s, other, lines(1, 60));
    await s.drain({ timeoutMs: 5000 });
    const before = s.stats().spoolBytes;
    await write(s, other, lines(61, 300)); // does not fit unless the kept bytes go
    assert.ok(before > 600 && s.stats().spoolBytes < 4096, 'kept bytes were released');
    assert.equal(s.stats().droppedEvents, 0);
    await s.drain({ timeoutMs: 5000 });
    assert.equal(store.files.get(other)!.toString().trim().split('\n').length, 361);
    await s.close();
    assert.equal(store.completed.length, 1, 'a released file stays as parts');
  });

  it('drops an event with its raw payload when the payload does not fit: no line names a missing file', async () => {
    const store = new MemoryStore();
    const errors: Error[] = [];
    const s = sink(store, tempDir(), { maxSpoolBytes: 64 * 1024, onError: (e) => errors.push(e) });
    // Drops reach the collection through the runtime (upload errors come from the sink's own onError).
    const rt = makeRuntime({ sink: s, onError: (e) => errors.push(e) });
    const c = new Collector({ name: 'model_inputs', runtime: rt });
    const small = randomBytes(1000);
    const ctx = c.collect(small);
    c.collect(randomBytes(100 * 1024), ctx); // binary is always a raw file: this one exceeds the spool
    c.collect([{ a: 1 }], ctx);
    await rt.flush();
    await s.drain({ timeoutMs: 5000 });

    const uploaded = [...store.files.values()].map((b) => b.toString()).join('');
    const events = uploaded
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(events.length, 2, 'the small payload and the table are kept');
    const offloaded = events.filter((e) => e.datainblob === 'true');
    assert.equal(offloaded.length, 1);
    assert.equal(offloaded[0]!.contentrange, 'bytes 0-999/1000');
    const [object] = [...store.objects.entries()];
    assert.equal(store.objects.size, 1);
    assert.ok(String(offloaded[0]!.data).endsWith(object![0]), 'the kept line names the kept file');
    assert.ok(object![1].equals(small));
    assert.deepEqual(events[1]!.data, [{ a: 1 }]);
    assert.equal(s.stats().droppedEvents, 1, 'the dropped payload is one dropped event');
    assert.ok(errors.some((e) => e instanceof MdcError && e.code === 'MDC_SPOOL_FULL'));
    await rt.shutdown();
  });

  it('reads the period end from the rolled folders', () => {
    assert.equal(periodEndOf('a/2024/03/05/18/x.jsonl', 'Hour'), Date.UTC(2024, 2, 5, 19));
    assert.equal(periodEndOf('a/2024/12/31/x.jsonl', 'Day'), Date.UTC(2025, 0, 1));
    assert.equal(periodEndOf('a/2024/03/05/18/07/x.jsonl', 'Minute'), Date.UTC(2024, 2, 5, 18, 8));
    assert.equal(periodEndOf('a/b/x.jsonl', 'Hour'), undefined);
  });

  it('never loads a cloud SDK for a deployment that writes locally', () => {
    const ws = tempDir();
    const sdk = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const hook = `data:text/javascript,${encodeURIComponent(
      'export async function resolve(s, c, next) { if (/azure|aws-sdk|@model-data-collector\\//.test(s)) process.stderr.write("LOADED " + s + "\\n"); return next(s, c); }',
    )}`;
    const script = `
      import { register } from 'node:module';
      register(${JSON.stringify(hook)});
      const { Collector, DataCollectorRuntime } = await import(${JSON.stringify(sdk)});
      const runtime = new DataCollectorRuntime({ workspace: ${JSON.stringify(ws)}, handleProcessExit: false });
      new Collector({ name: 'model_inputs', runtime }).collect([{ a: 1 }]);
      await runtime.shutdown();
      process.stdout.write('ok');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.stdout, 'ok', r.stderr);
    assert.doesNotMatch(r.stderr, /LOADED/);
  });
});
