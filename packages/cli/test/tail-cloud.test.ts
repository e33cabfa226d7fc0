// mdc tail of a collection whose files are in an Azure Blob container (Azurite) or an S3 bucket (s3rver): the last
// lines, then with -f the events a running collector's spool uploads after it started.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Azurite,
  CLOUD_TEST_ENV,
  type S3rver,
  startAzurite,
  startS3rver,
} from '@model-data-collector/test-support/emulators';
import { makeWorkspace } from '@model-data-collector/test-support/workspace';
import { BasicCorrelationContext, Collector } from 'model-data-collector/internal';
import { creditRuntime, mdc, startMdc, tempDir } from './helpers.js';

const ENV = CLOUD_TEST_ENV;
Object.assign(process.env, ENV);

describe('mdc tail of a cloud datastore', () => {
  let az: Azurite;
  let s3: S3rver;
  before(async () => {
    [az, s3] = await Promise.all([startAzurite(), startS3rver()]);
    await Promise.all([az.createContainer('tail'), s3.createBucket('tail')]);
  });
  after(async () => {
    await Promise.all([az?.stop(), s3?.stop()]);
  });

  for (const type of ['azure_blob', 's3'] as const) {
    it(`${type}: the last lines, then -f shows what the collector uploads`, async () => {
      // The default datastore in the cloud: files under modelDataCollector/<endpoint>/<deployment>/<collection>.
      const ws = makeWorkspace({
        workspaceblobstore:
          type === 'azure_blob'
            ? { type, container: 'tail', connection_string: az.connectionString }
            : { type, bucket: 'tail', prefix: 'p', endpoint: s3.endpoint, force_path_style: true },
      });
      const runtime = creditRuntime(
        ws,
        { collections: { model_inputs: { enabled: 'True' } } },
        { instanceId: `tail-${type}`, flushIntervalMs: 50 },
      );
      const inputs = new Collector({ name: 'model_inputs', runtime });
      const collect = (ids: string[]) => {
        for (const id of ids) inputs.collect([{ who: id }], new BasicCorrelationContext(id));
      };
      const run = (args: string[]) => mdc(['--workspace', ws, 'tail', 'model_inputs', ...args], { env: ENV });
      const tail = (args: string[]) => {
        const r = run(args);
        assert.equal(r.code, 0, r.stderr);
        return r.stdout;
      };
      const ids = (out: string) =>
        out
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l).correlationid);
      let follow: ReturnType<typeof startMdc> | undefined;
      try {
        collect(['a-1', 'a-2', 'a-3']);
        await runtime.flush();
        // Until the spool uploaded them (before, the collection has no files: MDC_PATH_NOT_FOUND).
        const end = Date.now() + 30_000;
        while (ids(run(['-n', '10', '--format', 'jsonl']).stdout).length < 3 && Date.now() < end)
          await new Promise((r) => setTimeout(r, 200));
        assert.deepEqual(ids(tail(['-n', '2', '--format', 'jsonl'])), ['a-2', 'a-3']);
        follow = startMdc(
          ['--workspace', ws, 'tail', 'model_inputs', '-f', '-n', '1', '--format', 'jsonl'],
          tempDir(),
          ENV,
        );
        await follow.waitFor(/"correlationid":"a-3"/);
        collect(['b-1', 'b-2']);
        await runtime.flush();
        await follow.waitFor(/"correlationid":"b-2"/);
        assert.deepEqual(ids(follow.out), ['a-3', 'b-1', 'b-2']);
        // The table format reads the same lines.
        assert.match(tail(['-n', '1']), /^TIME\s+CORRELATIONID\s+DATA\n.*b-2/);
      } finally {
        follow?.child.kill('SIGINT');
        if (follow) assert.equal(await follow.exited, 0);
        await runtime.shutdown();
      }
    });
  }
});
