// Azurite and s3rver on free 127.0.0.1 ports, in their own processes, with their data in temp folders so a
// stop/start (an outage) keeps it.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import { atExit, freePort, ROOT, sleep, tempDir, waitForPort } from './temp.js';

/** A storage emulator the tests can stop (an outage) and start again with its data. */
export interface Emulator {
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Synchronous last resort at process exit. */
  kill(): void;
}

/** An emulator that is a child process `spawnChild()` starts; stopped with SIGTERM, then SIGKILL after 5 s. */
function childEmulator(
  port: number,
  spawnChild: () => ChildProcess,
  started?: () => Promise<void>,
): Emulator {
  let child: ChildProcess | undefined;
  return {
    port,
    async start() {
      child = spawnChild();
      await (started ? started() : waitForPort(port));
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (c.exitCode === null) c.kill('SIGKILL');
      await exited;
    },
    kill() {
      child?.kill('SIGKILL');
    },
  };
}

async function startEmulator<T extends Emulator>(em: T): Promise<T> {
  await em.start();
  atExit(() => em.kill());
  return em;
}

const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite extends Emulator {
  readonly connectionString: string;
  readonly service: BlobServiceClient;
  createContainer(name: string): Promise<void>;
}

/** Azurite's blob service. */
export async function startAzurite(): Promise<Azurite> {
  const port = await freePort();
  const location = tempDir('mdc-azurite-');
  const log = join(location, 'azurite-stderr.log');
  const bin = join(ROOT, 'node_modules/azurite/dist/src/blob/main.js');
  const args = ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', location];
  const flags = ['--skipApiVersionCheck', '--loose', '--silent', '--disableTelemetry'];
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`;
  const service = BlobServiceClient.fromConnectionString(connectionString);
  const child = childEmulator(
    port,
    () =>
      spawn(process.execPath, [bin, ...args, ...flags], { stdio: ['ignore', 'ignore', openSync(log, 'a')] }),
    () =>
      waitForPort(port).catch((err: Error) => {
        throw new Error(`${err.message}: ${readFileSync(log, 'utf8')}`);
      }),
  );
  return startEmulator({
    ...child,
    connectionString,
    service,
    async createContainer(name: string) {
      await service.getContainerClient(name).createIfNotExists();
    },
  });
}

export interface S3rver extends Emulator {
  readonly endpoint: string;
  readonly client: S3Client;
  createBucket(name: string): Promise<void>;
}

/** S3 credentials s3rver accepts, for child processes and in-process runtimes. */
export const S3RVER_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
};

/**
 * The environment of a test that collects into Azurite or s3rver: s3rver's credentials, a spool that uploads every
 * 100 ms without fsync, and the AWS SDK's Node 22 notice off (tests compare stderr exactly).
 */
export const CLOUD_TEST_ENV = {
  ...S3RVER_ENV,
  MDC_UPLOAD_INTERVAL_MS: '100',
  MDC_SPOOL_FSYNC: '0',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** s3rver in its own process (so its work does not slow the collector under test). */
export async function startS3rver(): Promise<S3rver> {
  const port = await freePort();
  const directory = tempDir('mdc-s3rver-');
  const bin = join(ROOT, 'node_modules/s3rver/bin/s3rver.js');
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: S3RVER_ENV.AWS_REGION,
    endpoint,
    forcePathStyle: true,
    credentials: {
      accessKeyId: S3RVER_ENV.AWS_ACCESS_KEY_ID,
      secretAccessKey: S3RVER_ENV.AWS_SECRET_ACCESS_KEY,
    },
  });
  const args = ['--address', '127.0.0.1', '--port', String(port), '--directory', directory, '--silent'];
  const child = childEmulator(port, () => spawn(process.execPath, [bin, ...args], { stdio: 'ignore' }));
  return startEmulator({
    ...child,
    endpoint,
    client,
    async createBucket(name: string) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
  });
}
