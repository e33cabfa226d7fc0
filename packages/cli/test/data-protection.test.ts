// Erasure and retention as a user runs them: `mdc forget` removes a correlation id from every collection on a
// local, an Azure Blob (Azurite) and an S3 (s3rver) datastore — gone from mdc read, mdc query, the studio API
// and the stored bytes, with an audit entry — and `mdc retention apply` deletes whole expired time partitions.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createStudio } from '@model-data-collector/studio';
import {
  type Azurite,
  CLOUD_TEST_ENV,
  type S3rver,
  startAzurite,
  startS3rver,
} from '@model-data-collector/test-support/emulators';
import { makeWorkspace } from '@model-data-collector/test-support/workspace';
import {
  BasicCorrelationContext,
  Collector,
  type CorrelationContext,
  DataCollectorRuntime,
  resolveDeployment,
} from 'model-data-collector/internal';
import { stringify } from 'yaml';
import { BIN, mdc, ROOT, tempDir } from './helpers.js';

const ENV = CLOUD_TEST_ENV;
Object.assign(process.env, ENV);

const DAY = 86_400_000;
const FORGET = 'forget-me-7f3a';

/** Collects with the SDK at a fixed clock into the workspace's default datastore, then shuts down (uploads). */
async function collectAt(
  ws: string,
  ms: number,
  instanceId: string,
  fn: (
    collect: (name: string, rows: unknown, ctx: CorrelationContext | string) => CorrelationContext,
  ) => void,
): Promise<void> {
  const runtime = new DataCollectorRuntime({
    workspace: ws,
    deployment: resolveDeployment({
      endpoint_name: 'credit',
      name: 'blue',
      data_collector: {
        collections: { model_inputs: { enabled: 'True' }, model_outputs: { enabled: 'True' } },
      },
    }),
    clock: () => ms,
    handleProcessExit: false,
    instanceId,
    // The forgotten inputs carry a long note: stored in their own file (datainblob), which must go too.
    largePayloadBytes: 300,
  });
  const collectors = new Map<string, Collector>();
  fn((name, rows, ctx) => {
    let c = collectors.get(name);
    if (!c) {
      c = new Collector({ name, runtime });
      collectors.set(name, c);
    }
    return c.collect(rows, typeof ctx === 'string' ? new BasicCorrelationContext(ctx) : ctx);
  });
  await runtime.shutdown();
}

async function collectSample(ws: string, now: number): Promise<void> {
  await collectAt(ws, now - 3 * DAY, 'old', (collect) => {
    collect('model_outputs', [{ p: 0.5 }], collect('model_inputs', [{ AGE: 70, SEX: 1 }], 'old-1'));
  });
  await collectAt(ws, now - 60_000, 'recent', (collect) => {
    const a = collect('model_inputs', [{ AGE: 54, SEX: 2, NOTE: 'n'.repeat(400) }], FORGET);
    collect('model_outputs', [{ p: 0.9 }], a);
    collect('model_inputs', [{ AGE: 41, SEX: 1 }], 'where-me-2');
    collect('model_inputs', [{ AGE: 35, SEX: 1 }], 'keep-3');
  });
}

function run(ws: string, args: string[]) {
  const r = mdc(['--workspace', ws, ...args], { env: ENV });
  assert.equal(r.code, 0, `mdc ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The correlation ids `mdc read` returns for a collection, sorted. */
function readIds(ws: string, collection: string): string[] {
  const out = run(ws, ['read', collection, '--format', 'jsonl']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { correlationid: string }).correlationid)
    .sort();
}

function lastAudit(ws: string): { action: string; events: number; files: string[]; request: unknown } {
  const lines = readFileSync(join(ws, 'audit.jsonl'), 'utf8').trim().split('\n');
  return JSON.parse(lines.at(-1)!);
}

/** Every file under a folder, by path (the workspace's spool included). */
function localFiles(dir: string, out = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) localFiles(p, out);
    else out.set(p, readFileSync(p));
  }
  return out;
}

async function azureBytes(az: Azurite, container: string): Promise<Map<string, Buffer>> {
  const c = az.service.getContainerClient(container);
  const out = new Map<string, Buffer>();
  for await (const b of c.listBlobsFlat()) out.set(b.name, await c.getBlobClient(b.name).downloadToBuffer());
  return out;
}

async function s3Bytes(s3: S3rver, bucket: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const r = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }));
  for (const o of r.Contents ?? []) {
    const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
    out.set(o.Key!, Buffer.from(await got.Body!.transformToByteArray()));
  }
  return out;
}

/** Names of the stored files (and workspace files other than the audit log) that contain `needle`. */
function holding(files: Map<string, Buffer>, needle: string): string[] {
  return [...files]
    .filter(([name, b]) => !name.endsWith('audit.jsonl') && b.includes(needle))
    .map(([name]) => name);
}

/**
 * The erasure and retention walk every datastore kind goes through. `stored` returns the bytes in the store
 * (and the workspace); `retention` is how this store's retention of 2 days is set.
 */
function protectionSuite(
  kind: string,
  setup: () => Promise<{ ws: string; stored: () => Promise<Map<string, Buffer>> }>,
  retention: 'flag' | 'datastore' | 'deployment',
): void {
  describe(`mdc forget and mdc retention apply on a ${kind} datastore`, () => {
    let ws: string;
    let stored: () => Promise<Map<string, Buffer>>;
    const now = Date.now();
    before(async () => {
      ({ ws, stored } = await setup());
      await collectSample(ws, now);
    });

    it('--dry-run counts and changes nothing', async () => {
      const before_ = await stored();
      const out = run(ws, ['forget', '--correlation-id', FORGET, '--dry-run']);
      assert.match(out, /would erase 2 event\(s\) in 2 file\(s\)\n$/);
      assert.deepEqual(await stored(), before_);
    });

    it('--correlation-id erases the id from every collection, its payload file, and the stored bytes', async () => {
      assert.ok(holding(await stored(), FORGET).length >= 2, 'the id is stored before');
      assert.deepEqual(readIds(ws, 'model_inputs'), [FORGET, 'keep-3', 'old-1', 'where-me-2']);
      const out = run(ws, ['forget', '--correlation-id', FORGET]);
      assert.match(out, /: payload deleted\n/);
      assert.match(out, /erased 2 event\(s\) in 2 file\(s\); audit: /);
      assert.deepEqual(readIds(ws, 'model_inputs'), ['keep-3', 'old-1', 'where-me-2']);
      assert.deepEqual(readIds(ws, 'model_outputs'), ['old-1']);
      const q = run(ws, [
        'query',
        `SELECT count(*) AS n FROM model_inputs WHERE correlationid = '${FORGET}'`,
        '--format',
        'csv',
      ]);
      assert.equal(q, 'n\n0\n');
      assert.deepEqual(holding(await stored(), FORGET), []);
      assert.deepEqual(holding(await stored(), 'n'.repeat(400)), [], 'the offloaded payload is gone');
      const audit = lastAudit(ws);
      assert.equal(audit.action, 'forget');
      assert.equal(audit.events, 2);
      assert.deepEqual(audit.request, { correlationIds: [FORGET] });
      assert.equal(audit.files.length, 3, 'two event files rewritten, one payload deleted');
    });

    it('the studio API no longer knows the id', async () => {
      const studio = await createStudio({ workspace: ws });
      try {
        const get = async (url: string) => {
          const r = await studio.inject({ url, headers: { host: '127.0.0.1' } });
          assert.equal(r.statusCode, 200, r.body);
          return r.body;
        };
        const requests = JSON.parse(await get('/api/requests?limit=200')) as {
          requests: { correlationId: string }[];
        };
        assert.deepEqual(requests.requests.map((r) => r.correlationId).sort(), [
          'keep-3',
          'old-1',
          'where-me-2',
        ]);
        assert.doesNotMatch(
          await get('/api/records/credit-blue-model_inputs?limit=1000'),
          new RegExp(FORGET),
        );
        assert.doesNotMatch(await get(`/api/requests/${FORGET}`), /AGE/);
      } finally {
        await studio.close();
      }
    });

    it('--where erases the events with a matching row', () => {
      const out = run(ws, ['forget', '--where', 'AGE = 41']);
      assert.match(out, /erased 1 event\(s\) in 1 file\(s\)/);
      assert.deepEqual(readIds(ws, 'model_inputs'), ['keep-3', 'old-1']);
      assert.deepEqual(lastAudit(ws).request, { where: 'AGE = 41' });
    });

    it('a collector appends to a rewritten file afterwards (it stays an append blob, its length is picked up)', async () => {
      await collectAt(ws, now - 30_000, 'recent', (collect) => {
        collect('model_inputs', [{ AGE: 22, SEX: 2 }], 'after-4');
      });
      assert.deepEqual(readIds(ws, 'model_inputs'), ['after-4', 'keep-3', 'old-1']);
    });

    it('retention apply deletes the partitions older than the retention, by folder date', async () => {
      const args = ['retention', 'apply'];
      if (retention === 'flag') args.push('--days', '2');
      if (retention === 'deployment') {
        const file = join(tempDir(), 'deployment.yml');
        writeFileSync(
          file,
          stringify({
            endpoint_name: 'credit',
            name: 'blue',
            data_collector: { collections: { model_inputs: { enabled: true } }, retention_days: 2 },
          }),
        );
        args.push('-f', file);
      }
      const dry = run(ws, [...args, '--dry-run']);
      assert.match(dry, /would delete 2 partition\(s\), 2 file\(s\)/);
      assert.deepEqual(readIds(ws, 'model_outputs'), ['old-1']);
      const out = run(ws, args);
      assert.match(
        out,
        /deleted 2 partition\(s\), 2 file\(s\), .* in \d+ collection\(s\) with a retention\n$/,
      );
      assert.deepEqual(readIds(ws, 'model_inputs'), ['after-4', 'keep-3']);
      assert.deepEqual(holding(await stored(), '"old-1"'), []);
      const show = JSON.parse(run(ws, ['data', 'show', 'credit-blue-model_inputs', '--json'])) as {
        firstTime: string;
      };
      assert.ok(
        Date.parse(show.firstTime) >= now - 2 * DAY,
        `the asset's time range follows: ${show.firstTime}`,
      );
      assert.equal(lastAudit(ws).action, 'retention');
      // Nothing older is left: a second run deletes nothing.
      assert.match(run(ws, args), /deleted 0 partition\(s\)/);
    });
  });
}

protectionSuite(
  'local',
  async () => {
    const ws = tempDir();
    return { ws, stored: async () => localFiles(ws) };
  },
  'flag',
);

let az: Azurite | undefined;
let s3: S3rver | undefined;
after(async () => {
  await az?.stop();
  await s3?.stop();
});

protectionSuite(
  'Azure Blob',
  async () => {
    az = await startAzurite();
    await az.createContainer('data');
    const ws = makeWorkspace({
      workspaceblobstore: {
        type: 'azure_blob',
        container: 'data',
        connection_string: az.connectionString,
        retention_days: 2,
      },
    });
    return { ws, stored: async () => new Map([...(await azureBytes(az!, 'data')), ...localFiles(ws)]) };
  },
  'datastore',
);

protectionSuite(
  'S3',
  async () => {
    s3 = await startS3rver();
    await s3.createBucket('lake');
    const ws = makeWorkspace({
      workspaceblobstore: {
        type: 's3',
        bucket: 'lake',
        prefix: 'pre',
        endpoint: s3.endpoint,
        force_path_style: true,
      },
    });
    return { ws, stored: async () => new Map([...(await s3Bytes(s3!, 'lake')), ...localFiles(ws)]) };
  },
  'deployment',
);

describe('retention inside mdc proxy', () => {
  it('mdc datastore create --retention-days saves the retention on the datastore', () => {
    const ws = tempDir();
    run(ws, [
      'datastore',
      'create',
      'archive',
      '--type',
      'local',
      '--path',
      join(ws, 'archive'),
      '--retention-days',
      '7',
    ]);
    const shown = JSON.parse(run(ws, ['datastore', 'show', 'archive', '--json'])) as {
      retention_days?: number;
    };
    assert.equal(shown.retention_days, 7);
    const bad = mdc([
      '--workspace',
      ws,
      'datastore',
      'create',
      'x',
      '--type',
      'local',
      '--path',
      ws,
      '--retention-days',
      '0',
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error MDC_USAGE: --retention-days must be an integer from 1/);
  });

  it('deletes expired partitions by itself soon after start, then on its interval', async () => {
    const ws = makeWorkspace({
      workspaceblobstore: { type: 'local', path: 'datastores/workspaceblobstore', retention_days: 2 },
    });
    const now = Date.now();
    await collectSample(ws, now);
    const root = join(ws, 'datastores/workspaceblobstore/modelDataCollector/credit/blue/model_inputs');
    const old = new Date(now - 3 * DAY);
    const oldDay = join(
      root,
      String(old.getUTCFullYear()),
      String(old.getUTCMonth() + 1).padStart(2, '0'),
      String(old.getUTCDate()).padStart(2, '0'),
    );
    assert.ok(existsSync(oldDay), oldDay);
    const child = spawn(
      process.execPath,
      [BIN, 'proxy', '--target', 'http://127.0.0.1:9', '--endpoint', 'credit', '--deployment', 'blue'],
      {
        cwd: ROOT,
        env: { ...process.env, MDC_WORKSPACE: ws, MDC_RETENTION_INTERVAL_MS: '300' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    try {
      const deadline = Date.now() + 20_000;
      while (!/mdc retention: deleted 2 partition\(s\)/.test(stderr)) {
        assert.ok(Date.now() < deadline, `no retention run:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(existsSync(oldDay), false);
      assert.deepEqual(readIds(ws, 'model_inputs'), [FORGET, 'keep-3', 'where-me-2']);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
