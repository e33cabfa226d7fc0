import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type DatastoreConfig, UploadFailedError } from 'model-data-collector/internal';
import { asNatsConfig, connectionOptions, servers, subjectPrefix } from './config.js';

export interface EraseOptions {
  /** Whether a message (one event line) is to be erased. */
  readonly match: (line: Uint8Array) => boolean;
  /** Find and count, delete nothing. @default false */
  readonly dryRun?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

export interface StreamErasure {
  /** `nats:<servers>/<stream>`. */
  readonly description: string;
  /** Messages read, and those matched (deleted unless a dry run). */
  readonly scanned: number;
  readonly removed: number;
}

/**
 * Erases events from a datastore's stream (`mdc forget`): reads every message on `<prefix>.>` through an ephemeral
 * ordered consumer and deletes each match by its sequence with JetStream's erase (its bytes overwritten on disk).
 * The rest of the stream is untouched; consumers that already received a message keep their own copy.
 */
export async function eraseFromStream(
  config: DatastoreConfig,
  options: EraseOptions,
): Promise<StreamErasure> {
  const c = asNatsConfig(config);
  const description = `nats:${servers(c).join(',')}/${c.stream}`;
  const nc = await connect({
    ...connectionOptions(c, options.env ?? process.env, 'mdc forget'),
    maxReconnectAttempts: 0,
  }).catch((err: unknown) => {
    throw new UploadFailedError(description, 'unavailable', `cannot connect: ${(err as Error).message}`, {
      cause: err,
    });
  });
  try {
    const jsm = await jetstreamManager(nc);
    const consumer = await jetstream(nc).consumers.get(c.stream, {
      filter_subjects: `${subjectPrefix(c)}.>`,
      deliver_policy: DeliverPolicy.All,
    });
    let left = (await consumer.info()).num_pending;
    let scanned = 0;
    const found: number[] = [];
    if (left > 0) {
      const msgs = await consumer.consume();
      for await (const m of msgs) {
        scanned++;
        if (options.match(m.data)) found.push(m.seq);
        if (--left === 0) break;
      }
      await msgs.close();
    }
    if (!options.dryRun) for (const seq of found) await jsm.streams.deleteMessage(c.stream, seq, true);
    return { description, scanned, removed: found.length };
  } finally {
    await nc.close().catch(() => {});
  }
}
