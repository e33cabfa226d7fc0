// Test harness of the cloud datastores: Azurite and s3rver on free 127.0.0.1 ports, workspaces that point at
// them, child collector processes, and counting what landed in storage line by line.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import { assemble, splitPartName } from '@model-data-collector/s3';
import { stringify } from 'yaml';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

const cleanups: (() => void)[] = [];
// Not node:test's after(): called from a before() hook, it runs when that hook ends.
process.on('exit', () => {
  for (const c of cleanups) c();
});

export function tempDir(prefix = 'mdc-spool-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await sleep(100);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A storage emulator the tests can stop (an outage) and start again with its data. */
export interface Emulator {
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Synchronous last resort at process exit. */
  kill(): void;
}

const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite extends Emulator {
  readonly connectionString: string;
  readonly service: BlobServiceClient;
  createContainer(name: string): Promise<void>;
}

/** Azurite's blob service, persisted in a temp folder so a stop/start keeps the data. */
export async function startAzurite(): Promise<Azurite> {
  const port = await freePort();
  const location = tempDir('mdc-azurite-');
  let child: ChildProcess | undefined;
  const bin = join(root, 'node_modules/azurite/dist/src/blob/main.js');
  const em = {
    port,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`,
    async start() {
      child = spawn(
        process.execPath,
        [
          bin,
          '--blobHost',
          '127.0.0.1',
          '--blobPort',
          String(port),
          '--location',
          location,
          '--skipApiVersionCheck',
          '--loose',
          '--silent',
          '--disableTelemetry',
        ],
        { stdio: ['ignore', 'ignore', openSync(join(location, 'azurite-stderr.log'), 'a')] },
      );
      await waitForPort(port).catch((err: Error) => {
        throw new Error(`${err.message}: ${readFileSync(join(location, 'azurite-stderr.log'), 'utf8')}`);
      });
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
    service: undefined as unknown as BlobServiceClient,
    async createContainer(name: string) {
      await em.service.getContainerClient(name).createIfNotExists();
    },
  };
  em.service = BlobServiceClient.fromConnectionString(em.connectionString);
  await em.start();
  cleanups.push(() => em.kill());
  return em;
}

export interface S3rver extends Emulator {
  readonly endpoint: string;
  readonly client: S3Client;
  createBucket(name: string): Promise<void>;
}

/** s3rver in its own process (so its work does not slow the collector under test), data in a temp folder. */
export async function startS3rver(): Promise<S3rver> {
  const port = await freePort();
  const directory = tempDir('mdc-s3rver-');
  let child: ChildProcess | undefined;
  const bin = join(root, 'node_modules/s3rver/bin/s3rver.js');
  const endpoint = `http://127.0.0.1:${port}`;
  const em: S3rver = {
    port,
    endpoint,
    client: new S3Client({
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    }),
    async start() {
      child = spawn(
        process.execPath,
        [bin, '--address', '127.0.0.1', '--port', String(port), '--directory', directory, '--silent'],
        { stdio: 'ignore' },
      );
      await waitForPort(port);
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
    async createBucket(name: string) {
      await em.client.send(new CreateBucketCommand({ Bucket: name }));
    },
  };
  await em.start();
  cleanups.push(() => em.kill());
  return em;
}

/** S3 credentials s3rver accepts, for child processes and in-process runtimes. */
export const S3RVER_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
};

/** A workspace whose datastores (by default `workspaceblobstore`) are the given entries. */
export function makeWorkspace(datastores: Record<string, unknown>): string {
  const ws = tempDir('mdc-ws-');
  mkdirSync(ws, { recursive: true });
  writeFileSync(join(ws, 'workspace.yml'), stringify({ name: 'test-ws', datastores }));
  return ws;
}

/** Every line stored under `prefix` of a container, by blob name. */
export async function azureLines(
  service: BlobServiceClient,
  container: string,
  prefix = '',
): Promise<Map<string, string[]>> {
  const c = service.getContainerClient(container);
  const out = new Map<string, string[]>();
  for await (const b of c.listBlobsFlat({ prefix })) {
    if (!b.name.endsWith('.jsonl')) continue;
    const body = await c.getBlobClient(b.name).downloadToBuffer();
    out.set(b.name, splitLines(body.toString('utf8')));
  }
  return out;
}

/** Every line stored under `prefix` of a bucket, by file, whole objects and parts put together as a reader does. */
export async function s3Lines(client: S3Client, bucket: string, prefix = ''): Promise<Map<string, string[]>> {
  const objects: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const r = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of r.Contents ?? []) objects.push({ key: o.Key!, size: o.Size ?? 0 });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  const files = new Map<
    string,
    { whole?: { key: string; size: number }; parts: { key: string; offset: number; size: number }[] }
  >();
  for (const o of objects) {
    const { file, offset } = splitPartName(o.key);
    if (!file.endsWith('.jsonl')) continue;
    const f = files.get(file) ?? { parts: [] };
    if (offset === undefined) f.whole = o;
    else f.parts.push({ ...o, offset });
    files.set(file, f);
  }
  const out = new Map<string, string[]>();
  for (const [file, f] of files) {
    const { pieces, gap } = assemble(f.whole, f.parts);
    if (gap) throw new Error(`${file}: a part is missing`);
    const bufs: Buffer[] = [];
    for (const p of pieces) {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: p.key }));
      const body = Buffer.from(await r.Body!.transformToByteArray());
      bufs.push(body.subarray(p.skip, p.skip + p.size));
    }
    out.set(file, splitLines(Buffer.concat(bufs).toString('utf8')));
  }
  return out;
}

function splitLines(text: string): string[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('a stored file ends in a partial line');
  return text.split('\n').filter((l) => l !== '');
}

/** The `seq` of each stored event (the load children send `{ seq }` rows), checking each line is an event. */
export function seqs(files: Map<string, string[]>): number[] {
  const out: number[] = [];
  for (const lines of files.values()) {
    for (const line of lines) {
      const ev = JSON.parse(line) as { id: string; data: { seq: number }[] };
      out.push(ev.data[0]!.seq);
    }
  }
  return out.sort((a, b) => a - b);
}

/** Asserts helper: duplicates and missing numbers of `got` against 0..n-1. */
export function tally(got: readonly number[], n: number): { lost: number[]; duplicated: number[] } {
  const seen = new Map<number, number>();
  for (const s of got) seen.set(s, (seen.get(s) ?? 0) + 1);
  const lost: number[] = [];
  for (let i = 0; i < n; i++) if (!seen.has(i)) lost.push(i);
  const duplicated = [...seen].filter(([, c]) => c > 1).map(([s]) => s);
  return { lost, duplicated };
}

export interface LoadChild {
  readonly child: ChildProcess;
  /** Last status line the child printed. */
  status(): ChildStatus;
  /** Resolves with the exit code / signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once `accepted` reaches n. */
  waitAccepted(n: number, timeoutMs?: number): Promise<void>;
}

export interface ChildStatus {
  accepted: number;
  written: number;
  final?: boolean;
  errors: string[];
}

/** Runs `load-child.ts`: collects `{ seq }` rows at a steady rate into the workspace's default datastore. */
export function startLoadChild(env: Record<string, string>): LoadChild {
  const script = fileURLToPath(new URL('./load-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let last: ChildStatus = { accepted: 0, written: 0, errors: [] };
  const errors: string[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
      try {
        const s = JSON.parse(line) as Partial<ChildStatus> & { error?: string };
        if (s.error) errors.push(s.error);
        else last = { ...last, ...s, errors };
      } catch {
        // not a status line
      }
    }
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      if (code !== 0 && code !== null && stderr) process.stderr.write(`load child stderr:\n${stderr}\n`);
      resolve({ code, signal });
    }),
  );
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    status: () => last,
    exited,
    async waitAccepted(n, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (last.accepted < n) {
        if (Date.now() > deadline)
          throw new Error(`child accepted only ${last.accepted} of ${n}; stderr: ${stderr}`);
        if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}): ${stderr}`);
        await sleep(20);
      }
    },
  };
}
