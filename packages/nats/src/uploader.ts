import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, createInbox, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
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
import { eventIdOf } from './event-id.js';

/** Longest wait for a range's acknowledgements; then the pass fails and the spool retries it (deduplicated by id). */
const ACK_TIMEOUT_MS = 10_000;

const DECODER = new TextDecoder();

/** A range being published: its acknowledgements count down to 0. */
interface Waiting {
  left: number;
  published: boolean;
  resolve(): void;
  reject(err: Error): void;
}

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
  /** Messages published and acknowledged as new / as duplicates (for tests and stats). */
  published = 0;
  duplicates = 0;
  /** How far each file was published by this process: a stream cannot be asked (see {@link length}). */
  private readonly lengths = new Map<string, number>();
  private conn: Promise<NatsConnection> | undefined;
  /** Acknowledgements come to `<inbox>.<range>.<line>`: one subscription, no timer or promise per message. */
  private inbox = '';
  private ranges = 0;
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    readonly config: NatsConfig,
    private readonly context: UploaderContext,
  ) {
    this.description = `nats:${servers(config).join(',')}/${config.stream}`;
  }

  private connection(): Promise<NatsConnection> {
    this.conn ??= connect(
      connectionOptions(this.config, this.context.env, `mdc ${this.context.datastore}`),
    ).then((nc) => {
      this.inbox = createInbox();
      nc.subscribe(`${this.inbox}.>`, { callback: (_err, msg) => this.acked(msg) });
      return nc;
    });
    // A failed first connection is retried on the next pass.
    this.conn.catch(() => {
      this.conn = undefined;
    });
    return this.conn;
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
      nc = await this.connection();
    } catch (err) {
      throw this.fail('cannot connect', err);
    }
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
  }

  /**
   * How much of `path` this process published (0 for a file it has not): a stream holds messages, not files. A
   * spool file left by a killed process is thus sent again from its start, and the duplicate window removes the
   * lines that had landed (the spool reports the length mismatch once as MDC_UPLOAD_CONFLICT and resends).
   */
  async length(path: string): Promise<number> {
    return this.lengths.get(path) ?? 0;
  }

  /**
   * Publishes every line of the range back to back (each with its own reply subject) and resolves once the stream
   * acknowledged them all; a refusal or a missing acknowledgement after ACK_TIMEOUT_MS fails the whole range.
   */
  async write(path: string, offset: number, body: Uint8Array): Promise<void> {
    const nc = await this.connection();
    const subject = subjectOf(this.config, path);
    const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const range = String(++this.ranges);
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve, reject) => {
      this.waiting.set(range, { left: 0, published: false, resolve, reject });
      timer = setTimeout(
        () => reject(new Error(`no acknowledgement within ${ACK_TIMEOUT_MS} ms`)),
        ACK_TIMEOUT_MS,
      );
    });
    const w = this.waiting.get(range)!;
    try {
      let start = 0;
      let n = 0;
      while (start < buf.length) {
        let end = buf.indexOf(0x0a, start);
        if (end === -1) end = buf.length;
        if (end > start) {
          const line = buf.subarray(start, end);
          const h = headers();
          const id = eventIdOf(line);
          if (id) h.set('Nats-Msg-Id', id);
          w.left++;
          nc.publish(subject, line, { headers: h, reply: `${this.inbox}.${range}.${n++}` });
        }
        start = end + 1;
      }
      w.published = true;
      if (w.left === 0) w.resolve();
      await done;
      this.lengths.set(path, Math.max(this.lengths.get(path) ?? 0, offset + body.byteLength));
    } catch (err) {
      throw this.fail(`publish to ${subject}`, err);
    } finally {
      clearTimeout(timer);
      this.waiting.delete(range);
    }
  }

  /** One acknowledgement: `{"stream":…,"seq":…[,"duplicate":true]}`, or an error (no stream, a refusal). */
  private acked(msg: Msg): void {
    const parts = msg.subject.split('.');
    const w = this.waiting.get(parts[parts.length - 2]!);
    if (!w) return; // a range that already failed: the spool sends it again
    let ack: { duplicate?: boolean; error?: { description?: string; code?: number } } | undefined;
    try {
      ack = msg.data.length > 0 ? JSON.parse(DECODER.decode(msg.data)) : undefined;
    } catch {
      ack = undefined;
    }
    if (!ack || ack.error) {
      const status = msg.headers?.code ? ` (status ${msg.headers.code} ${msg.headers.description})` : '';
      w.reject(
        new Error(
          `the stream refused a message: ${ack?.error?.description ?? 'no acknowledgement'}${status}`,
        ),
      );
      return;
    }
    if (ack.duplicate) this.duplicates++;
    else this.published++;
    if (--w.left === 0 && w.published) w.resolve();
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
    const c = this.conn;
    this.conn = undefined;
    if (c) await c.then((nc) => nc.drain()).catch(() => {});
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
