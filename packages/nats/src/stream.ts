import { DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import { type DatastoreConfig, UploadFailedError } from 'model-data-collector/internal';
import {
  asNatsConfig,
  collectionFilter,
  connectionOptions,
  DEFAULT_DUPLICATE_WINDOW_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  type NatsConfig,
  servers,
  subjectPrefix,
} from './config.js';
import { checkStream } from './uploader.js';

export interface EnsureStreamOptions {
  /** Copies of each message in a cluster. @default 1 */
  readonly replicas?: number;
  /** How long the stream remembers message ids to remove resent copies. @default 120000 */
  readonly duplicateWindowMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Makes the datastore's stream when it is missing (file storage, subjects `<prefix>.>`, the given duplicate
 * window and replicas), then checks it as the collector will. Returns whether it was created.
 */
export async function ensureStream(
  config: DatastoreConfig,
  options: EnsureStreamOptions = {},
): Promise<boolean> {
  const c = asNatsConfig(config);
  const env = options.env ?? process.env;
  const where = `nats:${servers(c).join(',')}/${c.stream}`;
  const nc = await connect({ ...connectionOptions(c, env, 'mdc datastore'), maxReconnectAttempts: 0 }).catch(
    (err: unknown) => {
      throw new UploadFailedError(where, 'unavailable', `cannot connect: ${(err as Error).message}`, {
        cause: err,
      });
    },
  );
  try {
    const jsm = await jetstreamManager(nc);
    let created = false;
    try {
      await jsm.streams.info(c.stream);
    } catch {
      await jsm.streams.add({
        name: c.stream,
        subjects: [`${subjectPrefix(c)}.>`],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        num_replicas: options.replicas ?? 1,
        duplicate_window: nanos(options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
        max_msg_size: c.max_message_bytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      });
      created = true;
    }
    await checkStream(jsm, c, env, where);
    return created;
  } finally {
    await nc.close();
  }
}

export interface TailOptions {
  readonly collection: string;
  readonly endpoint?: string;
  readonly deployment?: string;
  /** Keep waiting for new messages (`mdc tail -f`); else stop after what the stream holds now. */
  readonly follow?: boolean;
  /** Only the last this many messages already stored (then new ones with `follow`). @default all */
  readonly last?: number;
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A collection's events in the stream, oldest first, through an ephemeral ordered consumer: each message's payload
 * is one event line. Ends when the stream has no more (or, with `follow`, when the signal aborts).
 */
export async function* tailStream(config: DatastoreConfig, options: TailOptions): AsyncGenerator<Uint8Array> {
  const c = asNatsConfig(config);
  const nc: NatsConnection = await connect(connectionOptions(c, options.env ?? process.env, 'mdc tail'));
  try {
    const js = jetstream(nc);
    const filter = collectionFilter(c, options.collection, options);
    let startSeq: number | undefined;
    if (options.last !== undefined) {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(c.stream, { subjects_filter: filter });
      const held = Object.values(info.state.subjects ?? {}).reduce((n, v) => n + v, 0);
      startSeq = held <= options.last ? undefined : await nthFromEnd(jsm, c, filter, options.last);
    }
    const consumer = await js.consumers.get(c.stream, {
      filter_subjects: filter,
      ...(startSeq !== undefined
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq }
        : { deliver_policy: DeliverPolicy.All }),
    });
    if (!options.follow) {
      const pending = (await consumer.info()).num_pending;
      if (pending === 0) return;
      const msgs = await consumer.consume();
      let left = pending;
      for await (const m of msgs) {
        yield m.data;
        if (--left === 0 || options.signal?.aborted) break;
      }
      await msgs.close();
      return;
    }
    const msgs = await consumer.consume();
    const stop = () => void msgs.close();
    options.signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const m of msgs) {
        if (options.signal?.aborted) break;
        yield m.data;
      }
    } finally {
      options.signal?.removeEventListener('abort', stop);
    }
  } finally {
    await nc.close();
  }
}

/** The sequence of the `n`th last message on the filter (read back from the last one, `n` messages). */
async function nthFromEnd(
  jsm: Awaited<ReturnType<typeof jetstreamManager>>,
  c: NatsConfig,
  filter: string,
  n: number,
): Promise<number | undefined> {
  if (n <= 0) return Number.MAX_SAFE_INTEGER;
  const last = await jsm.streams.getMessage(c.stream, { last_by_subj: filter }).catch(() => null);
  if (!last) return undefined;
  // Sequences are stream-wide: step back until n messages of the filter are behind the start.
  let seq = last.seq;
  let found = 1;
  while (found < n && seq > 1) {
    seq--;
    const m = await jsm.streams.getMessage(c.stream, { seq }).catch(() => null);
    if (m && matches(filter, m.subject)) found++;
  }
  return seq;
}

function matches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  return f.length === s.length && f.every((t, i) => t === '*' || t === s[i]);
}
