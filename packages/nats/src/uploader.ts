import { Worker } from 'node:worker_threads';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  type DatastoreConfig,
  type Uploader,
  type UploaderContext,
  UploadFailedError,
  type UploadFailureReason,
} from 'model-data-collector/internal';
import {
  asNatsConfig,
  connectionOptions,
  DEFAULT_MAX_MESSAGE_BYTES,
  type NatsConfig,
  servers,
  subjectOf,
  subjectPrefix,
} from './config.js';

/**
 * The spool's uploader for a JetStream stream. `write` publishes each line of a range as one message (subject from
 * the file's path, header `Nats-Msg-Id` = the event id, payload the line without its newline) and resolves once the
 * stream acknowledged every one. A stream has no file length, so `length` is 0: a range the spool sends again
 * (after a lost acknowledgement or a restart) is removed by the stream's duplicate window, which {@link check}
 * requires to be longer than the spool's longest gap between two tries.
 */
export class NatsUploader implements Uploader {
  readonly description: string;
  /** One spool read; every line in it is its own message. */
  readonly maxWriteBytes = 1024 * 1024;
  readonly assemblesAtClose = false;
  /** A stream: the spool resends a dead process's spool file whole, with no length check (see the SDK's Uploader). */
  readonly stream = true;
  /** Messages published and acknowledged as new / as duplicates (for tests and stats). */
  published = 0;
  duplicates = 0;
  /** How far each file was published by this process: a stream cannot be asked (see {@link length}). */
  private readonly lengths = new Map<string, number>();
  private worker: Worker | undefined;
  private ranges = 0;
  private readonly pending = new Map<number, { resolve(): void; reject(err: Error): void }>();

  constructor(
    readonly config: NatsConfig,
    private readonly context: UploaderContext,
  ) {
    this.description = `nats:${servers(config).join(',')}/${config.stream}`;
  }

  /** The publishing thread, started by the first range. */
  private thread(): Worker {
    if (!this.worker) {
      const w = new Worker(new URL('./publisher-thread.js', import.meta.url), {
        // Not the process's flags (`--input-type`, a loader): the thread is plain built JavaScript.
        execArgv: [],
        workerData: {
          config: this.config,
          env: {
            MDC_NATS_TOKEN: this.context.env.MDC_NATS_TOKEN,
            MDC_NATS_PUBLISHER_NICE: this.context.env.MDC_NATS_PUBLISHER_NICE,
          },
          name: `mdc ${this.context.datastore}`,
        },
      });
      w.on('message', (m: { id: number; published?: number; duplicates?: number; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) w.unref();
        if (m.error !== undefined) p.reject(new Error(m.error));
        else {
          this.published += m.published ?? 0;
          this.duplicates += m.duplicates ?? 0;
          p.resolve();
        }
      });
      w.on('error', (err) => {
        // The thread died: fail what it held; the next range starts another.
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        this.worker = undefined;
      });
      w.unref();
      this.worker = w;
    }
    return this.worker;
  }

  private fail(what: string, err: unknown, reason: UploadFailureReason = 'unavailable'): UploadFailedError {
    return new UploadFailedError(
      this.description,
      reason,
      `${what}: ${(err as Error).message ?? String(err)}`,
      {
        cause: err,
      },
    );
  }

  async check(): Promise<void> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        ...connectionOptions(this.config, this.context.env, `mdc ${this.context.datastore} check`),
        maxReconnectAttempts: 0,
      });
    } catch (err) {
      throw this.fail('cannot connect', err);
    }
    try {
      const jsm = await jetstreamManager(nc).catch((err: unknown) => {
        throw this.fail('JetStream is not enabled on the server', err, 'not_found');
      });
      await checkStream(jsm, this.config, this.context.env, this.description);
      const max = this.config.max_message_bytes ?? DEFAULT_MAX_MESSAGE_BYTES;
      if (nc.info && nc.info.max_payload < max) {
        throw new UploadFailedError(
          this.description,
          'other',
          `the server's max_payload is ${nc.info.max_payload} bytes, below the datastore's max_message_bytes ${max}: set max_message_bytes to ${nc.info.max_payload}`,
        );
      }
    } finally {
      await nc.close().catch(() => {});
    }
  }

  /**
   * How much of `path` this process published (0 for a file it has not): a stream holds messages, not files. A
   * spool file left by a killed process is sent again from its start ({@link stream}), and the duplicate window
   * removes the lines that had landed.
   */
  async length(path: string): Promise<number> {
    return this.lengths.get(path) ?? 0;
  }

  /**
   * Publishes every line of the range (in the publishing thread: see publisher.ts) and resolves once the stream
   * acknowledged them all; a refusal or a missing acknowledgement fails the whole range.
   */
  async write(path: string, offset: number, body: Uint8Array): Promise<void> {
    const subject = subjectOf(this.config, path);
    const id = ++this.ranges;
    const w = this.thread();
    const bytes = body.byteLength;
    try {
      await new Promise<void>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        w.ref();
        // Moved, not copied: the body is the uploader's (see Uploader.write); a pooled buffer is cloned instead.
        w.postMessage({ id, subject, body }, [body.buffer as ArrayBuffer]);
      });
    } catch (err) {
      throw this.fail(`publish to ${subject}`, err);
    }
    this.lengths.set(path, Math.max(this.lengths.get(path) ?? 0, offset + bytes));
  }

  /** Raw payloads go to the collection's `data.path` datastore; a stream holds only event lines. */
  async put(path: string): Promise<void> {
    throw new UploadFailedError(
      this.description,
      'other',
      `${path}: a NATS stream does not store raw payload files`,
    );
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (!w) return;
    const exited = new Promise((r) => w.once('exit', r));
    w.postMessage({ close: true });
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    await w.terminate().catch(() => {});
  }
}

/**
 * The stream must exist, take the datastore's subjects, and keep ids longer than the spool's longest gap between
 * two tries of a range (its `maxRetryDelayMs` plus the upload interval, twice for margin), else a resent line
 * could be stored twice.
 */
export async function checkStream(
  jsm: JetStreamManager,
  config: NatsConfig,
  env: NodeJS.ProcessEnv,
  description: string,
): Promise<void> {
  let info: Awaited<ReturnType<JetStreamManager['streams']['info']>>;
  try {
    info = await jsm.streams.info(config.stream);
  } catch (err) {
    throw new UploadFailedError(
      description,
      'not_found',
      `stream ${config.stream}: ${(err as Error).message}; create it with mdc datastore create --type nats (it makes a missing stream)`,
      { cause: err },
    );
  }
  const prefix = subjectPrefix(config);
  const subjects = info.config.subjects ?? [];
  if (!subjects.some((s) => s === '>' || s === `${prefix}.>` || s === `${prefix}.*.*.*`)) {
    throw new UploadFailedError(
      description,
      'other',
      `stream ${config.stream} takes subjects ${JSON.stringify(subjects)}, not ${prefix}.>`,
    );
  }
  const windowMs = info.config.duplicate_window / 1e6;
  const needed = requiredDuplicateWindowMs(config, env);
  if (windowMs < needed) {
    throw new UploadFailedError(
      description,
      'other',
      `stream ${config.stream} keeps message ids for ${windowMs} ms, shorter than the ${needed} ms a resent line may take (2 × (MDC_UPLOAD_MAX_RETRY_DELAY_MS + upload_interval_ms)); raise its duplicate_window`,
    );
  }
}

/** 2 × (the spool's longest retry delay + its upload interval). */
export function requiredDuplicateWindowMs(config: NatsConfig, env: NodeJS.ProcessEnv): number {
  const maxRetry = Number(env.MDC_UPLOAD_MAX_RETRY_DELAY_MS || 30_000);
  const interval = config.upload_interval_ms ?? Number(env.MDC_UPLOAD_INTERVAL_MS || 5000);
  return (
    2 * ((Number.isFinite(maxRetry) ? maxRetry : 30_000) + (Number.isFinite(interval) ? interval : 5000))
  );
}

/** The datastore package contract (see the SDK's `DatastorePackage`). */
export function createUploader(config: DatastoreConfig, context: UploaderContext): NatsUploader {
  return new NatsUploader(asNatsConfig(config), context);
}
